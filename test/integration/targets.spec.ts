import { type Surreal, type SurrealSession } from 'surrealdb';
import {
  allDatabases,
  MigrationArgumentError,
  MigrationError,
  MigrationManager,
  MigrationOptionsError,
  PendingMigrationsError,
  TargetsFailedError,
  type MigrationEventMap,
  type MigrationTarget,
  type MigrationsOptions,
} from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';
import { ENGINE, itOn, memClient, sessionOn } from '../support/engine.js';
import { connectWs, startWsRelay } from '../support/ws-relay.js';

/** Four migrations, each adding a table and a row to `effect`: a second run of one would show. */
const four: Record<string, string> = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\nCREATE effect SET m = 1;',
  '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\nCREATE b:one SET v = 1;\nCREATE effect SET m = 2;',
  '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;\nCREATE effect SET m = 3;',
  '0004_d.surql': 'DEFINE TABLE d SCHEMALESS;\nCREATE effect SET m = 4;',
};
const ALL = [1, 2, 3, 4];
const USER_TABLES = ['a', 'b', 'c', 'd', 'effect'];
const BOOKKEEPING = ['_sbl_migrations', '_sbl_migrations_failed', '_sbl_migrations_lock'];

/** `tenants/t01` … : names that sort in list order. */
function tenants(count: number, namespace = 'tenants'): MigrationTarget[] {
  return Array.from({ length: count }, (_, i) => ({ namespace, database: `t${String(i + 1).padStart(2, '0')}` }));
}

const key = (t: MigrationTarget) => `${t.namespace}/${t.database}`;

/** A statement that makes a database exist on either engine, and leaves no table. */
const EXISTS = 'DEFINE PARAM $tenant VALUE true';

/** A session of its own on `db`, on `target`'s database, for the duration of `work`. */
async function inDatabase<T>(
  db: Surreal,
  target: MigrationTarget,
  work: (session: SurrealSession | Surreal) => Promise<T>,
) {
  const { session, close } = await sessionOn(db, { namespace: target.namespace, database: target.database });
  try {
    return await work(session);
  } finally {
    await close();
  }
}

interface DatabaseState {
  /** Every table of the database, sorted. */
  tables: string[];
  /** Applied versions in its history. */
  versions: number[];
  /** How many times each migration's effect ran. */
  effects: Record<number, number>;
  /** Versions with a failed record. */
  failed: number[];
  /** Lock records left. */
  locks: number;
}

/** What the migrations left in one database, read through `db` (tables that do not exist read as empty). */
function readDatabase(db: Surreal, target: MigrationTarget): Promise<DatabaseState> {
  return inDatabase(db, target, async (session) => {
    const [info] = await session.query<[{ tables?: Record<string, string> }]>('INFO FOR DB');
    const tables = Object.keys(info.tables ?? {}).sort();
    const read = async <T>(table: string, sql: string): Promise<T[]> =>
      tables.includes(table) ? (await session.query<[T[]]>(sql))[0] : [];
    const versions = await read<number>(
      '_sbl_migrations',
      'SELECT VALUE version FROM _sbl_migrations ORDER BY version',
    );
    const effects = await read<{ m: number; n: number }>('effect', 'SELECT m, count() AS n FROM effect GROUP BY m');
    const failed = await read<number>(
      '_sbl_migrations_failed',
      'SELECT VALUE version FROM _sbl_migrations_failed ORDER BY version',
    );
    const locks = await read<unknown>('_sbl_migrations_lock', 'SELECT * FROM _sbl_migrations_lock');
    return {
      tables,
      versions,
      effects: Object.fromEntries(effects.map((e) => [e.m, e.n])),
      failed,
      locks: locks.length,
    };
  });
}

/** A database where every migration of `four` ran once, and nothing is left over. */
const current: DatabaseState = {
  tables: [...BOOKKEEPING, ...USER_TABLES].sort(),
  versions: ALL,
  effects: { 1: 1, 2: 1, 3: 1, 4: 1 },
  failed: [],
  locks: 0,
};
/** A database no run touched. */
const untouched: DatabaseState = { tables: [], versions: [], effects: {}, failed: [], locks: 0 };

/** A lock held by a process elsewhere, for an hour: a run waits for it (or for its deletion). */
const PLANTED_LOCK =
  'CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: "elsewhere", pid: 4242, token: "tok-1" }, ' +
  'acquired_at: time::now(), expires_at: time::now() + 1h }';

/** Runs a statement in `target`'s database: to plant a conflict, or to create the database. */
function runIn(db: Surreal, target: MigrationTarget, sql: string): Promise<unknown> {
  return inDatabase(db, target, (session) => session.query(sql));
}

