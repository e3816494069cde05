// Applies a schema file to two private SurrealDB 2 databases at once, over and over, through the
// built library (argv[2]: the file), from a cold start, and prints `same <n>` when every one read
// back the same schema. A child process: a wasm engine that breaks takes its process down ("memory access out
// of bounds"), which the test must see as an exit code, not as its own crash.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
const { readSchema } = await import('../../dist/core/shadow/shadow.js');
const { ShadowDatabase } = await import('../../dist/core/shadow/shadow-database.js');

const [, , file, rounds = '20'] = process.argv;

/** A new shadow (an empty folder of migrations) with the file applied, and its schema. */
async function applied() {
  await stat(file);
  const empty = await mkdtemp(path.join(tmpdir(), 'sbl-v2-parallel-'));
  const shadow = await ShadowDatabase.open(empty, { surrealdb: 2 });
  try {
    await shadow.db.query(await readFile(file, 'utf8')).responses();
    return JSON.stringify(await readSchema(shadow.db, '_sbl_migrations'));
  } finally {
    await shadow.close();
    await rm(empty, { recursive: true, force: true });
  }
}

// The first pair loads the engine twice at once: the case that broke it (two loads of the module).
let expected;
for (let round = 0; round < Number(rounds); round++) {
  const pair = await Promise.all([applied(), applied()]);
  expected ??= pair[0];
  if (pair.some((schema) => schema !== expected)) {
    console.log(`differs in round ${round}`);
    process.exit(1);
  }
}
console.log(`same ${rounds}`);
process.exit(0);
