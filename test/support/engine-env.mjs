// Which SurrealDB the suite runs on: `SURREALDB_ENGINE=v2` (the wasm engine, @surrealdb/wasm 2.x)
// or v3 (the native one, @surrealdb/node), the default. `npm test` runs the suite once for each.
// Plain ESM, so that child processes started with `node` read the same answer from the same env.

/** @type {'v2' | 'v3'} */
export const ENGINE = process.env.SURREALDB_ENGINE === 'v2' ? 'v2' : 'v3';

/** The major version, as the product's `surrealdb` option takes it. */
export const SURREALDB = ENGINE === 'v2' ? 2 : 3;

/** A private in-memory database of the suite's engine: spread into the product's options. */
export const MEM = Object.freeze({ url: 'mem://', surrealdb: SURREALDB });