/** What a call threw (synchronously or by rejecting), or undefined. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
    return undefined;
  } catch (error) {
    return error;
  }
}

async function memClientAt(namespace = 'home', database = 'main'): Promise<Surreal> {
  return memClient({ namespace, database });
}

describe('many targets', () => {
  let folder: TempMigrations;
  const managers: MigrationManager[] = [];
  const clients: Surreal[] = [];

  beforeEach(async () => {
    folder = await tempMigrations(four);
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await folder.dispose();
  });

  async function create(options: Partial<MigrationsOptions>): Promise<MigrationManager> {
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 'home',
      database: 'main',
      directory: folder.dir,
      logger: false,
      lock: { retryMs: 10 },
      ...options,
    } as MigrationsOptions);
    managers.push(manager);
    return manager;
  }

  async function client(): Promise<Surreal> {
    const db = await memClientAt();
    clients.push(db);
    return db;
  }

  it('applies every migration once to every target, each keeping its bookkeeping in its own database', async () => {
    const list = tenants(5);
    const manager = await create({ targets: list });
    expect(manager.targets).toEqual(list);
    expect(manager.target).toBeUndefined();

    const results = await manager.runMigrationUp();
    const byTarget = new Map<string, number[]>();
    for (const r of results) {
      expect(r.byAnother).toBe(false);
      byTarget.set(key(r.target!), [...(byTarget.get(key(r.target!)) ?? []), r.version]);
    }
    expect(Object.fromEntries(byTarget)).toEqual(Object.fromEntries(list.map((t) => [key(t), ALL])));

    for (const target of list) expect(await readDatabase(manager.db, target)).toEqual(current);
    // The database the connection starts on holds no bookkeeping of any target.
    expect((await readDatabase(manager.db, { namespace: 'home', database: 'main' })).tables).toEqual([]);

    // A second run finds nothing to do, and changes nothing.
    expect(await manager.runMigrationUp()).toEqual([]);
    for (const target of list) expect(await readDatabase(manager.db, target)).toEqual(current);
  });

  it('calls a targets function with the connected client and migrates what it returns', async () => {
    const db = await client();
    await db.query(
      "CREATE tenant:acme SET ns = 'customers', db = 'acme'; CREATE tenant:globex SET ns = 'customers', db = 'globex';",
    );
    let given: Surreal | undefined;
    const manager = await create({
      url: undefined,
      namespace: undefined,
      database: undefined,
      client: db,
      targets: async (connected) => {
        given = connected;
        const [rows] = await connected.query<[{ ns: string; db: string }[]]>('SELECT ns, db FROM tenant ORDER BY db');
        return rows.map((r) => ({ namespace: r.ns, database: r.db }));
      },
    });
    expect(given).toBe(db);
    const expected = [
      { namespace: 'customers', database: 'acme' },
      { namespace: 'customers', database: 'globex' },
    ];
    expect(manager.targets).toEqual(expected);
    await manager.runMigrationUp();
    for (const target of expected) expect(await readDatabase(db, target)).toEqual(current);
    // The tenants table's database is only read.
    expect((await readDatabase(db, { namespace: 'home', database: 'main' })).tables).toEqual(['tenant']);

    // With a URL, the function gets the connection the manager opened, on the options' database.
    let seen: { namespace: string | undefined; database: string | undefined } | undefined;
    const own = await create({
      targets: (connected) => {
        seen = { namespace: connected.namespace, database: connected.database };
        return [{ namespace: 'customers', database: 'initech' }];
      },
    });
    expect(seen).toEqual({ namespace: 'home', database: 'main' });
    await own.runMigrationUp();
    expect(await readDatabase(own.db, { namespace: 'customers', database: 'initech' })).toEqual(current);
    // The app's client is the app's to close: closing the manager leaves it connected.
    await manager.close();
    expect(db.status).toBe('connected');
  });

  it('allDatabases lists every database of a namespace, in name order, and refresh() picks up new ones', async () => {
    const db = await client();
    // A definition makes each database exist: SurrealDB 3 makes one on its first use, 2 on its first write.
    for (const name of ['gamma', 'alpha', 'beta']) await runIn(db, { namespace: 'tenants', database: name }, EXISTS);
    await runIn(db, { namespace: 'others', database: 'zeta' }, EXISTS);

    const names = (list: readonly MigrationTarget[]) => list.map(key);
    expect(names(await allDatabases('tenants')(db))).toEqual(['tenants/alpha', 'tenants/beta', 'tenants/gamma']);
    // It reads in a session of its own: the client stays where it was.
    expect({ namespace: db.namespace, database: db.database }).toEqual({ namespace: 'home', database: 'main' });

    const manager = await create({
      url: undefined,
      namespace: undefined,
      database: undefined,
      client: db,
      targets: allDatabases('tenants'),
    });
    expect(names(manager.targets)).toEqual(['tenants/alpha', 'tenants/beta', 'tenants/gamma']);
    await manager.runMigrationUp();
    for (const target of manager.targets) expect(await readDatabase(db, target)).toEqual(current);
    expect(await readDatabase(db, { namespace: 'others', database: 'zeta' })).toEqual(untouched);

    // A tenant created while the app runs joins on refresh().
    await runIn(db, { namespace: 'tenants', database: 'delta' }, EXISTS);
    await manager.refresh();
    expect(names(manager.targets)).toEqual(['tenants/alpha', 'tenants/beta', 'tenants/delta', 'tenants/gamma']);
    const results = await manager.runMigrationUp();
    expect(results.map((r) => `${key(r.target!)}:${r.version}`)).toEqual(ALL.map((v) => `tenants/delta:${v}`));
    expect(await readDatabase(db, { namespace: 'tenants', database: 'delta' })).toEqual(current);

    expect(() => allDatabases('')).toThrow(MigrationOptionsError);
  });

  it('an empty namespace gives no targets, and the manager has nothing to do', async () => {
    const manager = await create({ targets: allDatabases('nobody') });
    expect(manager.targets).toEqual([]);
    // Listing a namespace that does not exist does not define it (a `use` of it would).
    const [root] = await manager.db.query<[{ namespaces: Record<string, string> }]>('INFO FOR ROOT').collect();
    expect(Object.keys(root.namespaces)).not.toContain('nobody');
    expect(await manager.runMigrationUp()).toEqual([]);
    expect(await manager.bootstrap()).toEqual([]);
    const status = await manager.status();
    expect(status).toMatchObject({ ok: true, targets: [], pending: [], applied: [], currentVersion: 0 });
    expect((await manager.probe()).targets).toEqual([]);
    await expect(manager.validate({ requireCurrent: true })).resolves.toEqual({ warnings: [], pending: 0 });

    const listed = await create({ targets: [] });
    expect(listed.targets).toEqual([]);
    expect(await listed.runMigrationUp()).toEqual([]);
  });

  it.each([
    ['an empty database name', [{ namespace: 'tenants', database: '' }], 'targets[0]', /both names/],
    ['a missing namespace', [{ namespace: 'tenants', database: 'a' }, { database: 'b' }], 'targets[1]', /both names/],
    [
      'a duplicate',
      [
        { namespace: 'tenants', database: 'a' },
        { namespace: 'tenants', database: 'b' },
        { namespace: 'tenants', database: 'a' },
      ],
      'targets[2]',
      /tenants\/a is listed twice/,
    ],
    ['not a list', 'tenants', 'targets', /a list/],
    ['a function returning a string', () => 'tenants/a', 'targets (the list the function returned)', /a list/],
    [
      'a function returning an entry without names',
      async () => [{ namespace: 'tenants', database: 'a' }, null],
      'targets (the list the function returned)[1]',
      /both names/,
    ],
    [
      'a function returning a duplicate',
      () => [
        { namespace: 'tenants', database: 'a' },
        { namespace: 'tenants', database: 'a' },
      ],
      'targets (the list the function returned)[1]',
      /listed twice/,
    ],
  ])('rejects %s, naming the field', async (_what, targets, field, problem) => {
    const error = await thrown(() => create({ targets: targets as MigrationsOptions['targets'] }));
    expect(error).toBeInstanceOf(MigrationOptionsError);
    expect((error as MigrationOptionsError).field).toBe(field);
    expect((error as Error).message).toMatch(problem);
  });

  it.each([
    [{ concurrency: 0 }, 'concurrency'],
    [{ concurrency: 1.5 }, 'concurrency'],
    [{ onTargetFailure: 'sometimes' }, 'onTargetFailure'],
  ])('rejects %j', async (options, field) => {
    const error = await thrown(() => create({ targets: tenants(2), ...(options as Partial<MigrationsOptions>) }));
    expect(error).toBeInstanceOf(MigrationOptionsError);
    expect((error as MigrationOptionsError).field).toBe(field);
  });

  it('a function that throws fails the start-up with its error', async () => {
    const error = await thrown(() =>
      create({
        targets: () => {
          throw new Error('tenant registry unavailable');
        },
      }),
    );
    expect((error as Error).message).toMatch(/tenant registry unavailable/);
  });

  it.each([1, 2, 4])(
    'migrates at most %i target(s) at a time, and reaches that bound, each in version order',
    async (concurrency) => {
      const list = tenants(7);
      // A run with fewer targets at once than allowed would wait for a release that never comes:
      // the lock wait's timeout then fails it.
      const manager = await create({ targets: list, concurrency, lock: { retryMs: 10, waitTimeoutMs: 5_000 } });
      // Each tenant's lock is held by someone else at first, so a target that starts waits, and
      // the test lets the waiting ones go only when as many as allowed wait at once (or the last
      // ones were started): the overlap does not depend on how fast a migration is.
      for (const target of list) await runIn(manager.db, target, PLANTED_LOCK);
      const events: { event: string; version: number; target: string }[] = [];
      const started = new Set<string>();
      const inFlight = new Set<string>();
      const waiting = new Set<string>();
      const releases: Promise<unknown>[] = [];
      let most = 0;
      const begin = (target: string) => {
        started.add(target);
        inFlight.add(target);
        most = Math.max(most, inFlight.size);
      };
      manager.events.subscribe({
        lockWaiting: (e) => {
          begin(key(e.target!));
          waiting.add(key(e.target!));
          if (waiting.size === concurrency || started.size === list.length) {
            for (const target of waiting) {
              releases.push(
                runIn(
                  manager.db,
                  list.find((t) => key(t) === target)!,
                  'DELETE _sbl_migrations_lock',
                ),
              );
            }
            waiting.clear();
          }
        },
        lockAcquired: (e) => {
          // Acquired without waiting: the lock was free (it must not be, here).
          if (!started.has(key(e.target!))) begin(key(e.target!));
        },
        migrating: (e) => events.push({ event: 'migrating', version: e.version, target: key(e.target!) }),
        migrated: (e) => {
          events.push({ event: 'migrated', version: e.version, target: key(e.target!) });
          if (e.version === ALL.at(-1)) inFlight.delete(key(e.target!));
        },
      });
      await manager.runMigrationUp();
      await Promise.all(releases);

      expect({ most, started: started.size, left: inFlight.size }).toEqual({
        most: concurrency,
        started: list.length,
        left: 0,
      });
      for (const target of list) {
        expect(events.filter((e) => e.target === key(target)).map((e) => `${e.event}:${e.version}`)).toEqual(
          ALL.flatMap((v) => [`migrating:${v}`, `migrated:${v}`]),
        );
        expect(await readDatabase(manager.db, target)).toEqual(current);
      }
    },
  );

  it("'stop' (the default): a failing target stops the run, names it, and leaves every database consistent", async () => {
    // Migration 2 runs outside a transaction here, so a failure leaves a failed record.
    await folder.write('0002_b.surql', '-- migrate:no-transaction\nCREATE b:one SET v = 1;\nCREATE effect SET m = 2;');
    const list = tenants(5);
    const bad = list[2]!;
    const started: string[] = [];
    const manager = await create({
      targets: list,
      concurrency: 1,
      on: { lockAcquired: (e) => started.push(key(e.target!)) },
    });
    // The conflict: the record migration 2 creates is already there in this tenant's database.
    await runIn(manager.db, bad, 'CREATE b:one SET v = 0');

    const error = await thrown(() => manager.runMigrationUp());
    expect(error).toBeInstanceOf(TargetsFailedError);
    const failed = error as TargetsFailedError;
    expect(failed.code).toBe('TARGETS_FAILED');
    expect(failed.failures.map((f) => key(f))).toEqual(['tenants/t03']);
    expect(failed.failures[0]!.error).toBeInstanceOf(MigrationError);
    expect((failed.failures[0]!.error as MigrationError).version).toBe(2);
    expect(failed.notStarted.map(key)).toEqual(['tenants/t04', 'tenants/t05']);
    expect(failed.total).toBe(5);
    expect(failed.message).toMatch(/failed on 1 of 5 target\(s\); 2 target\(s\) were not started/);
    expect(failed.message).toContain('tenants/t03: Migration 2');
    expect(started).toEqual(['tenants/t01', 'tenants/t02', 'tenants/t03']);

    for (const target of list.slice(0, 2)) expect(await readDatabase(manager.db, target)).toEqual(current);
    expect(await readDatabase(manager.db, bad)).toEqual({
      tables: [...BOOKKEEPING, 'a', 'b', 'effect'].sort(),
      versions: [1],
      effects: { 1: 1 },
      failed: [2],
      locks: 0,
    });
    const [rows] = await inDatabase(manager.db, bad, (s) => s.query<[{ v: number }[]]>('SELECT v FROM b'));
    expect(rows).toEqual([{ v: 0 }]);
    for (const target of list.slice(3)) expect(await readDatabase(manager.db, target)).toEqual(untouched);

    // status() reads every target, the failed one and those not started too.
    const status = await manager.status();
    expect(status.ok).toBe(false);
    expect(status.targets.map((t) => [key(t), t.ok, t.currentVersion, t.pending.length, t.failed.length])).toEqual([
      ['tenants/t01', true, 4, 0, 0],
      ['tenants/t02', true, 4, 0, 0],
      // Migration 2 is counted as failed (it awaits the operator), not as pending.
      ['tenants/t03', false, 1, 2, 1],
      ['tenants/t04', false, 0, 4, 0],
      ['tenants/t05', false, 0, 4, 0],
    ]);
    expect(status.targets.every((t) => t.error === null)).toBe(true);
    expect(status.currentVersion).toBe(0);
    expect(status.applied).toEqual([]);
    expect(status.pending.map((p) => p.version)).toEqual(ALL);
    expect(status.failed.map((f) => f.version)).toEqual([2]);
    const probe = await manager.probe();
    expect(probe.targets!.map((t) => [key(t), t.currentVersion, t.pending, t.failed, t.error])).toEqual([
      ['tenants/t01', 4, 0, [], null],
      ['tenants/t02', 4, 0, [], null],
      ['tenants/t03', 1, 2, [2], null],
      ['tenants/t04', 0, 4, [], null],
      ['tenants/t05', 0, 4, [], null],
    ]);
    expect(probe).toMatchObject({ currentVersion: 0, latestVersion: 4, pending: 10, failed: [2] });

    // Once the operator removed the conflict and settled the failed attempt, a run finishes the rest.
    await runIn(manager.db, bad, 'DELETE b:one');
    const tenant = manager.forTarget(bad);
    await tenant.resolve(2, 'rolled-back');
    await tenant.close();
    await manager.runMigrationUp();
    for (const target of list) expect(await readDatabase(manager.db, target)).toEqual(current);
    expect((await manager.status()).ok).toBe(true);
  });

  it("'continue': migrates every other target, then fails naming only the one that failed", async () => {
    const list = tenants(5);
    const bad = list[1]!;
    const manager = await create({ targets: list, concurrency: 2, onTargetFailure: 'continue' });
    await runIn(manager.db, bad, 'CREATE b:one SET v = 0');

    const error = await thrown(() => manager.runMigrationUp());
    expect(error).toBeInstanceOf(TargetsFailedError);
    const failed = error as TargetsFailedError;
    expect(failed.failures.map(key)).toEqual(['tenants/t02']);
    expect((failed.failures[0]!.error as MigrationError).version).toBe(2);
    expect(failed.notStarted).toEqual([]);
    expect(failed.message).toMatch(/^Migrations failed on 1 of 5 target\(s\):\n {2}- tenants\/t02: Migration 2/);
    expect(failed.message).not.toMatch(/not started|tenants\/t0[1345]/);

    for (const target of list) {
      if (target === bad) continue;
      expect(await readDatabase(manager.db, target)).toEqual(current);
    }
    // The transactional migration 2 left nothing, not even a failed record.
    expect(await readDatabase(manager.db, bad)).toEqual({
      tables: [...BOOKKEEPING, 'a', 'b', 'effect'].sort(),
      versions: [1],
      effects: { 1: 1 },
      failed: [],
      locks: 0,
    });

    const status = await manager.status();
    expect(status.targets.map((t) => [key(t), t.ok])).toEqual(list.map((t) => [key(t), t !== bad]));
    expect(status).toMatchObject({ ok: false, currentVersion: 1, latestVersion: 4, failed: [] });
    expect(status.applied.map((a) => a.version)).toEqual([1]);
    expect(status.pending.map((p) => p.version)).toEqual([2, 3, 4]);
    const probe = await manager.probe();
    expect(probe).toMatchObject({ currentVersion: 1, pending: 3, failed: [], lock: null });
    expect(probe.targets!.find((t) => key(t) === 'tenants/t02')).toEqual({
      ...bad,
      currentVersion: 1,
      pending: 3,
      failed: [],
      unreadable: 0,
      error: null,
    });
    expect(await manager.needsMigration()).toBe(true);
  });

  it('events and log lines say which target they are about', async () => {
    const list = tenants(3);
    const lines: string[] = [];
    const log = (message: string) => lines.push(message);
    const seen: { event: string; target: MigrationTarget | undefined }[] = [];
    const manager = await create({
      targets: list,
      logger: { log, warn: log, error: log },
      on: {
        lockAcquired: (e) => seen.push({ event: 'lockAcquired', target: e.target }),
        migrating: (e) => seen.push({ event: 'migrating', target: e.target }),
        migrated: (e) => seen.push({ event: 'migrated', target: e.target }),
      },
    });
    const fromEvents = new Map<string, number>();
    manager.events.on('migrated', (e: MigrationEventMap['migrated']) =>
      fromEvents.set(key(e.target!), (fromEvents.get(key(e.target!)) ?? 0) + 1),
    );
    await manager.runMigrationUp();

    expect(seen).toHaveLength(3 * (1 + 2 * ALL.length));
    expect(seen.every((e) => e.target !== undefined && list.some((t) => key(t) === key(e.target!)))).toBe(true);
    expect(Object.fromEntries(fromEvents)).toEqual(Object.fromEntries(list.map((t) => [key(t), ALL.length])));

    const applied = lines.filter((l) => l.includes('Applied migration'));
    expect(applied).toHaveLength(list.length * ALL.length);
    for (const target of list) {
      expect(applied.filter((l) => l.startsWith(`[${key(target)}] Applied migration `))).toHaveLength(ALL.length);
    }
    expect(lines).toContain('Migrations cover 3 target(s)');
  });

  it('forTarget() migrates a tenant created at run time, on the shared connection', async () => {
    const manager = await create({ targets: tenants(2) });
    await manager.runMigrationUp();
    const seen: string[] = [];
    manager.events.on('migrated', (e) => seen.push(`${key(e.target!)}:${e.version}`));

    const signup = { namespace: 'tenants', database: 'new_customer' };
    await runIn(manager.db, signup, 'DEFINE DATABASE IF NOT EXISTS new_customer');
    const tenant = manager.forTarget(signup);
    expect(tenant.target).toEqual(signup);
    expect(tenant.targets).toEqual([signup]);
    const results = await tenant.runMigrationUp();
    expect(results.map((r) => [r.version, r.byAnother])).toEqual(ALL.map((v) => [v, false]));
    expect(await tenant.getCurrentVersion()).toBe(4);
    expect((await tenant.status()).targets.map((t) => [key(t), t.ok])).toEqual([['tenants/new_customer', true]]);
    // Its events reach the parent's listeners, naming the tenant.
    expect(seen).toEqual(ALL.map((v) => `tenants/new_customer:${v}`));
    // mem:// is private to one connection: the tenant's migrations are visible on the parent's.
    expect(await readDatabase(manager.db, signup)).toEqual(current);
    // Its own session is on the tenant's database.
    const session = await tenant.session();
    expect({ namespace: session.namespace, database: session.database }).toEqual(signup);
    expect(() => tenant.db).toThrow(MigrationArgumentError);

    // Closing a tenant manager leaves the connection open.
    await tenant.close();
    expect(manager.db.status).toBe('connected');
    expect(await thrown(() => tenant.getCurrentVersion())).toBeInstanceOf(Error);
    expect(await manager.forTarget(signup).getCurrentVersion()).toBe(4);

    expect(() => manager.forTarget({ namespace: 'tenants', database: '' })).toThrow(MigrationArgumentError);
  });

  it('closing the parent closes the connection its forTarget managers share', async () => {
    const manager = await create({ targets: tenants(1) });
    const tenant = manager.forTarget({ namespace: 'tenants', database: 'late' });
    await tenant.runMigrationUp();
    const db = manager.db;
    await manager.close();
    expect(db.status).toBe('disconnected');
    expect(await thrown(() => tenant.runMigrationUp())).toBeInstanceOf(Error);
    expect(await thrown(() => tenant.status())).toBeInstanceOf(Error);
    expect(() => manager.forTarget({ namespace: 'tenants', database: 'later' })).toThrow(MigrationArgumentError);
  });

  it('a single-database manager hands out forTarget managers too, and its status has one entry', async () => {
    const manager = await create({});
    expect(manager.target).toEqual({ namespace: 'home', database: 'main' });
    await manager.runMigrationUp();
    const status = await manager.status();
    expect(status.targets.map((t) => [key(t), t.ok, t.currentVersion])).toEqual([['home/main', true, 4]]);
    const other = manager.forTarget({ namespace: 'tenants', database: 'solo' });
    await other.runMigrationUp();
    expect(await readDatabase(manager.db, { namespace: 'tenants', database: 'solo' })).toEqual(current);
  });

  it('single-database methods on a manager of many targets point to forTarget()', async () => {
    const manager = await create({ targets: tenants(2) });
    const calls: [string, () => unknown][] = [
      ['rollback', () => manager.rollback()],
      ['drift', () => manager.drift()],
      ['plan', () => manager.plan()],
      ['dryRun', () => manager.dryRun()],
      ['baseline', () => manager.baseline(1)],
      ['resolve', () => manager.resolve(1, 'applied')],
      ['repair', () => manager.repair()],
      ['migrateTo', () => manager.migrateTo(1)],
      ['getCurrentVersion', () => manager.getCurrentVersion()],
      ['isEmpty', () => manager.isEmpty()],
      ['lockHolder', () => manager.lockHolder()],
      ['forceUnlock', () => manager.forceUnlock()],
      ['runner.runOneUp', () => manager.runner.runOneUp()],
      ['runner.runOneDown', () => manager.runner.runOneDown()],
    ];
    for (const [method, call] of calls) {
      const error = await thrown(call);
      expect({ method, error }).toEqual({ method, error: expect.any(MigrationArgumentError) });
      expect((error as Error).message).toMatch(/forTarget/);
    }
    // Nothing ran anywhere.
    for (const target of manager.targets) expect(await readDatabase(manager.db, target)).toEqual(untouched);
  });

  it("mode 'validate' over targets fails naming the pending ones, and passes once all are current", async () => {
    const db = await client();
    const list = tenants(4);
    const base = { url: undefined, namespace: undefined, database: undefined, client: db };
    const applier = await create({ ...base, targets: [list[0]!, list[2]!] });
    await applier.runMigrationUp();

    const validator = await create({ ...base, targets: list, mode: 'validate' });
    const error = await thrown(() => validator.bootstrap());
    expect(error).toBeInstanceOf(TargetsFailedError);
    const failed = error as TargetsFailedError;
    expect(failed.failures.map(key)).toEqual(['tenants/t02', 'tenants/t04']);
    expect(failed.failures.every((f) => f.error instanceof PendingMigrationsError)).toBe(true);
    expect(failed.notStarted).toEqual([]);
    expect(failed.message).toMatch(
      /^Validation failed on 2 of 4 target\(s\):\n {2}- tenants\/t02: .*\n[\s\S]*tenants\/t04: /,
    );
    // Validation applies nothing.
    for (const target of [list[1]!, list[3]!]) expect(await readDatabase(db, target)).toEqual(untouched);

    await (await create({ ...base, targets: list })).runMigrationUp();
    await expect(validator.bootstrap()).resolves.toEqual([]);
  });

  /** The databases of `namespace`, read without creating any. */
  async function databasesOf(db: Surreal, namespace: string): Promise<string[]> {
    const [root] = await db.query<[{ namespaces: Record<string, string> }]>('INFO FOR ROOT');
    if (!Object.hasOwn(root.namespaces, namespace)) return [];
    // A USE inside a request moves only that request, on either engine.
    const [, info] = await db.query<[unknown, { databases: Record<string, string> }]>(
      `USE NS ${namespace}; INFO FOR NS;`,
    );
    return Object.keys(info.databases).sort();
  }

  it('reads a target whose database does not exist as an empty one, and creates nothing; up creates it', async () => {
    const db = await client();
    const list = tenants(3);
    const base = { url: undefined, namespace: undefined, database: undefined, client: db };
    await (await create({ ...base, targets: [list[0]!] })).runMigrationUp();
    const manager = await create({ ...base, targets: list });

    const status = await manager.status();
    expect(status.targets.map((t) => [t.database, t.ok, t.pending.length, t.error])).toEqual([
      ['t01', true, 0, null],
      ['t02', false, 4, null],
      ['t03', false, 4, null],
    ]);
    const probe = await manager.probe();
    expect(probe.targets!.map((t) => [t.database, t.pending])).toEqual([
      ['t01', 0],
      ['t02', 4],
      ['t03', 4],
    ]);
    expect(await manager.needsMigration()).toBe(true);
    await expect(manager.validate()).resolves.toEqual({ warnings: [], pending: 8 });
    const lone = manager.forTarget(list[1]!);
    expect((await lone.status()).pending).toHaveLength(4);
    expect(await lone.drift()).toMatchObject({ ok: true, drift: [] });
    expect(await lone.getCurrentVersion()).toBe(0);
    expect(await lone.isEmpty()).toBe(true);
    await lone.close();
    // None of those reads made a database.
    expect(await databasesOf(db, 'tenants')).toEqual(['t01']);
    // A namespace that does not exist is not made either.
    const elsewhere = await create({ ...base, targets: [{ namespace: 'nowhere', database: 'x' }] });
    expect((await elsewhere.status()).targets[0]).toMatchObject({ ok: false, error: null });
    const [root] = await db.query<[{ namespaces: Record<string, string> }]>('INFO FOR ROOT');
    expect(Object.keys(root.namespaces)).not.toContain('nowhere');

    await manager.runMigrationUp();
    expect(await databasesOf(db, 'tenants')).toEqual(['t01', 't02', 't03']);
    expect((await manager.status()).ok).toBe(true);
  });

  it('reads still answer after a stop request; runs refuse', async () => {
    const manager = await create({ targets: tenants(2) });
    await manager.runMigrationUp();
    await manager.runner.stop();
    expect((await manager.status()).ok).toBe(true);
    expect((await manager.probe()).pending).toBe(0);
    await expect(manager.validate({ requireCurrent: true })).resolves.toEqual({ warnings: [], pending: 0 });
    expect(await manager.needsMigration()).toBe(false);
    await expect(manager.runMigrationUp()).rejects.toThrow(/Stopped/);
  });

  itOn(['v3'], 'SurrealDB 2 has no sessions to count (each target has a connection of its own)')(
    'refresh() closes the sessions of targets no longer listed',
    async () => {
      const db = await client();
      let listed = tenants(3);
      const manager = await create({
        url: undefined,
        namespace: undefined,
        database: undefined,
        client: db,
        targets: () => listed,
      });
      await manager.runMigrationUp();
      const before = (await db.sessions()).length;
      listed = listed.slice(0, 1);
      await manager.refresh();
      expect(manager.targets).toEqual(listed);
      expect((await db.sessions()).length).toBe(before - 2);
    },
  );

  it('a forTarget manager names its target in its results; each line is logged once, by the manager it is about', async () => {
    const lines: string[] = [];
    const logger = {
      log: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(m),
      error: (m: string) => lines.push(m),
    };
    const manager = await create({ logger });
    const own = manager.forTarget({ namespace: 'home', database: 'main' });
    const results = await own.runMigrationUp();
    expect(results.map((r) => r.target)).toEqual(ALL.map(() => ({ namespace: 'home', database: 'main' })));
    const applied = lines.filter((l) => l.includes('Applied migration'));
    expect(applied).toHaveLength(4);
    expect(applied.every((l) => l.startsWith('[home/main] '))).toBe(true);
    await own.close();
  });

  it('refuses a concurrency that is not a whole number >= 1, saying what it got', async () => {
    for (const concurrency of [0, -3, 1.5]) {
      const error = await thrown(() => create({ targets: tenants(1), concurrency }));
      expect(error).toBeInstanceOf(MigrationOptionsError);
      expect((error as MigrationOptionsError).field).toBe('concurrency');
      expect((error as Error).message).toContain(`got ${concurrency}.`);
    }
  });

  it('keys targets by both names: a `/` in a name is not a duplicate', async () => {
    const manager = await create({
      targets: [
        { namespace: 'a/b', database: 'c' },
        { namespace: 'a', database: 'b/c' },
      ],
    });
    expect(manager.targets).toHaveLength(2);
  });

  it('a forTarget manager used after its parent closed says it is closed', async () => {
    const manager = await create({ targets: tenants(1) });
    const tenant = manager.forTarget({ namespace: 'tenants', database: 't01' });
    await tenant.runMigrationUp();
    await manager.close();
    for (const call of [
      () => tenant.status(),
      () => tenant.runMigrationUp(),
      () => tenant.rollback(),
      () => tenant.session(),
    ]) {
      const error = await thrown(call);
      expect(error).toBeInstanceOf(MigrationArgumentError);
      expect((error as Error).message).toBe(
        'The manager of tenants/t01 is closed (closing the manager that made it closes it too); get a new one with forTarget() from an open manager.',
      );
    }
    expect(() => manager.forTarget({ namespace: 'tenants', database: 't01' })).toThrow(/closed/);
  });

  it('forTarget names the bad argument without an index', async () => {
    const manager = await create({ targets: tenants(1) });
    expect(() => manager.forTarget({ namespace: '', database: 'x' })).toThrow(
      /^forTarget: expected `\{ namespace, database \}` with both names, got an object with the keys namespace, database\.$/,
    );
  });

  it('refresh() reads the folder even when the targets function fails', async () => {
    let fail = false;
    const manager = await create({
      targets: () => {
        if (fail) throw new Error('tenants table unreachable');
        return tenants(1);
      },
    });
    fail = true;
    await folder.write('0005_e.surql', 'DEFINE TABLE e SCHEMALESS;');
    await expect(manager.refresh()).rejects.toThrow('tenants table unreachable');
    expect(manager.getLatestVersion()).toBe(5);
    expect(manager.targets).toEqual(tenants(1));
  });

  it("after a stop request, the error says targets were not started because of it, not because of 'stop'", async () => {
    const db = await client();
    const list = tenants(3);
    const base = { url: undefined, namespace: undefined, database: undefined, client: db };
    await runIn(db, list[0]!, 'DEFINE TABLE b SCHEMALESS;');
    const manager = await create({ ...base, targets: list, concurrency: 1, onTargetFailure: 'continue' });
    // The first target fails; the stop is asked for when it does, so that the others are not started.
    manager.events.on('failed', () => void manager.runner.stop());
    const error = await thrown(() => manager.runMigrationUp());
    expect(error).toBeInstanceOf(TargetsFailedError);
    const failed = error as TargetsFailedError;
    expect(failed.failures.map(key)).toEqual(['tenants/t01']);
    expect(failed.notStarted.map(key)).toEqual(['tenants/t02', 'tenants/t03']);
    expect(failed.message).toContain('2 target(s) were not started (a stop was requested)');
    expect(failed.message).not.toContain("onTargetFailure 'stop'");
  });

  it('probe({ timeoutMs }) names the targets that did not answer in time instead of waiting for them', async () => {
    const manager = await create({ targets: tenants(3) });
    await manager.runMigrationUp();
    const late = await manager.probe({ timeoutMs: 0 });
    expect(late.targets!.map((t) => [t.database, t.error])).toEqual([
      ['t01', 'no answer within 0 ms'],
      ['t02', 'no answer within 0 ms'],
      ['t03', 'no answer within 0 ms'],
    ]);
    const inTime = await manager.probe({ timeoutMs: 60_000 });
    expect(inTime.targets!.every((t) => t.error === null && t.pending === 0)).toBe(true);
  });

  itOn(['v3'], 'on SurrealDB 2 each target has a connection of its own, which closing the manager’s leaves open')(
    'needsMigration() over targets says which could not be read, rather than "nothing to do"',
    async () => {
      const manager = await create({ targets: tenants(2), connect: { timeoutMs: 200 } });
      await manager.runMigrationUp();
      await folder.write('0005_e.surql', 'DEFINE TABLE e SCHEMALESS;');
      await manager.refresh();
      expect(await manager.needsMigration()).toBe(true);
      await manager.db.close();
      const error = await thrown(() => manager.needsMigration());
      expect(error).toBeInstanceOf(TargetsFailedError);
      expect((error as TargetsFailedError).failures.map(key)).toEqual(['tenants/t01', 'tenants/t02']);
    },
  );

  it('a server client with several targets: sessions on SurrealDB 3; refused in one sentence on 2, which has none', async () => {
    const relay = await startWsRelay({ path: 'mem://' });
    const db = await connectWs(relay.url, { namespace: 'home', database: 'main' });
    try {
      const options = { url: undefined, namespace: undefined, database: undefined, client: db, targets: tenants(2) };
      if (ENGINE === 'v2') {
        const error = await thrown(() => create(options));
        expect(error).toBeInstanceOf(MigrationOptionsError);
        expect(error).toMatchObject({ field: 'targets' });
        expect((error as Error).message).toBe(
          'Invalid migrations option `targets`: this server has no sessions (SurrealDB 2; SurrealDB 3 has them), ' +
            'so targets cannot share the `client` given; give `url` instead, and each target gets a connection of its own.',
        );
      } else {
        const manager = await create(options);
        expect((await manager.runMigrationUp()).length).toBe(2 * ALL.length);
        for (const target of tenants(2)) expect(await readDatabase(db, target)).toEqual(current);
      }
    } finally {
      await db.close();
      await relay.close();
    }
  });
});
