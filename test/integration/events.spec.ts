import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MigrationEvents, MigrationManager, MigrationsModule, type MigrationEventName } from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';

describe('events', () => {
  let folder: TempMigrations;
  afterEach(() => folder.dispose());

  it('reach an injected subscriber and option callbacks, in order, for up, down, failure and the lock', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0001_a.down.surql': 'REMOVE TABLE a;',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
    });
    const seen: string[] = [];
    const callbacks: string[] = [];

    @Injectable()
    class Metrics implements OnModuleInit {
      constructor(@Inject(MigrationEvents) private readonly events: MigrationEvents) {}
      onModuleInit() {
        // Subscribed before onApplicationBootstrap, so it sees the bootstrap's own migrations.
        const names: MigrationEventName[] = [
          'migrating',
          'migrated',
          'failed',
          'rollingBack',
          'rolledBack',
          'lockWaiting',
          'lockAcquired',
        ];
        for (const name of names) {
          this.events.on(name, (e) => seen.push('version' in e ? `${name}:${e.version}` : name));
        }
      }
    }

    @Module({
      imports: [
        MigrationsModule.forRoot({
          ...MEM,
          namespace: 't',
          database: 't',
          directory: folder.dir,
          logger: false,
          lock: { retryMs: 10 },
          on: { migrated: (e) => callbacks.push(`migrated:${e.version}:${typeof e.durationMs}`) },
        }),
      ],
      providers: [Metrics],
    })
    class AppModule {}

    const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({
      logger: false,
    });
    try {
      await app.init();
      expect(seen).toEqual(['lockAcquired', 'migrating:1', 'migrated:1', 'migrating:2', 'migrated:2']);
      expect(callbacks).toEqual(['migrated:1:number', 'migrated:2:number']);

      const manager = app.get(MigrationManager);
      seen.length = 0;
      await expect(manager.rollback({ to: 0 })).rejects.toThrow(/no down script for version 2/);
      expect(seen).toEqual([]);

      await folder.write('0002_b.down.surql', 'REMOVE TABLE b;');
      await folder.write('0003_c.surql', 'THROW "c fails";');
      await manager.refresh();
      await manager.rollback();
      expect(seen).toEqual(['lockAcquired', 'rollingBack:2', 'rolledBack:2']);

      seen.length = 0;
      // A lease held by someone else that expires shortly: the run waits, then takes it over.
      await manager.db.query(
        "CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'h', pid: 1, token: 'x' }, acquired_at: time::now(), expires_at: time::now() + 200ms }",
      );
      await expect(manager.runMigrationUp()).rejects.toThrow(/c fails/);
      expect(seen).toEqual(['lockWaiting', 'lockAcquired', 'migrating:2', 'migrated:2', 'migrating:3', 'failed:3']);
    } finally {
      await app.close();
    }
  });
});
