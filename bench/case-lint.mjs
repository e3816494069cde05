// lint. `lint` of 300 migrations with down scripts (every file parsed on its own, every up applied,
// its down proven against the schema before it, the up applied again) against a plain replay of
// the same folder (MigrationManager.create on mem:// + runMigrationUp()). Each is measured once,
// in the same run, the replay first.
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

export async function run({ count = COUNT } = {}) {
  const directory = await folderWithDowns(count);

  let manager;
  const replayMs = await time(async () => {
    manager = await MigrationManager.create({
      url: 'mem://',
      namespace: 'bench',
      database: 'bench',
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
    report = await lintMigrations({ directory });
  });
  if (!report.ok || report.problems.length || report.checked !== count || report.reversible !== count) {
    throw new Error(`case lint: expected ${count} clean, proven pairs, got ${JSON.stringify(report).slice(0, 500)}`);
  }

  return [
    row('lint', `plain replay: create + runMigrationUp (${count} ups, mem://)`, summarize([replayMs]), { unit: 'ms' }),
    row('lint', `lintMigrations (${count} ups, ${count} downs proven)`, summarize([lintMs]), {
      unit: 'ms',
      ratio: lintMs / replayMs,
      ratioOf: 'lint / plain replay',
    }),
  ];
}
