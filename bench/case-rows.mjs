// rows. The check of the rows already there against a run's new definitions (issue 22, item 1), on a
// table of BENCH_ROWS rows (1 000 000 on SurrealDB 3; a fifth of it on SurrealDB 2, whose engine is
// WebAssembly and fills a table far slower): `plan()`'s check of `DEFINE FIELD OVERWRITE qty ON acc
// TYPE int` (every row meets it) against one bare scan of the table with the same predicate, and the
// run up (the check, then the migration) against the check alone. Then a migration that changes no
// definition, run with and without the check: it costs no request, so the two are alike.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationManager } from '../dist/index.js';
import { row, summarize, tempDir, time } from './stats.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const BATCH = 100_000;

async function engine(surrealdb, rows) {
  const directory = await tempDir('sbl-bench-rows-');
  await writeFile(path.join(directory, '0001_acc.surql'), 'DEFINE TABLE acc SCHEMALESS;\n');
  const manager = await MigrationManager.create({
    url: 'mem://',
    surrealdb,
    namespace: 'bench',
    database: `rows${surrealdb}`,
    directory,
    logger: false,
  });
  try {
    await manager.runMigrationUp();
    for (let made = 0; made < rows; made += BATCH) {
      await manager.db.query(`CREATE |acc:${Math.min(BATCH, rows - made)}| SET qty = ${made}, name = 'n';`).collect();
    }
    await writeFile(path.join(directory, '0002_qty.surql'), 'DEFINE FIELD OVERWRITE qty ON acc TYPE int;\n');
    await manager.refresh();
    const is = surrealdb === 2 ? 'type::is::int' : 'type::is_int';
    // Side by side, three rounds each, alternating.
    const scans = [];
    const checks = [];
    let refusals;
    for (let round = 0; round < 3; round++) {
      scans.push(
        await time(() => manager.db.query(`RETURN count(SELECT VALUE id FROM acc WHERE !${is}(qty));`).collect()),
      );
      checks.push(
        await time(async () => {
          refusals = (await manager.plan()).refusals;
        }),
      );
    }
    if (refusals.invalidRows.length > 0) throw new Error('case rows: the check refused rows that meet the type');
    const scanMs = summarize(scans).median;
    const checkMs = summarize(checks).median;
    const upMs = await time(() => manager.runMigrationUp());

    // A migration that changes no definition: the check sends nothing. Five rounds, alternating.
    const plainOn = [];
    const plainOff = [];
    for (let round = 0, version = 3; round < 5; round++) {
      for (const [checked, times] of [
        [true, plainOn],
        [false, plainOff],
      ]) {
        await writeFile(
          path.join(directory, `${String(version).padStart(4, '0')}_touch.surql`),
          `UPDATE acc:bench SET n = ${version};\n`,
        );
        await manager.refresh();
        times.push(await time(() => manager.migrateTo(version, { checkData: checked })));
        version++;
      }
    }
    const label = `SurrealDB ${surrealdb}, ${rows.toLocaleString('en')} rows`;
    return [
      row('rows', `bare scan of the table with the TYPE's predicate (${label})`, summarize(scans), { unit: 'ms' }),
      row('rows', `the check of DEFINE FIELD … TYPE int, in plan() (${label})`, summarize(checks), {
        unit: 'ms',
        ratio: checkMs / scanMs,
        ratioOf: 'check / bare scan',
      }),
      row('rows', `up: the check, then the migration (${label})`, summarize([upMs]), {
        unit: 'ms',
        ratio: upMs / checkMs,
        ratioOf: 'up / check',
      }),
      row('rows', `up of a migration that changes no definition, checked (${label})`, summarize(plainOn), {
        unit: 'ms',
        ratio: summarize(plainOn).median / summarize(plainOff).median,
        ratioOf: 'checked / checkData: false',
      }),
    ];
  } finally {
    await manager.close();
  }
}

export async function run() {
  return [...(await engine(3, ROWS)), ...(await engine(2, Math.round(ROWS / 5)))];
}
