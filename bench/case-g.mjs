// g. The testing kit's cost per test: createMigratedDatabase() + dispose() with its per-process
// template (a copy of the migrated database) against a full replay of every migration
// (`template: false`), at 3, 30 and 300 migrations of 10 statements. The template is built by an
// untimed first call. Each way runs in blocks of back-to-back tests (as a test file does: the copy
// made ahead for the next test has only the current test's own time), the blocks alternating so
// that both ways see the same machine. A last figure: what the kit adds to a test that does work
// of its own (50 ms here, as a Nest app's compile and init would), since the next copy is made
// while it runs.
import { setTimeout as sleep } from 'node:timers/promises';
import { createMigratedDatabase } from '../dist/testing/index.js';
import { migrationsFolder, row, summarize, time } from './stats.mjs';

const SIZES = [
  { count: 3, blocks: 6, block: 8 },
  { count: 30, blocks: 4, block: 6 },
  { count: 300, blocks: 3, block: 4 },
];

const WORK_MS = 50;

/** One test's database: made, checked (every migration there, the last one's rows), disposed. */
async function oneTest(directory, count, template, workMs = 0) {
  const testDb = await createMigratedDatabase({ directory, template });
  try {
    if (workMs) await sleep(workMs);
    const [[score]] = await testDb.db.query(`SELECT VALUE score FROM t${count}:2`);
    if (score !== count) throw new Error(`case g: expected t${count}:2.score = ${count}, got ${score}`);
    if (await testDb.manager.needsMigration()) throw new Error('case g: the copy misses migrations');
  } finally {
    await testDb.dispose();
  }
}

export async function run({ sizes = SIZES } = {}) {
  const rows = [];
  for (const { count, blocks, block } of sizes) {
    const folder = await migrationsFolder(count);
    const first = await time(() => oneTest(folder, count, true)); // builds the template
    await oneTest(folder, count, false); // warms the replay path alike
    const samples = { copy: [], replay: [] };
    for (let b = 0; b < blocks; b++) {
      for (const way of b % 2 ? ['copy', 'replay'] : ['replay', 'copy']) {
        for (let t = 0; t < block; t++) samples[way].push(await time(() => oneTest(folder, count, way === 'copy')));
      }
    }
    const busy = [];
    for (let t = 0; t < block; t++) busy.push((await time(() => oneTest(folder, count, true, WORK_MS))) - WORK_MS);
    const replay = summarize(samples.replay);
    const copy = summarize(samples.copy);
    const ratio = copy.median / replay.median;
    const label = `${count} migrations`;
    rows.push(
      row('g', `replay per test (template: false), ${label}`, replay, { unit: 'ms' }),
      row('g', `first test: template built, ${label}`, { median: first, min: first, max: first, n: 1 }, { unit: 'ms' }),
      row('g', `copy of the template per test, ${label}`, copy, {
        unit: 'ms',
        ratio,
        ratioOf: 'copy / replay',
        target: '<= 0.5x',
        pass: ratio <= 0.5,
      }),
      row('g', `copy: time added to a test of ${WORK_MS} ms, ${label}`, summarize(busy), {
        unit: 'ms',
        ratio: summarize(busy).median / replay.median,
        ratioOf: 'added / replay',
      }),
    );
  }
  return rows;
}
