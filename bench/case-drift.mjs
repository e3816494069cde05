// drift. `manager.drift()` on a database of 300 tables (one migration each) against what it cannot
// avoid: one plain replay of the folder (MigrationManager.create on mem:// + runMigrationUp(), the
// shadow's work) and the bare INFO queries (one INFO FOR DB and one INFO FOR TABLE per table, sent
// in one request). Cold: nothing kept; warm: the folder's schema kept by the cold run (schemaCache),
// so that no shadow is built. On SurrealDB 3 and 2, each measured side by side in the same run:
// replay, bare queries, cold drift, warm drift, `runs` times, alternating nothing else.
import { MigrationManager } from '../dist/index.js';
import { migrationsFolder, row, summarize, tempDir, time } from './stats.mjs';

const COUNT = 300;

async function bareInfo(db) {
  const [info] = await db.query('INFO FOR DB');
  const tables = Object.keys(info.tables);
  await db.query(tables.map((t) => `INFO FOR TABLE ${t};`).join(' '));
}

async function engine(surrealdb, count, runs) {
  const directory = await migrationsFolder(count);
  const base = { url: 'mem://', surrealdb, namespace: 'bench', directory, logger: false };
  const samples = { replay: [], bare: [], cold: [], warm: [] };
  for (let r = 0; r < runs; r++) {
    samples.replay.push(
      await time(async () => {
        const replay = await MigrationManager.create({ ...base, database: `replay${r}`, schemaCache: false });
        await replay.runMigrationUp();
        await replay.close();
      }),
    );
    const manager = await MigrationManager.create({
      ...base,
      database: `live${r}`,
      schemaCache: await tempDir('sbl-bench-cache-'),
    });
    await manager.runMigrationUp();
    samples.bare.push(await time(() => bareInfo(manager.db)));
    for (const phase of ['cold', 'warm']) {
      let report;
      samples[phase].push(await time(async () => (report = await manager.drift())));
      if (!report.ok)
        throw new Error(`case drift: expected no drift, got ${JSON.stringify(report.drift).slice(0, 300)}`);
    }
    await manager.close();
  }
  const [replay, bare, cold, warm] = ['replay', 'bare', 'cold', 'warm'].map((k) => summarize(samples[k]));
  const floor = replay.median + bare.median;
  const label = `SurrealDB ${surrealdb}, ${count} tables`;
  return [
    row('drift', `plain replay: create + runMigrationUp (${label})`, replay, { unit: 'ms' }),
    row('drift', `bare INFO FOR DB + ${count} INFO FOR TABLE (${label})`, bare, { unit: 'ms' }),
    row('drift', `manager.drift(), nothing kept (${label})`, cold, {
      unit: 'ms',
      ratio: cold.median / floor,
      ratioOf: 'drift / (replay + bare INFO)',
      target: '<= 1.5x',
      pass: cold.median / floor <= 1.5,
    }),
    row('drift', `manager.drift(), the folder's schema kept (${label})`, warm, {
      unit: 'ms',
      ratio: warm.median / bare.median,
      ratioOf: 'drift / bare INFO',
    }),
  ];
}

export async function run({ count = COUNT, runs = 3 } = {}) {
  return [...(await engine(3, count, runs)), ...(await engine(2, count, runs))];
}
