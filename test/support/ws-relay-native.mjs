// The native SurrealDB 3 engine of the test relay (see ws-relay-impl.mjs), from @surrealdb/node.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** @type {{ connect(url: string, options?: unknown): Promise<any> } | undefined} */
let nativeEngineClass;

/**
 * Loads the native `SurrealNodeEngine` class. @surrealdb/node only exports its JS wrapper,
 * so the platform `.node` addon next to it is required directly.
 */
export function loadNativeEngineClass() {
  if (nativeEngineClass) return nativeEngineClass;
  const require = createRequire(import.meta.url);
  const candidates = [];
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
    candidates.push(process.env.NAPI_RS_NATIVE_LIBRARY_PATH);
  }
  const prefix = `surrealdb-node.${process.platform}-${process.arch}`;
  for (const dir of require.resolve.paths('@surrealdb/node') ?? []) {
    const dist = join(dir, '@surrealdb', 'node', 'dist');
    if (!existsSync(dist)) continue;
    const files = readdirSync(dist)
      .filter((file) => file.startsWith(prefix) && file.endsWith('.node'))
      // glibc builds first unless the runtime is musl.
      .sort((a, b) => Number(a.includes('musl')) - Number(b.includes('musl')));
    if (isMusl()) files.reverse();
    candidates.push(...files.map((file) => join(dist, file)));
    break;
  }
  const errors = [];
  for (const file of candidates) {
    try {
      const binding = require(file);
      if (binding && typeof binding.SurrealNodeEngine?.connect === 'function') {
        nativeEngineClass = binding.SurrealNodeEngine;
        return nativeEngineClass;
      }
    } catch (err) {
      errors.push(err);
    }
  }
  throw new Error(
    `ws-relay: cannot load the native SurrealNodeEngine from @surrealdb/node (tried ${candidates.join(', ') || 'nothing'})`,
    { cause: errors },
  );
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = /** @type {any} */ (process.report?.getReport?.());
  return !report?.header?.glibcVersionRuntime;
}
