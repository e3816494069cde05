// d. Replicas booting at once on one database against one replica alone, with 50 pending
// migrations. Timed: bootstrap() only; each replica's manager (folder read, connection) is
// created before the clock starts, as separate processes would do in parallel.
import { MigrationManager } from '../dist/index.js';
import { connect, row, startRelay, summarize } from './stats.mjs';

const REPLICAS = 8;

/**
 * `count` replicas booting at once on a fresh database. Returns the time until all are ready and
 * when the replica that took the lock (and applied everything) was done.
 */
async function boot(count, target, folder, lock) {
  const shared = target.mem ? await connect() : undefined;
  const database = `d${Math.random().toString(36).slice(2)}`;
  const managers = await Promise.all(
    Array.from({ length: count }, () =>
      MigrationManager.create({
        ...(shared ? { client: shared } : { url: target.url, namespace: 'bench', database }),
        directory: folder,
        logger: false,
        lock,
      }),
    ),
  );
  const started = performance.now();
  const finished = await Promise.all(
    managers.map(async (m) => {
      const results = await m.bootstrap();
      return { ms: performance.now() - started, applied: results.filter((r) => !r.byAnother).length };
    }),
  );
  const expected = managers[0].upMigrations.length;
  const holder = finished.find((f) => f.applied === expected);
  const applied = finished.reduce((sum, f) => sum + f.applied, 0);
  if (!holder || applied !== expected || (await managers[0].getCurrentVersion()) !== expected) {
    throw new Error(`case d: ${applied} of ${expected} applied`);
  }
  await Promise.all(managers.map((m) => m.close()));
  await shared?.close();
  return { ms: Math.max(...finished.map((f) => f.ms)), holderMs: holder.ms };
}

export async function run({ folder50, runs = 7 }) {
  const relay = await startRelay('d');
  const rows = [];
  try {
    const setups = [
      { label: 'shared mem:// client', target: { mem: true }, lock: { retryMs: 25 }, target15: true },
      { label: `ws relay, ${REPLICAS} clients`, target: { url: relay.url }, lock: { retryMs: 25 }, target15: true },
      { label: 'shared mem:// client, default lock', target: { mem: true }, lock: {}, target15: false },
    ];
    for (const { label, target, lock, target15 } of setups) {
      await boot(1, target, folder50, lock); // warm-up
      const one = [];
      const many = [];
      for (let r = 0; r < runs; r++) {
        // Alternate which goes first.
        if (r % 2) {
          many.push(await boot(REPLICAS, target, folder50, lock));
          one.push(await boot(1, target, folder50, lock));
        } else {
          one.push(await boot(1, target, folder50, lock));
          many.push(await boot(REPLICAS, target, folder50, lock));
        }
      }
      const single = summarize(one.map((b) => b.ms));
      const fleet = summarize(many.map((b) => b.ms));
      const holder = summarize(many.map((b) => b.holderMs));
      const ratio = fleet.median / single.median;
      const settings = `lock ${JSON.stringify(lock)}`;
      rows.push(row('d', `1 replica, 50 pending (${label}; ${settings})`, single, { unit: 'ms' }));
      rows.push(
        row('d', `${REPLICAS} replicas at once (${label}; ${settings})`, fleet, {
          unit: 'ms',
          ratio,
          ratioOf: `${REPLICAS} replicas / 1`,
          ...(target15 ? { target: '<= 1.5x', pass: ratio <= 1.5 } : {}),
        }),
      );
      // Where the fleet's time goes: the lock holder's own run, the rest is waiters waking up.
      rows.push(
        row('d', `  of which the lock holder's run (${label})`, holder, {
          unit: 'ms',
          ratio: holder.median / single.median,
          ratioOf: 'holder / 1 replica',
        }),
      );
    }
  } finally {
    await relay.stop();
  }
  return rows;
}
