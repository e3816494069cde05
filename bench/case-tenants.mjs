// tenants. Many tenants (issue 14): one manager of `targets` keeping 100 tenant databases current,
// 20 migrations each (case b's migration without its index, so that every engine closes).
// 1. Applying them all: runMigrationUp() of a manager created (untimed) on a fresh engine, with the
//    default concurrency against one target after another, and other concurrencies as a sweep,
//    the order rotating from round to round.
// 2. A no-op start over the 100 current tenants: create() + runMigrationUp(), in time and in
//    requests: every RPC the SDK sends to an engine (attach, use, query…), counted at the engines'
//    send(), which forked sessions go through as well.
// On mem:// (a fresh engine per run; the no-op start on a shared client, as case a) and over the
// ws relay (one engine in a child process, the remote path; a fresh namespace per run).
// 3. Tenants by the thousand (issue 21): a no-op start over 1 000 current tenants on one shared
//    mem:// client, create() + runMigrationUp(), side by side with one bare history read per
//    tenant sent one after another on the same client (one request each: `USE NS … DB …;` and the
//    history read's two SELECTs). Target <= 0.4x on SurrealDB 3; measured and reported on 2.
import { NodeEngine } from '@surrealdb/node';
import { WebSocketEngine } from 'surrealdb';
import { createClient } from '../dist/core/db/connection.js';
import { DEFAULT_CONCURRENCY, MigrationManager } from '../dist/index.js';
import { connect, migrationScript, migrationsFolder, row, startRelay, summarize, time } from './stats.mjs';

const TENANTS = 100;
const MIGRATIONS = 20;
const SWEEP = [2, 4, 16, 32];

/** Case b's migration `v` without its DEFINE INDEX line. */
const tenantScript = (v) =>
  migrationScript(v)
    .split('\n')
    .filter((line) => !line.startsWith('DEFINE INDEX'))
    .join('\n');

const tenants = (namespace) =>
  Array.from({ length: TENANTS }, (_, i) => ({ namespace, database: `tenant_${String(i).padStart(3, '0')}` }));

/** Requests sent to any engine since the last {@link takeRequests}, by RPC method. */
const tally = new Map();

/** Counts every request of the embedded and the ws engines; returns the undo. */
function countRequests() {
  const undo = [NodeEngine, WebSocketEngine].map((Engine) => {
    const send = Engine.prototype.send;
    Engine.prototype.send = function (request) {
      tally.set(request.method, (tally.get(request.method) ?? 0) + 1);
      return send.call(this, request);
    };
    return () => (Engine.prototype.send = send);
  });
  return () => undo.forEach((restore) => restore());
}

function takeRequests() {
  const byMethod = Object.fromEntries(tally);
  tally.clear();
  return { total: Object.values(byMethod).reduce((sum, n) => sum + n, 0), byMethod };
}

/** Every tenant has the 20 history rows and the last migration's writes (one request). */
async function verify(db, targets) {
  const sql = targets
    .map(
      (t) =>
        `USE NS ${t.namespace} DB ${t.database}; ` +
        `RETURN { versions: (SELECT VALUE version FROM _sbl_migrations ORDER BY version), score: t${MIGRATIONS}:2.score };`,
    )
    .join('\n');
  const responses = await db.query(sql).responses();
  targets.forEach((t, i) => {
    const { success, result, error } = responses[2 * i + 1];
    const versions = result?.versions ?? [];
    if (!success || versions.length !== MIGRATIONS || versions.at(-1) !== MIGRATIONS || result.score !== MIGRATIONS) {
      throw new Error(`case tenants: ${t.database} is not current: ${error?.message ?? JSON.stringify(result)}`);
    }
  });
}

/** One run of part 1: every tenant migrated from empty by one manager; runMigrationUp() timed. */
async function applyAll({ url, namespace, remote }, directory, concurrency) {
  const targets = tenants(namespace);
  const manager = await MigrationManager.create({ url, namespace, targets, directory, concurrency, logger: false });
  try {
    takeRequests();
    let results;
    const ms = await time(async () => {
      results = await manager.runMigrationUp();
    });
    const requests = takeRequests();
    if (results.length !== TENANTS * MIGRATIONS) {
      throw new Error(`case tenants: ${results.length} of ${TENANTS * MIGRATIONS} migrations applied`);
    }
    await verify(manager.db, targets);
    // The relay's one engine would keep every run's tenants.
    if (remote) await manager.db.query(`REMOVE NAMESPACE ${namespace}`);
    return { ms, requests };
  } finally {
    await manager.close();
  }
}

