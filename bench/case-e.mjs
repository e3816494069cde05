// e. status() with 10 000 history rows (planted with bulk INSERTs) and the 10 000 matching
// files in the folder.
import { RecordId } from 'surrealdb';
import { MigrationManager } from '../dist/index.js';
import { connect, row, summarize, time } from './stats.mjs';

const PLANT_BATCH = 500;

export async function run({ folder10k, runs = 10 }) {
  const db = await connect();
  const manager = await MigrationManager.create({ client: db, directory: folder10k, logger: false });
  const appliedAt = new Date();
  const rows = manager.upMigrations.map((m) => ({
    id: new RecordId('_sbl_migrations', m.version),
    version: m.version,
    name: m.name,
    checksum: m.checksum,
    applied_at: appliedAt,
    duration_ms: 3,
  }));
  // Batches of 500: one INSERT of all 10 000 rows takes the embedded engine ~33 s and ~6 GB.
  await db.query('DEFINE TABLE _sbl_migrations SCHEMALESS');
  for (let i = 0; i < rows.length; i += PLANT_BATCH) {
    await db.query('INSERT INTO _sbl_migrations $rows RETURN NONE', { rows: rows.slice(i, i + PLANT_BATCH) });
  }

  const status = await manager.status(); // warm-up, and a check that the rows match the files
  if (
    status.applied.length !== rows.length ||
    status.pending.length ||
    status.drifted.length ||
    status.missing.length
  ) {
    throw new Error('case e: the planted history does not match the folder');
  }
  const floorQuery = () => db.query('SELECT * FROM _sbl_migrations; SELECT * FROM _sbl_migrations_failed').responses();
  await floorQuery();
  const module = [];
  const floor = [];
  for (let r = 0; r < runs; r++) {
    module.push(await time(() => manager.status()));
    floor.push(await time(floorQuery));
  }
  await db.close();
  const s = summarize(module);
  const f = summarize(floor);
  return [
    row('e', `history read alone: SELECT * x2 (${rows.length} rows)`, f, { unit: 'ms' }),
    row('e', `status(), ${rows.length} rows, ${rows.length} files`, s, {
      unit: 'ms',
      ratio: s.median / f.median,
      ratioOf: 'status / history read',
      target: '< 100 ms',
      pass: s.median < 100,
    }),
  ];
}
