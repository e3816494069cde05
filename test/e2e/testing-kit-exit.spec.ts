import path from 'node:path';
import { startNode, repoRoot } from '../support/child.js';

/**
 * After migrations that define indexes, the embedded engine keeps the Node process alive past
 * close() until its indexes are removed. The kit empties every engine it opened when it closes,
 * so test runs with no exit option of their own end by themselves. These run the built library.
 */
describe('testing kit: a test process exits by itself', () => {
  const exitsWithin = async (script: string, args: string[], seconds: number, env: NodeJS.ProcessEnv = {}) => {
    const child = startNode(script, args, { env: { FORCE_COLOR: '0', NO_COLOR: '1', ...env } });
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
    const code = await child.exited;
    clearTimeout(timer);
    return { code, output: child.stdout() + child.stderr() };
  };

  it('under Jest without forceExit', async () => {
    const { code, output } = await exitsWithin(
      path.join(repoRoot, 'node_modules/jest/bin/jest.js'),
      ['--config', 'test/e2e/testing-kit-jest/jest.config.mjs', '--ci'],
      45,
      { NODE_OPTIONS: '--experimental-vm-modules --no-warnings' },
    );
    expect(output).toMatch(/Tests:\s+4 passed, 4 total/);
    expect(output).not.toMatch(/did not exit one second/);
    expect(code).toBe(0);
  });

  const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
  it('under Vitest in ESM, as `nest new` sets it up (default forks pool)', async () => {
    const { code, output } = await exitsWithin(
      vitest,
      ['run', '--config', 'test/e2e/testing-kit-vitest/vitest.config.mjs'],
      60,
    );
    expect(output).toMatch(/Tests\s+3 passed \(3\)/);
    expect(code).toBe(0);
  });

  it('in a plain script that never calls process.exit()', async () => {
    const script = path.join(repoRoot, 'test/e2e/testing-kit-jest/plain-script.mjs');
    const { code, output } = await exitsWithin(script, [], 30);
    expect(output).toContain('done 2 2');
    expect(code).toBe(0);
  });
});
