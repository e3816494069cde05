import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { MigrationManager, MigrationsModule } from '../../src/index.js';
import { MigrationsHealthIndicator } from '../../src/health/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

describe('MigrationsHealthIndicator', () => {
  let folder: TempMigrations;
  afterEach(() => folder.dispose());

  async function start() {
    @Module({
      imports: [
        TerminusModule,
        MigrationsModule.forRoot({
          url: 'mem://',
          namespace: 't',
          database: 't',
          directory: folder.dir,
          logger: false,
        }),
      ],
      providers: [MigrationsHealthIndicator],
    })
    class HealthModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HealthModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { app, indicator: app.get(MigrationsHealthIndicator), manager: app.get(MigrationManager) };
  }

  it('is up when current, down after a rollback, and reports the lock holder', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0001_a.down.surql': 'REMOVE TABLE a;',
    });
    const { app, indicator, manager } = await start();
    try {
      expect(await indicator.isHealthy('migrations')).toEqual({
        migrations: {
          status: 'up',
          currentVersion: 1,
          latestVersion: 1,
          pending: 0,
          failed: [],
          drifted: [],
          lock: null,
        },
      });
      await manager.rollback();
      await manager.db.query(
        "CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'deployer', pid: 7, token: 't' }, acquired_at: time::now(), expires_at: time::now() + 1m }",
      );
      const down = await indicator.isHealthy('migrations');
      expect(down.migrations).toMatchObject({
        status: 'down',
        currentVersion: 0,
        pending: 1,
        lock: { host: 'deployer', pid: 7, expiresAt: expect.any(String) },
      });
    } finally {
      await app.close();
    }
  });

  it('is down while a no-transaction migration has a failed record', async () => {
    folder = await tempMigrations({
      '0001_a.surql': '-- migrate:no-transaction\nDEFINE TABLE a SCHEMALESS;\nTHROW "half";',
    });
    const manager = await MigrationManager.create({
      url: 'mem://',
      namespace: 't',
      database: 't',
      directory: folder.dir,
      logger: false,
    });
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
    const app = (await Test.createTestingModule({ imports: [HealthModule] }).compile()).createNestApplication({
      logger: false,
    });
    try {
      await app.init();
      const result = await app.get(MigrationsHealthIndicator).isHealthy('migrations');
      expect(result.migrations).toMatchObject({ status: 'down', failed: [1], pending: 0 });
    } finally {
      await app.close();
      await manager.close();
    }
  });
});
