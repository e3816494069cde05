// drift. `manager.drift()` on a database of 300 tables (one migration each) against the bare
// queries it cannot avoid: one INFO FOR DB and one INFO FOR TABLE per table (sent in one request).
// The difference is the shadow build: the 300 migrations replayed into a private mem:// database.
// Each is measured once, in the same run, the bare queries first.
import { MigrationManager } from '../dist/index.js';
import { migrationsFolder, row, time, summarize } from './stats.mjs';

const COUNT = 300;

export async function run({ count = COUNT } = {}) {
  const directory = await migrationsFolder(count);
  const manager = await MigrationManager.create({
    url: 'mem://',
    namespace: 'bench',
    database: 'bench',
    directory,
    logger: false,
  });
  await manager.runMigrationUp();

  const bareMs = await time(async () => {
    const [info] = await manager.db.query('INFO FOR DB');
    const tables = Object.keys(info.tables);
    await manager.db.query(tables.map((t) => `INFO FOR TABLE ${t};`).join(' '));
  });

  let report;
  const driftMs = await time(async () => {
    report = await manager.drift();
  });
  await manager.close();
  if (!report.ok) throw new Error(`case drift: expected no drift, got ${JSON.stringify(report.drift).slice(0, 500)}`);

  return [
    row('drift', `bare INFO FOR DB + ${count} INFO FOR TABLE`, summarize([bareMs]), { unit: 'ms' }),
    row('drift', `manager.drift() (${count} tables: live schema + shadow build)`, summarize([driftMs]), {
      unit: 'ms',
      ratio: driftMs / bareMs,
      ratioOf: 'drift / bare INFO queries',
    }),
  ];
}