/** Part 1 on one engine kind: `runs` rounds of 1 and the default, the first `sweepRuns` with the sweep too. */
async function applyRows(setup, directory, runs, sweepRuns) {
  let fresh = 0;
  const place = () => ({ ...setup, namespace: setup.remote ? `tenants_${fresh++}` : 'tenants' });
  await applyAll(place(), directory, DEFAULT_CONCURRENCY); // warm-up
  const all = [1, DEFAULT_CONCURRENCY, ...SWEEP].sort((a, b) => a - b);
  const samples = new Map(all.map((c) => [c, []]));
  let requests;
  for (let r = 0; r < runs; r++) {
    const variants = r < sweepRuns ? all : [1, DEFAULT_CONCURRENCY];
    for (const c of variants.map((_, i) => variants[(i + r) % variants.length])) {
      const run = await applyAll(place(), directory, c);
      samples.get(c).push(run.ms);
      if (c === DEFAULT_CONCURRENCY) requests = run.requests;
    }
  }
  const one = summarize(samples.get(1));
  const label = `${TENANTS} x ${MIGRATIONS} migrations, ${setup.label}`;
  const rows = [
    row('tenants', `concurrency 1, one target after another (${label})`, one, {
      unit: 'ms',
      perTenantMs: one.median / TENANTS,
    }),
  ];
  for (const c of all.filter((c) => c !== 1)) {
    const s = summarize(samples.get(c));
    rows.push(
      row('tenants', `concurrency ${c}${c === DEFAULT_CONCURRENCY ? ' (default)' : ''} (${label})`, s, {
        unit: 'ms',
        perTenantMs: s.median / TENANTS,
        ratio: s.median / one.median,
        ratioOf: `concurrency ${c} / 1`,
      }),
    );
  }
  const perTenant = requests.total / TENANTS;
  rows.push(
    row(
      'tenants',
      `requests per tenant applying ${MIGRATIONS} (${setup.label})`,
      { median: perTenant, min: perTenant, max: perTenant, n: 1 },
      { unit: 'requests', total: requests.total, byMethod: requests.byMethod },
    ),
  );
  return rows;
}

/**
 * Part 2: `runs` no-op starts over 100 current tenants, create() + runMigrationUp() timed and
 * counted; close() (which ends the sessions) counted apart. On mem:// the data lives in one
 * client, given as `client`; over the relay each start opens its own connection from the url.
 */
async function noopRows(setup, directory, runs) {
  const namespace = 'noop';
  const targets = tenants(namespace);
  const client = setup.remote ? undefined : await connect('mem://', namespace, targets[0].database);
  const where = client ? { client } : { url: setup.url, namespace };
  const options = { ...where, targets, directory, logger: false };
  const setupManager = await MigrationManager.create(options);
  await setupManager.runMigrationUp();
  await verify(setupManager.db, targets);
  await setupManager.close();

  const samples = [];
  let requests;
  let closeRequests;
  for (let r = 0; r <= runs; r++) {
    takeRequests();
    let manager;
    const ms = await time(async () => {
      manager = await MigrationManager.create(options);
      const results = await manager.runMigrationUp();
      if (results.length !== 0) throw new Error(`case tenants: the no-op start applied ${results.length}`);
    });
    requests = takeRequests();
    await manager.close();
    closeRequests = takeRequests();
    if (r > 0) samples.push(ms); // the first is a warm-up
  }
  if (setup.remote) {
    const cleaner = await MigrationManager.create(options);
    await cleaner.db.query(`REMOVE NAMESPACE ${namespace}`);
    await cleaner.close();
  }
  await client?.close();

  const how = client ? 'mem://, shared client' : `${setup.label}, connection included`;
  const s = summarize(samples);
  const perTenant = requests.total / TENANTS;
  return [
    row('tenants', `no-op start, ${TENANTS} current tenants: create() + runMigrationUp() (${how})`, s, {
      unit: 'ms',
      perTenantMs: s.median / TENANTS,
    }),
    row('tenants', `no-op start: requests (${how})`, summarize([requests.total]), {
      unit: 'requests',
      byMethod: requests.byMethod,
      closeRequests: closeRequests.total,
    }),
    row('tenants', `no-op start: requests per tenant (${how})`, summarize([perTenant]), {
      unit: 'requests',
      byMethod: Object.fromEntries(Object.entries(requests.byMethod).map(([m, n]) => [m, n / TENANTS])),
    }),
  ];
}

const MANY = 1000;

/** One bare history read: the two SELECTs a history read sends. */
const BARE_READ =
  'SELECT version, name, checksum, applied_at, duration_ms FROM _sbl_migrations; ' +
  'SELECT version, name, file, checksum, statements_applied, statement_count, error, failed_at, ' +
  'direction, in_progress, running_statement, holder, resume_after FROM _sbl_migrations_failed';

/** A client of a new in-memory SurrealDB 3 (`v3`) or 2 (`v2`, the embedded @surrealdb/wasm). */
async function memClientOf(engine, namespace, database) {
  if (engine === 'v3') return connect('mem://', namespace, database);
  const db = await createClient('mem://', 2);
  await db.connect('mem://', { namespace, database });
  return db;
}

