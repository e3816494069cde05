import { WebSocketEngine, type Surreal } from 'surrealdb';
import {
  ChecksumMismatchError,
  FailedMigrationPendingError,
  MigrationManager,
  TargetsFailedError,
  UnreadableHistoryError,
  type MigrationResult,
  type MigrationTarget,
  type MigrationsOptions,
} from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { ENGINE, memClient } from '../support/engine.js';
import { connectWs, namespacesAndDatabases, startWsRelay, type WsRelay } from '../support/ws-relay.js';

/**
 * Tenants by the thousand (issue 21, item 3): a no-op start over many current tenants reads their
 * histories in batches of 100 per request on one connection, and opens no session for a target
 * with nothing to do; status() and probe() over targets read the same way. Over the relay of the
 * suite's engine, every request the SDK sends counted at the WebSocket engine.
 */

const two: Record<string, string> = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\nCREATE effect SET m = 1;',
  '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\nCREATE effect SET m = 2;',
};

const TENANTS = 300;
const BATCH = 100;

function tenants(count: number, namespace: string): MigrationTarget[] {
  return Array.from({ length: count }, (_, i) => ({ namespace, database: `t${String(i).padStart(3, '0')}` }));
}

/** Requests sent on any WebSocket connection of this process while `work` runs, by RPC method. */
async function counted<T>(
  work: () => Promise<T>,
): Promise<{ value: T; total: number; byMethod: Record<string, number> }> {
  const send = WebSocketEngine.prototype.send;
  const byMethod: Record<string, number> = {};
  WebSocketEngine.prototype.send = function (this: WebSocketEngine, request: { method: string }) {
    byMethod[request.method] = (byMethod[request.method] ?? 0) + 1;
    return (send as (this: WebSocketEngine, r: unknown) => unknown).call(this, request);
  } as typeof send;
  try {
    const value = await work();
    return { value, total: Object.values(byMethod).reduce((sum, n) => sum + n, 0), byMethod };
  } finally {
    WebSocketEngine.prototype.send = send;
  }
}

/** The namespace and database a client's own requests run in. */
async function selection(db: Surreal): Promise<unknown> {
  const [where] = await db.query<[unknown]>('RETURN [session::ns(), session::db()]');
  return where;
}

