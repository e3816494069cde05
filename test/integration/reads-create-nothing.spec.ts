import { HealthIndicatorService } from '@nestjs/terminus';
import type { ModuleRef } from '@nestjs/core';
import type { Surreal } from 'surrealdb';
import { allDatabases, MigrationError, MigrationManager, type MigrationsOptions } from '../../src/index.js';
import { MigrationsHealthIndicator } from '../../src/health/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import {
  connectWs,
  RELAY_AUTH,
  RELAY_ROOT,
  startWsRelay,
  type WsRelay,
  namespacesAndDatabases,
} from '../support/ws-relay.js';
import { ENGINE } from '../support/engine.js';

/**
 * Reads create nothing (issue 19, item 7): on SurrealDB 3 a `use` of a namespace or database
 * that does not exist defines it, the connection's own included. Every library read of a
 * namespace or a database that does not exist leaves the server's lists as they were: over a
 * server (the relay of the suite's engine) signed in as root.
 */
describe(`reads of what does not exist create nothing (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let relay: WsRelay;
  let folder: TempMigrations;
  let observer: Surreal;
  const managers: MigrationManager[] = [];

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://', engine: ENGINE, ...RELAY_ROOT });
    observer = await connectWs(relay.url, {}, { auth: { ...RELAY_AUTH } });
    // One namespace that exists, with one database.
    await observer.query('DEFINE NAMESPACE acme; USE NS acme; DEFINE DATABASE live;').responses();
  });
  afterAll(async () => {
    await observer.close();
    await relay.close();
  });
  beforeEach(async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS; DEFINE PARAM $since VALUE time::now();',
      '0001_a.down.surql': 'REMOVE TABLE a; REMOVE PARAM $since;',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
      '0002_b.down.surql': 'REMOVE TABLE b;',
    });
  });
  afterEach(async () => {
    for (const manager of managers.splice(0).reverse()) await manager.close();
    await folder.dispose();
  });

  async function open(extra: Partial<MigrationsOptions>): Promise<MigrationManager> {
    const manager = await MigrationManager.create({
      url: relay.url,
      auth: { ...RELAY_AUTH },
      directory: folder.dir,
      logger: false,
      ...extra,
    } as MigrationsOptions);
    managers.push(manager);
    return manager;
  }

  const serverLists = () => namespacesAndDatabases(observer);

  /** Every read of a manager of one database, with what each answers. */
  async function readAll(manager: MigrationManager) {
    const indicator = new MigrationsHealthIndicator(new HealthIndicatorService(), {} as ModuleRef, manager);
    return {
      status: await manager.status(),
      currentVersion: await manager.getCurrentVersion(),
      needsMigration: await manager.needsMigration(),
      isEmpty: await manager.isEmpty(),
      probe: await manager.probe(),
      validate: await manager.validate(),
      plan: await manager.plan(),
      planDown: await manager.plan({ direction: 'down' }),
      dryRun: await manager.dryRun(),
      drift: await manager.drift(),
      lockHolder: await manager.lockHolder(),
      unlocked: await manager.forceUnlock(),
      health: await indicator.isHealthy('migrations'),
    };
  }

  function expectNothingApplied(reads: Awaited<ReturnType<typeof readAll>>): void {
    expect(reads.status).toMatchObject({ currentVersion: 0, applied: [], ok: false });
    expect(reads.status.pending.map((p) => p.version)).toEqual([1, 2]);
    expect(reads.currentVersion).toBe(0);
    expect(reads.needsMigration).toBe(true);
    expect(reads.isEmpty).toBe(true);
    expect(reads.probe).toMatchObject({ currentVersion: 0, latestVersion: 2, pending: 2, failed: [], lock: null });
    expect(reads.validate).toEqual({ warnings: [], pending: 2 });
    expect(reads.plan.migrations.map((m) => m.version)).toEqual([1, 2]);
    expect(reads.planDown.migrations).toEqual([]);
    // Running it here would create the database (SurrealDB 3's `use`, SurrealDB 2's failed
    // transaction): tried on an empty shadow instead, and said so.
    expect(reads.dryRun).toMatchObject({ notVerifiable: [], absent: true });
    expect(reads.dryRun.verified.map((m) => m.version)).toEqual([1, 2]);
    expect(reads.drift).toMatchObject({ ok: true, drift: [], computed: [] });
    expect(reads.lockHolder).toBeUndefined();
    expect(reads.unlocked).toBeUndefined();
    expect(reads.health.migrations).toMatchObject({ status: 'down', pending: 2 });
  }

  it.each([
    ['a namespace that does not exist', { namespace: 'saaas', database: 'live' }],
    ['a database that does not exist in a namespace that does', { namespace: 'acme', database: 'typo' }],
  ])('every read of %s answers "nothing applied" and creates nothing', async (_, where) => {
    const before = await serverLists();
    const manager = await open(where);
    expectNothingApplied(await readAll(manager));
    // A manager of its own for the same database: each read is also the first request.
    for (const read of [
      (m: MigrationManager) => m.status(),
      (m: MigrationManager) => m.drift(),
      (m: MigrationManager) => m.dryRun(),
      (m: MigrationManager) => m.probe(),
    ]) {
      await read(await open(where));
    }
    expect(await serverLists()).toEqual(before);
  });

  it('a dry run of a database that does not exist finds a failing migration, and creates nothing', async () => {
    await folder.write(
      '0003_fails.surql',
      'DEFINE TABLE c SCHEMALESS;\nCREATE c:1 SET n = 1;\nCREATE c:1 SET n = 2;\n',
    );
    const before = await serverLists();
    const manager = await open({ namespace: 'saaas', database: 'live' });
    const failure = await manager.dryRun().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ version: 3, line: 3 });
    expect((failure as Error).message).toContain('0003_fails.surql:3:1');
    expect(await serverLists()).toEqual(before);
  });

  it('a manager that found its database missing sees it once another process creates and migrates it', async () => {
    const reader = await open({ namespace: 'later', database: 'made' });
    expect((await reader.status()).applied).toEqual([]);
    expect((await serverLists()).later).toBeUndefined();
    const writer = await open({ namespace: 'later', database: 'made' });
    await writer.runMigrationUp();
    const status = await reader.status();
    expect(status.applied.map((a) => a.version)).toEqual([1, 2]);
    expect(status.pending).toEqual([]);
    expect(await reader.needsMigration()).toBe(false);
    expect((await reader.drift()).ok).toBe(true);
  });

  it('a write still creates it, and the app may use manager.db on it (selected on its first query)', async () => {
    const manager = await open({ namespace: 'fresh', database: 'app' });
    expect(await manager.needsMigration()).toBe(true);
    expect((await serverLists()).fresh).toBeUndefined();
    await manager.db.query('CREATE note:1 SET text = "kept"').responses();
    expect((await serverLists()).fresh).toEqual(['app']);
    const [texts] = await manager.db.query<[string[]]>('SELECT VALUE text FROM note').collect();
    expect(texts).toEqual(['kept']);
    // The manager now reads the database that exists, and migrates it.
    await manager.runMigrationUp();
    expect(await manager.getCurrentVersion()).toBe(2);
    const other = await open({ namespace: 'made', database: 'byup' });
    await other.runMigrationUp();
    expect((await serverLists()).made).toEqual(['byup']);
  });

  it('reads over many targets, one of them in a namespace that does not exist, create nothing', async () => {
    const before = await serverLists();
    // The connection's own namespace does not exist either: it is not selected.
    const manager = await open({
      namespace: 'saaas',
      targets: [
        { namespace: 'acme', database: 'live' },
        { namespace: 'acme', database: 'typo' },
        { namespace: 'saaas', database: 'one' },
      ],
    });
    const status = await manager.status();
    expect(status.targets.map((t) => [t.namespace, t.database, t.currentVersion, t.pending.length, t.error])).toEqual([
      ['acme', 'live', 0, 2, null],
      ['acme', 'typo', 0, 2, null],
      ['saaas', 'one', 0, 2, null],
    ]);
    expect(await manager.needsMigration()).toBe(true);
    expect((await manager.probe()).pending).toBe(6);
    await expect(manager.validate()).resolves.toMatchObject({ pending: 6 });
    for (const target of manager.targets) {
      const tenant = manager.forTarget(target);
      expect((await tenant.drift()).ok).toBe(true);
      expect((await tenant.plan()).migrations).toHaveLength(2);
      await tenant.close();
    }
    expect(await serverLists()).toEqual(before);
  });

  it('the databases of a namespace that does not exist are none, and listing them creates nothing', async () => {
    const before = await serverLists();
    const manager = await open({ namespace: 'saaas', targets: allDatabases('saaas') });
    expect(manager.targets).toEqual([]);
    expect((await manager.status()).targets).toEqual([]);
    expect(await manager.needsMigration()).toBe(false);
    expect(await serverLists()).toEqual(before);
  });
});