/**
 * `count` tenants current on `directory`: the first migrated by a manager, the others given its
 * bookkeeping tables and rows, 100 tenants per request (the no-op start reads only the history;
 * that it then applies nothing is checked).
 */
async function seedThousand(client, targets, directory) {
  const first = await MigrationManager.create({ client, targets: [targets[0]], directory, logger: false });
  await first.runMigrationUp();
  await first.close();
  const [, rows] = await client
    .query(`USE NS ${targets[0].namespace} DB ${targets[0].database}; SELECT * FROM _sbl_migrations;`)
    .collect();
  for (let start = 1; start < targets.length; start += 100) {
    const sql = targets
      .slice(start, start + 100)
      .map(
        (t) =>
          `USE NS ${t.namespace} DB ${t.database}; DEFINE TABLE _sbl_migrations SCHEMALESS; ` +
          'DEFINE TABLE _sbl_migrations_failed SCHEMALESS; DEFINE TABLE _sbl_migrations_lock SCHEMALESS; ' +
          'INSERT INTO _sbl_migrations $rows;',
      )
      .join('\n');
    for (const response of await client.query(sql, { rows }).responses()) if (!response.success) throw response.error;
  }
}

/**
 * Part 3 on one engine: `runs` rounds (and a warm-up) of the no-op start over 1 000 current
 * tenants and of the bare reads, in turn, on one client.
 */
async function thousandRows(engine, directory, runs) {
  const namespace = 'thousand';
  const targets = Array.from({ length: MANY }, (_, i) => ({ namespace, database: `t${String(i).padStart(4, '0')}` }));
  const client = await memClientOf(engine, 'home', 'main');
  try {
    await seedThousand(client, targets, directory);
    const options = { client, targets, directory, logger: false };
    const samples = { noop: [], bare: [] };
    let requests;
    for (let r = 0; r <= runs; r++) {
      const order = r % 2 ? ['bare', 'noop'] : ['noop', 'bare'];
      for (const name of order) {
        takeRequests();
        let manager;
        const ms = await time(async () => {
          if (name === 'bare') {
            for (const t of targets)
              await client.query(`USE NS ${t.namespace} DB ${t.database}; ${BARE_READ}`).responses();
            return;
          }
          manager = await MigrationManager.create(options);
          const results = await manager.runMigrationUp();
          if (results.length !== 0) throw new Error(`case tenants: the no-op start applied ${results.length}`);
        });
        if (name === 'noop') requests = takeRequests();
        await manager?.close();
        if (r > 0) samples[name].push(ms); // the first round is a warm-up
      }
    }
    const label = `${MANY} current tenants, mem://, SurrealDB ${engine === 'v3' ? 3 : 2}, shared client`;
    const bare = summarize(samples.bare);
    const noop = summarize(samples.noop);
    const ratio = noop.median / bare.median;
    return [
      row('tenants', `bare history read per tenant, one after another (${label})`, bare, { unit: 'ms' }),
      row('tenants', `no-op start: create() + runMigrationUp() (${label})`, noop, {
        unit: 'ms',
        ratio,
        ratioOf: 'no-op start / bare reads',
        // The target holds on SurrealDB 3; on 2 the same figure is measured and reported.
        ...(engine === 'v3' ? { target: '<= 0.4x', pass: ratio <= 0.4 } : {}),
      }),
      // Counted at the engines' send(): the SurrealDB 3 engine's (the wasm engine's are not).
      ...(engine === 'v3'
        ? [
            row(
              'tenants',
              `no-op start: requests per 100 tenants (${label})`,
              summarize([(requests.total * 100) / MANY]),
              {
                unit: 'requests',
                total: requests.total,
                byMethod: requests.byMethod,
              },
            ),
          ]
        : []),
    ];
  } finally {
    await client.close();
  }
}

export async function run({ runs = 5, sweepRuns = 3, remoteRuns = 3, noopRuns = 7, thousandRuns = 5 } = {}) {
  const directory = await migrationsFolder(MIGRATIONS, tenantScript);
  const restore = countRequests();
  const relay = await startRelay('tenants');
  try {
    const mem = { label: 'mem://, fresh engine', url: 'mem://', remote: false };
    const ws = { label: 'ws relay', url: relay.url, remote: true };
    return [
      ...(await applyRows(mem, directory, runs, sweepRuns)),
      ...(await noopRows(mem, directory, noopRuns)),
      ...(await applyRows(ws, directory, remoteRuns, remoteRuns)),
      ...(await noopRows(ws, directory, noopRuns)),
      ...(await thousandRows('v3', directory, thousandRuns)),
      ...(await thousandRows('v2', directory, thousandRuns)),
    ];
  } finally {
    restore();
    await relay.stop();
  }
}
