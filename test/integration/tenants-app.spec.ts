import { Module, type INestApplication } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { Surreal, SurrealSession } from 'surrealdb';
import {
  MIGRATIONS_OPTIONS,
  MigrationArgumentError,
  MigrationManager,
  MigrationsModule,
  TargetsFailedError,
  allDatabases,
  type MigrationTarget,
} from '../../src/index.js';
import { MigrationsHealthIndicator } from '../../src/health/index.js';
import { createMigratedTenants, type MigratedTenants } from '../../src/testing/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM, SURREALDB } from '../support/engine.js';

const FILES = {
  '0001_person.surql': 'DEFINE TABLE person SCHEMAFULL; DEFINE FIELD name ON person TYPE string;',
  '0001_person.down.surql': 'REMOVE TABLE person;',
  '0002_age.surql': 'DEFINE FIELD age ON person TYPE option<int>;',
  '0002_age.down.surql': 'REMOVE FIELD age ON person;',
};

const tenants = (...names: string[]): MigrationTarget[] => names.map((database) => ({ namespace: 'saas', database }));

async function versions(session: SurrealSession): Promise<number[]> {
  const [rows] = await session
    .query<[number[]]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version')
    .collect();
  return rows;
}

describe('many tenants in a Nest app', () => {
  let folder: TempMigrations;
  let app: INestApplication | undefined;
  beforeEach(async () => {
    folder = await tempMigrations(FILES);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await folder.dispose();
  });

  async function start(options: Record<string, unknown>) {
    @Module({
      imports: [
        TerminusModule,
        MigrationsModule.forRoot({
          ...(options.client ? {} : MEM),
          directory: folder.dir,
          logger: false,
          ...options,
        }),
      ],
      providers: [MigrationsHealthIndicator],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } catch (error) {
      app = undefined;
      throw error;
    }
    return { manager: app.get(MigrationManager), indicator: app.get(MigrationsHealthIndicator) };
  }

  it('migrates every target at bootstrap; health is up, then down naming the tenant a rollback left behind', async () => {
    const { manager, indicator } = await start({ namespace: 'saas', targets: tenants('acme', 'globex', 'initech') });
    for (const target of manager.targets) {
      expect(await versions(await manager.forTarget(target).session())).toEqual([1, 2]);
    }
    const up = await indicator.isHealthy('migrations');
    expect(up.migrations).toMatchObject({ status: 'up', targets: 3, notCurrent: [], pending: 0 });

    const globex = manager.forTarget({ namespace: 'saas', database: 'globex' });
    await globex.rollback();
    await globex.close();
    const down = await indicator.isHealthy('migrations');
    expect(down.migrations).toMatchObject({
      status: 'down',
      targets: 3,
      pending: 1,
      notCurrent: [{ target: 'saas/globex', pending: 1, failed: [] }],
    });
    expect(down.migrations.message).toBe('1 of 3 target(s) not current: saas/globex (1 pending)');

    // A history row whose version cannot be read, in another tenant: named too.
    const initech = manager.forTarget({ namespace: 'saas', database: 'initech' });
    await (await initech.session()).query("CREATE _sbl_migrations:junk SET version = 'x'").collect();
    await initech.close();
    const worse = await indicator.isHealthy('migrations');
    expect(worse.migrations.message).toBe(
      '2 of 3 target(s) not current: saas/globex (1 pending), saas/initech (1 unreadable history row(s))',
    );

    const status = await manager.status();
    expect(status.ok).toBe(false);
    expect(status.targets.map((t) => [t.database, t.currentVersion, t.ok])).toEqual([
      ['acme', 2, true],
      ['globex', 1, false],
      // Its history cannot be read: the entry says why, and the other targets are still reported.
      ['initech', 0, false],
    ]);
    expect(status.targets[2]!.error).toMatch(/_sbl_migrations:junk/);
    expect(status.pending.map((p) => p.version)).toEqual([2]);
    expect(status.applied.map((a) => a.version)).toEqual([1]);
  });

  it('takes its targets from a function of the connected client (every database of a namespace)', async () => {
    const { manager } = await start({
      namespace: 'saas',
      targets: async (db: Surreal) => {
        // The tenants' databases exist before the app starts (a mem:// engine is new: made here).
        await db.query('DEFINE DATABASE b2; DEFINE DATABASE b1; DEFINE DATABASE b3;').collect();
        return allDatabases('saas')(db);
      },
    });
    expect(manager.targets.map((t) => t.database)).toEqual(['b1', 'b2', 'b3']);
    for (const target of manager.targets) {
      expect(await versions(await manager.forTarget(target).session())).toEqual([1, 2]);
    }
  });

  describe('a tenant whose database rejects a migration', () => {
    let kit: MigratedTenants;
    beforeEach(async () => {
      kit = await createMigratedTenants({
        surrealdb: SURREALDB,
        directory: folder.dir,
        tenants: ['ok1', 'bad', 'ok2'],
        namespace: 'saas',
      });
      const bad = kit.tenants.find((t) => t.database === 'bad')!;
      await bad.db.query('DEFINE TABLE audit SCHEMALESS;').collect();
      await folder.write('0003_audit.surql', 'DEFINE TABLE audit SCHEMAFULL;');
    });
    afterEach(() => kit.dispose());
    const targets = () => kit.tenants.map(({ namespace, database }) => ({ namespace, database }));
    const current = async () =>
      Object.fromEntries(await Promise.all(kit.tenants.map(async (t) => [t.database, await versions(t.db)])));

    it("fails the start-up naming it, and starts no further tenant (onTargetFailure 'stop')", async () => {
      const failure = await start({ client: kit.db, targets: targets(), concurrency: 1 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      app = undefined;
      expect(failure).toBeInstanceOf(TargetsFailedError);
      const error = failure as TargetsFailedError;
      expect(error.failures.map((f) => `${f.namespace}/${f.database}`)).toEqual(['saas/bad']);
      expect(error.notStarted).toEqual([{ namespace: 'saas', database: 'ok2' }]);
      expect(error.message).toContain('saas/bad: ');
      expect(error.message).toContain('0003_audit.surql');
      expect(await current()).toEqual({ ok1: [1, 2, 3], bad: [1, 2], ok2: [1, 2] });
    });

    it("migrates every other tenant, then fails naming it (onTargetFailure 'continue')", async () => {
      const failure = await start({
        client: kit.db,
        targets: targets(),
        concurrency: 1,
        onTargetFailure: 'continue',
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      app = undefined;
      expect(failure).toBeInstanceOf(TargetsFailedError);
      expect((failure as TargetsFailedError).notStarted).toEqual([]);
      expect((failure as TargetsFailedError).message).toMatch(
        /^Migrations failed on 1 of 3 target\(s\):\n {2}- saas\/bad: /,
      );
      expect(await current()).toEqual({ ok1: [1, 2, 3], bad: [1, 2], ok2: [1, 2, 3] });
    });
  });
});

describe('createMigratedTenants', () => {
  let folder: TempMigrations;
  let kit: MigratedTenants | undefined;
  beforeEach(async () => {
    folder = await tempMigrations(FILES);
  });
  afterEach(async () => {
    await kit?.dispose();
    kit = undefined;
    await folder.dispose();
  });

  it('makes several migrated tenants, isolated from each other, in one engine', async () => {
    kit = await createMigratedTenants({ surrealdb: SURREALDB, directory: folder.dir, tenants: 3 });
    expect(kit.tenants.map((t) => `${t.namespace}/${t.database}`)).toEqual([
      'test/tenant_1',
      'test/tenant_2',
      'test/tenant_3',
    ]);
    for (const tenant of kit.tenants) expect(await versions(tenant.db)).toEqual([1, 2]);
    expect(kit.applied).toHaveLength(6);
    expect(new Set(kit.applied.map((r) => r.target?.database))).toEqual(new Set(['tenant_1', 'tenant_2', 'tenant_3']));

    const [one, two] = kit.tenants;
    await one!.db.query("CREATE person:ada SET name = 'Ada'").collect();
    const [inOne] = await one!.db.query<[unknown[]]>('SELECT * FROM person').collect();
    const [inTwo] = await two!.db.query<[unknown[]]>('SELECT * FROM person').collect();
    expect(inOne).toHaveLength(1);
    expect(inTwo).toEqual([]);
  });

  it('refuses tenants it cannot make, with an argument error', async () => {
    for (const tenants of [0, 1.5, [], 'acme', [{ namespace: 'a' }], ['x', 'x']]) {
      await expect(
        createMigratedTenants({ surrealdb: SURREALDB, directory: folder.dir, tenants: tenants as unknown as number }),
      ).rejects.toThrow(MigrationArgumentError);
    }
  });

  it('gives module options that boot an app over the tenants in validate mode', async () => {
    kit = await createMigratedTenants({
      surrealdb: SURREALDB,
      directory: folder.dir,
      tenants: ['acme', 'globex'],
      namespace: 'saas',
    });
    @Module({
      imports: [MigrationsModule.forRoot({ ...MEM, namespace: 'x', database: 'x', directory: folder.dir })],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(MIGRATIONS_OPTIONS)
      .useValue(kit.moduleOptions)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const manager = app.get(MigrationManager);
      expect(manager.settings.mode).toBe('validate');
      expect(manager.targets.map((t) => t.database)).toEqual(['acme', 'globex']);
      expect((await manager.status()).ok).toBe(true);
    } finally {
      await app.close();
    }
  });
});
