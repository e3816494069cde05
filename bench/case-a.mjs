// a. Boot with nothing pending: needsMigration() against the smallest query, and the round trips
// of a whole no-op bootstrap.
import { MigrationManager } from '../dist/index.js';
import { connect, counting, row, summarize, time } from './stats.mjs';

const APPLIED = 500;
const WARMUP = 50;
const SAMPLES = 300;

export async function run({ folder500 }) {
  const db = await connect();
  const setup = await MigrationManager.create({ client: db, directory: folder500, logger: false });
  await setup.runMigrationUp();
  if ((await setup.getCurrentVersion()) !== APPLIED) throw new Error('case a: setup did not apply everything');

  // Round trips of a whole no-op bootstrap (create + bootstrap).
  const counter = counting(db);
  const booted = await MigrationManager.create({ client: counter.client, directory: folder500, logger: false });
  const applied = await booted.bootstrap();
  if (applied.length !== 0) throw new Error('case a: the no-op bootstrap applied something');
  const trips = counter.count();

  const manager = booted;
  const smallest = () => manager.db.query('SELECT VALUE version FROM _sbl_migrations');
  for (let i = 0; i < WARMUP; i++) {
    if (await manager.needsMigration()) throw new Error('case a: needsMigration() says true');
    await smallest();
  }
  const module = [];
  const floor = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Interleaved, and alternating which goes first.
    if (i % 2) {
      module.push(await time(() => manager.needsMigration()));
      floor.push(await time(smallest));
    } else {
      floor.push(await time(smallest));
      module.push(await time(() => manager.needsMigration()));
    }
  }
  await db.close();

  const m = summarize(module);
  const f = summarize(floor);
  const ratio = m.median / f.median;
  return [
    row(
      'a',
      'no-op bootstrap round trips',
      { median: trips, min: trips, max: trips, n: 1 },
      {
        unit: 'queries',
        target: '<= 2',
        pass: trips <= 2,
      },
    ),
    row('a', `SELECT VALUE version (floor, ${APPLIED} rows)`, f, { unit: 'ms' }),
    row('a', `needsMigration() (${APPLIED} applied)`, m, {
      unit: 'ms',
      ratio,
      ratioOf: 'needsMigration / floor',
      target: '<= 1.5x',
      pass: ratio <= 1.5,
    }),
  ];
}
