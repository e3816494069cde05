import { Controller, Get, Inject, Module, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { Surreal } from 'surrealdb';
import request from 'supertest';
import { MigrationManager, MigrationsModule } from '../../src/index.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, MigrationsHealthIndicator } from '../../src/health/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';

type Query = Surreal['query'];

/** Replaces `db.query` (the indicator's only way to the database) for one test. */
function interceptQueries(db: Surreal, replace: (original: Query) => Query): { calls: unknown[][]; restore(): void } {
  const original = db.query;
  const calls: unknown[][] = [];
  const replacement = replace(original.bind(db) as Query);
  db.query = ((...args: unknown[]) => {
    calls.push(args);
    return (replacement as (...a: unknown[]) => unknown)(...args);
  }) as Query;
  return { calls, restore: () => void (db.query = original) };
}

const LOCK_HELD_BY_DEPLOYER =
  "CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'deployer', pid: 7, token: 't' }, acquired_at: time::now(), expires_at: time::now() + 1m }";

describe('MigrationsHealthIndicator', () => {
  let folder: TempMigrations;
  let app: INestApplication | undefined;
  beforeEach(async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0001_a.down.surql': 'REMOVE TABLE a;',
    });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await folder.dispose();
  });

  const forRoot = (extra: Record<string, unknown> = {}) =>
    MigrationsModule.forRoot({
      ...MEM,
      namespace: 't',
      database: 't',
      directory: folder.dir,
      logger: false,
      ...extra,
    });

  /** The indicator provided next to the MigrationsModule it watches. */
  async function start() {
    @Module({ imports: [TerminusModule, forRoot()], providers: [MigrationsHealthIndicator] })
    class HealthModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HealthModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { indicator: app.get(MigrationsHealthIndicator), manager: app.get(MigrationManager) };
  }

  it('is up when current, down after a rollback, and reports the lock holder', async () => {
    const { indicator, manager } = await start();
    expect(await indicator.isHealthy('migrations')).toEqual({
      migrations: { status: 'up', currentVersion: 1, latestVersion: 1, pending: 0, failed: [], lock: null },
    });
    await manager.rollback();
    await manager.db.query(LOCK_HELD_BY_DEPLOYER);
    const down = await indicator.isHealthy('migrations');
    expect(down.migrations).toEqual({
      status: 'down',
      currentVersion: 0,
      latestVersion: 1,
      pending: 1,
      failed: [],
      lock: { host: 'deployer', pid: 7, expiresAt: expect.any(String) },
    });
  });

  it('costs one request per probe', async () => {
    const { indicator, manager } = await start();
    const spy = interceptQueries(manager.db, (original) => original);
    try {
      expect((await indicator.isHealthy('migrations')).migrations.status).toBe('up');
      expect(spy.calls).toHaveLength(1);
      // status() and lockHolder() would be two requests, and read every history field.
      expect(String(spy.calls[0]![0])).toMatch(/^SELECT VALUE version FROM \$history;/);
    } finally {
      spy.restore();
    }
  });

  it("reports down with terminus's message when the database does not answer in time", async () => {
    const { indicator, manager } = await start();
    const never = { responses: () => new Promise(() => {}) };
    const spy = interceptQueries(manager.db, () => (() => never) as never);
    try {
      // The messages say which timeout fired: no clock is read here.
      expect(await indicator.isHealthy('migrations', { timeoutMs: 50 })).toEqual({
        migrations: { status: 'down', message: 'timeout of 50ms exceeded' },
      });
      // The default is terminus's own.
      expect(DEFAULT_HEALTH_TIMEOUT_MS).toBe(1000);
      const byDefault = await indicator.isHealthy('migrations');
      expect(byDefault.migrations).toEqual({ status: 'down', message: 'timeout of 1000ms exceeded' });
      await expect(indicator.isHealthy('migrations', { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    } finally {
      spy.restore();
    }
  });

  it('reports down, without throwing, when the database cannot be read', async () => {
    const { indicator, manager } = await start();
    const spy = interceptQueries(manager.db, () => () => {
      throw new Error('There is no connection available at this moment');
    });
    expect(await indicator.isHealthy('migrations')).toEqual({
      migrations: { status: 'down', message: 'There is no connection available at this moment' },
    });
    spy.restore();
  });

  it('reports down when a history row has a version that cannot be read', async () => {
    const { indicator, manager } = await start();
    await manager.db.query("CREATE _sbl_migrations:junk SET version = 'one'");
    expect((await indicator.isHealthy('migrations')).migrations).toMatchObject({
      status: 'down',
      currentVersion: 1,
      message: expect.stringMatching(/1 history row\(s\).*repair/),
    });
  });

  it('is down while a no-transaction migration has a failed record', async () => {
    await folder.write('0002_b.surql', '-- migrate:no-transaction\nDEFINE TABLE b SCHEMALESS;\nTHROW "half";');
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 't',
      database: 't',
      directory: folder.dir,
      logger: false,
    });
    try {
      // In mode 'off' the app starts despite the failed record; readiness must still say down.
      await expect(manager.runMigrationUp()).rejects.toThrow(/half/);
      @Module({
        imports: [
          TerminusModule,
          MigrationsModule.forRoot({ client: manager.db, directory: folder.dir, mode: 'off', logger: false }),
        ],
        providers: [MigrationsHealthIndicator],
      })
      class HealthModule {}
      app = (await Test.createTestingModule({ imports: [HealthModule] }).compile()).createNestApplication({
        logger: false,
      });
      await app.init();
      const result = await app.get(MigrationsHealthIndicator).isHealthy('migrations');
      expect(result.migrations).toMatchObject({ status: 'down', currentVersion: 1, failed: [2], pending: 0 });
      expect((await manager.status()).failed.map((f) => f.version)).toEqual([2]);
    } finally {
      await app?.close();
      app = undefined;
      await manager.close();
    }
  });

  describe("the README's HealthModule, as written", () => {
    @Controller('health')
    class HealthController {
      constructor(
        @Inject(HealthCheckService) private readonly health: HealthCheckService,
        @Inject(MigrationsHealthIndicator) private readonly migrations: MigrationsHealthIndicator,
      ) {}

      @Get('ready')
      @HealthCheck()
      ready() {
        return this.health.check([() => this.migrations.isHealthy('migrations')]);
      }
    }

    // Imports TerminusModule only: MigrationsModule is imported by AppModule, without isGlobal.
    @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [MigrationsHealthIndicator] })
    class HealthModule {}

    it("resolves the app's MigrationManager without isGlobal and serves readiness", async () => {
      @Module({ imports: [forRoot(), HealthModule] })
      class AppModule {}
      app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({
        logger: false,
      });
      await app.init();
      const up = await request(app.getHttpServer()).get('/health/ready').expect(200);
      expect(up.body.info.migrations).toMatchObject({ status: 'up', currentVersion: 1, pending: 0 });
      await app.get(MigrationManager).rollback();
      const down = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(down.body.error.migrations).toMatchObject({ status: 'down', pending: 1 });
    });

    it('fails the start-up, naming the fix, when the app has no MigrationsModule', async () => {
      app = (await Test.createTestingModule({ imports: [HealthModule] }).compile()).createNestApplication({
        logger: false,
      });
      await expect(app.init()).rejects.toThrow(/found no MigrationManager: import MigrationsModule\.forRoot/);
    });

    it('refuses to guess between several MigrationsModules, and uses the one it is provided next to', async () => {
      const other = await tempMigrations({ '0001_x.surql': 'DEFINE TABLE x SCHEMALESS;', '0002_y.surql': '' });
      try {
        @Module({
          imports: [TerminusModule, forRoot({ directory: other.dir, database: 'other' })],
          providers: [MigrationsHealthIndicator],
          exports: [MigrationsHealthIndicator],
        })
        class OtherHealthModule {}
        @Module({ imports: [forRoot(), OtherHealthModule, HealthModule] })
        class AppModule {}
        app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({
          logger: false,
        });
        await expect(app.init()).rejects.toThrow(/found 2 MigrationsModules: provide it in the module that imports/);
        await app.close();

        @Module({ imports: [forRoot(), OtherHealthModule] })
        class NextToItModule {}
        app = (await Test.createTestingModule({ imports: [NextToItModule] }).compile()).createNestApplication({
          logger: false,
        });
        await app.init();
        expect((await app.get(MigrationsHealthIndicator).isHealthy('m')).m).toMatchObject({
          status: 'up',
          latestVersion: 2,
        });
      } finally {
        await app?.close();
        app = undefined;
        await other.dispose();
      }
    });
  });
});
