// lint. `lint` of 300 migrations with down scripts (every file parsed on its own, every up applied,
// its down proven against the schema before it, the up applied again) against a plain replay of
// the same folder (MigrationManager.create on mem:// + runMigrationUp()). Each is measured once,
// in the same run, the replay first; on SurrealDB 3, then 2.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lintMigrations } from '../dist/core/analysis/lint.js';
import { MigrationManager } from '../dist/index.js';
import { migrationsFolder, row, time, summarize } from './stats.mjs';

const COUNT = 300;

/** The folder of bench/stats.mjs's migrationScript(), each with `REMOVE TABLE t<v>;` as its down. */
async function folderWithDowns(count) {
  const dir = await migrationsFolder(count);
  const width = Math.max(4, String(count).length);
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      writeFile(
        path.join(dir, `${String(i + 1).padStart(width, '0')}_m${i + 1}.down.surql`),
        `REMOVE TABLE t${i + 1};\n`,
      ),
    ),
  );
  return dir;
}

async function engine(surrealdb, directory, count) {
  let manager;
  const replayMs = await time(async () => {
    manager = await MigrationManager.create({
      url: 'mem://',
      surrealdb,
      namespace: 'bench',
      database: `bench${surrealdb}`,
      directory,
      logger: false,
    });
    await manager.runMigrationUp();
  });
  const applied = await manager.getCurrentVersion();
  await manager.close();
  if (applied !== count) throw new Error(`case lint: the replay applied ${applied} of ${count}`);

  let report;
  const lintMs = await time(async () => {
    report = await lintMigrations({ directory, surrealdb });
  });
  if (!report.ok || report.problems.length || report.checked !== count || report.reversible !== count) {
    throw new Error(`case lint: expected ${count} clean, proven pairs, got ${JSON.stringify(report).slice(0, 500)}`);
  }
  const label = `SurrealDB ${surrealdb}, ${count} ups`;
  return [
    row('lint', `plain replay: create + runMigrationUp (${label}, mem://)`, summarize([replayMs]), { unit: 'ms' }),
    row('lint', `lintMigrations (${label}, ${count} downs proven)`, summarize([lintMs]), {
      unit: 'ms',
      ratio: lintMs / replayMs,
      ratioOf: 'lint / plain replay',
      target: '<= 3x',
      pass: lintMs / replayMs <= 3,
    }),
  ];
}

export async function run({ count = COUNT } = {}) {
  const directory = await folderWithDowns(count);
  return [...(await engine(3, directory, count)), ...(await engine(2, directory, count))];
}