describe(`a start over many current tenants reads their histories in batches (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let relay: WsRelay;
  let folder: TempMigrations;
  let observer: Surreal;
  const managers: MigrationManager[] = [];

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://', engine: ENGINE });
    observer = await connectWs(relay.url);
    folder = await tempMigrations(two);
    // The options' own namespace and database exist: the connection selects them when it connects.
    await observer.query('DEFINE NAMESPACE home; USE NS home; DEFINE DATABASE main;').responses();
    const seed = await open({ targets: tenants(TENANTS, 'many'), concurrency: 32 });
    expect(await seed.runMigrationUp()).toHaveLength(2 * TENANTS);
    await seed.close();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await observer.close();
    await folder.dispose();
    await relay.close();
  });

  async function open(extra: Partial<MigrationsOptions>, lines?: string[]): Promise<MigrationManager> {
    const logger = lines
      ? {
          log: (m: string) => lines.push(`log ${m}`),
          warn: (m: string) => lines.push(`warn ${m}`),
          error: (m: string) => lines.push(`error ${m}`),
        }
      : false;
    const manager = await MigrationManager.create({
      url: relay.url,
      namespace: 'home',
      database: 'main',
      directory: folder.dir,
      logger,
      lock: { retryMs: 10 },
      ...extra,
    } as MigrationsOptions);
    managers.push(manager);
    return manager;
  }

  /** Runs `sql` in `target`'s database (which exists). */
  async function runIn(target: MigrationTarget, sql: string): Promise<void> {
    await observer.query(`USE NS ${target.namespace} DB ${target.database}; ${sql}`).responses();
  }

  it('USE inside a request selects for the rest of that request only, on the connection and on a session', async () => {
    await observer.query(
      'DEFINE NAMESPACE other; USE NS other; DEFINE DATABASE x; USE NS other DB x; CREATE marker:1 SET v = "x";',
    );
    await observer.query('USE NS home DB main; CREATE marker:1 SET v = "main";');
    const embedded = await memClient({ namespace: 'home', database: 'main' });
    await embedded.query(
      'DEFINE NAMESPACE other; USE NS other; DEFINE DATABASE x; USE NS other DB x; CREATE marker:1 SET v = "x";',
    );
    await embedded.query('USE NS home DB main; CREATE marker:1 SET v = "main";');
    const ws = await connectWs(relay.url, { namespace: 'home', database: 'main' });
    try {
      const clients: Surreal[] = [embedded, ws];
      for (const db of clients) {
        const within = await db.query<[null, unknown, string[]]>(
          'USE NS `other` DB `x`; RETURN [session::ns(), session::db()]; SELECT VALUE v FROM marker;',
        );
        expect(within.slice(1)).toEqual([['other', 'x'], ['x']]);
        expect(await selection(db)).toEqual(['home', 'main']);
        expect(await db.query('SELECT VALUE v FROM marker')).toEqual([['main']]);
        if (ENGINE === 'v3') {
          const session = await db.newSession();
          await session.use({ namespace: 'home', database: 'main' });
          const [, inSession] = await session.query<[null, string[]]>('USE NS other DB x; SELECT VALUE v FROM marker;');
          expect(inSession).toEqual(['x']);
          expect(await session.query('SELECT VALUE v FROM marker')).toEqual([['main']]);
          await session.closeSession();
        }
      }
    } finally {
      await embedded.close();
      await ws.close();
    }
  });

  it(`a no-op start over ${TENANTS} current tenants costs a fixed number of requests plus one per ${BATCH}`, async () => {
    const lines: string[] = [];
    const manager = await open({ targets: tenants(TENANTS, 'many') }, lines);
    const before = await selection(manager.db);
    const lists = await namespacesAndDatabases(observer);
    const { value, total, byMethod } = await counted(() => manager.runMigrationUp());
    expect(value).toEqual([]);
    // INFO FOR ROOT, one INFO FOR NS for every namespace, one request per 100 targets; on
    // SurrealDB 3 in a session of its own (opened once, kept until the manager closes), on 2 on the
    // connection itself.
    const batches = Math.ceil(TENANTS / BATCH);
    const expected: Record<string, number> =
      ENGINE === 'v3' ? { attach: 1, query: 2 + batches } : { query: 2 + batches };
    expect(byMethod).toEqual(expected);
    expect(total).toBe((ENGINE === 'v3' ? 3 : 2) + batches);
    // The log of a no-op start, as it was.
    expect(lines).toEqual([
      'log Migrations cover 300 target(s)',
      'log Migrating 300 target(s), 8 at a time',
      expect.stringMatching(/^log 300 target\(s\) current in \d+ ms: 0 migration\(s\) applied on 0 of them$/),
    ]);
    expect(await selection(manager.db)).toEqual(before);
    expect(await namespacesAndDatabases(observer)).toEqual(lists);
    // A second start reuses the session: the same requests, without opening it.
    expect((await counted(() => manager.runMigrationUp())).byMethod).toEqual({ query: 2 + batches });
  });

  it('probe() and status() over the tenants read the histories the same way', async () => {
    const manager = await open({ targets: tenants(TENANTS, 'many') });
    const batches = Math.ceil(TENANTS / BATCH);
    const probe = await counted(() => manager.probe());
    expect(probe.total).toBe((ENGINE === 'v3' ? 3 : 2) + batches);
    expect(probe.value).toMatchObject({ currentVersion: 2, latestVersion: 2, pending: 0, failed: [], unreadable: 0 });
    expect(probe.value.targets!.every((t) => t.error === null && t.currentVersion === 2)).toBe(true);
    const status = await counted(() => manager.status());
    expect(status.total).toBe(2 + batches);
    expect(status.value.ok).toBe(true);
    expect(status.value.targets.filter((t) => t.ok && t.applied.length === 2)).toHaveLength(TENANTS);
  });

  it('each target of a probe and a status reads as its own manager reads it, and nothing is created', async () => {
    const list = tenants(8, 'reports');
    const seed = await open({ targets: list.slice(0, 6) });
    await seed.runMigrationUp();
    await runIn(list[1]!, 'DELETE _sbl_migrations WHERE version = 2;');
    await runIn(list[2]!, "UPDATE _sbl_migrations SET checksum = 'changed' WHERE version = 1;");
    await runIn(list[3]!, "CREATE _sbl_migrations:bad SET version = 'not a number';");
    await runIn(
      list[4]!,
      "DELETE _sbl_migrations WHERE version = 2; CREATE _sbl_migrations_failed:2 CONTENT { version: 2, name: 'b', " +
        "file: '0002_b.surql', statements_applied: 1, statement_count: 2, error: 'boom', in_progress: true };",
    );
    // list[5] current; list[6] and list[7] have no database, and nowhere/x no namespace.
    const all = [...list, { namespace: 'nowhere', database: 'x' }];
    const lists = await namespacesAndDatabases(observer);
    const manager = await open({ targets: all });
    const probe = await manager.probe();
    const status = await manager.status();
    for (const [i, target] of all.entries()) {
      const own = manager.forTarget(target);
      const ownProbe = await own.probe();
      expect(probe.targets![i]).toEqual({
        namespace: target.namespace,
        database: target.database,
        currentVersion: ownProbe.currentVersion,
        pending: ownProbe.pending,
        failed: ownProbe.failed,
        unreadable: ownProbe.unreadable,
        error: null,
      });
      const ownStatus = await own.status().catch((error: Error) => error.message);
      if (typeof ownStatus === 'string') expect(status.targets[i]).toMatchObject({ ok: false, error: ownStatus });
      else expect(status.targets[i]).toEqual(ownStatus.targets[0]);
      await own.close();
    }
    expect(status.targets.map((t) => t.ok)).toEqual([true, false, false, false, false, true, false, false, false]);
    // Nothing was created: not the missing databases, not the missing namespace.
    expect(await namespacesAndDatabases(observer)).toEqual(lists);
  });

  it('a tenant with pending work is migrated under its lock; drift, a failed record and an unreadable history fail as they did', async () => {
    const list = tenants(12, 'mixed');
    const seed = await open({ targets: list });
    await seed.runMigrationUp();
    const [pending, drifted, failed, unreadable] = [list[2]!, list[5]!, list[7]!, list[9]!];
    await runIn(pending, 'DELETE _sbl_migrations WHERE version = 2; REMOVE TABLE b;');
    await runIn(drifted, "UPDATE _sbl_migrations SET checksum = 'changed' WHERE version = 1;");
    await runIn(
      failed,
      "DELETE _sbl_migrations WHERE version = 2; CREATE _sbl_migrations_failed:2 CONTENT { version: 2, name: 'b', " +
        "file: '0002_b.surql', statements_applied: 0, statement_count: 2, error: 'boom', failed_at: time::now(), in_progress: false };",
    );
    await runIn(unreadable, "CREATE _sbl_migrations:bad SET version = 'not a number';");

    // What each target's own manager (today's way) says.
    const own = async (target: MigrationTarget) => {
      const manager = seed.forTarget(target);
      try {
        return await manager.validate();
      } catch (error) {
        return error;
      } finally {
        await manager.close();
      }
    };
    const expectedErrors = await Promise.all([drifted, failed, unreadable].map(own));
    expect(expectedErrors[0]).toBeInstanceOf(ChecksumMismatchError);
    expect(expectedErrors[1]).toBeInstanceOf(FailedMigrationPendingError);
    expect(expectedErrors[2]).toBeInstanceOf(UnreadableHistoryError);

    const manager = await open({ targets: list, onTargetFailure: 'continue' });
    const events: string[] = [];
    manager.events.on('lockAcquired', ({ target }) => events.push(`lock ${target!.database}`));
    manager.events.on('migrated', ({ target, version }) => events.push(`migrated ${target!.database} ${version}`));
    const run = await counted(() =>
      manager.runMigrationUp().then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(run.value).toBeInstanceOf(TargetsFailedError);
    const failures = (run.value as TargetsFailedError).failures;
    expect(failures.map((f) => f.database)).toEqual([drifted.database, failed.database, unreadable.database]);
    failures.forEach((f, i) => {
      expect(f.error.constructor).toBe((expectedErrors[i] as Error).constructor);
      expect(f.error.message).toBe((expectedErrors[i] as Error).message);
    });
    expect(events).toEqual([`lock ${pending.database}`, `migrated ${pending.database} 2`]);
    // Sessions (SurrealDB 3: one more, the survey's) or connections (2: each selects its database
    // once) were opened only for the four targets that needed one.
    if (ENGINE === 'v3') expect(run.byMethod.attach).toBe(1 + 4);
    else expect(run.byMethod.use).toBe(4);
    const again = await manager.runMigrationUp().then(
      (results: MigrationResult[]) => results,
      (error: unknown) => (error as TargetsFailedError).failures.map((f) => f.database),
    );
    expect(again).toEqual([drifted.database, failed.database, unreadable.database]);
  });
});
