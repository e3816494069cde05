// A Vitest project as `nest new` generates it (ESM, globals, the default `forks` pool), with no
// option for open handles: the kit must let the run end by itself. Run by testing-kit-exit.spec.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
  },
});
