import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MigrationManager, MigrationRunner, MigrationsModule } from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';
import { memClient } from '../support/engine.js';

const CONFIG = Symbol('CONFIG');

describe('MigrationsModule', () => {
  let folder: TempMigrations;
  beforeEach(async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
  });
  afterEach(() => folder.dispose());

  it('forRootAsync with isGlobal: injected options, and providers visible app-wide', async () => {
    @Module({ providers: [{ provide: CONFIG, useValue: { dir: folder.dir } }], exports: [CONFIG] })
    class ConfigModule {}

    @Injectable()
    class Consumer {
      constructor(
        @Inject(MigrationManager) readonly manager: MigrationManager,
        @Inject(MigrationRunner) readonly runner: MigrationRunner,
      ) {}
    }
    // Does not import MigrationsModule: it relies on isGlobal.
    @Module({ providers: [Consumer] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        MigrationsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { dir: string }) => ({
            ...MEM,
            namespace: 't',
            database: 't',
            directory: config.dir,
            logger: false,
          }),
          isGlobal: true,
        }),
        FeatureModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const consumer = app.get(Consumer);
    expect(consumer.runner).toBe(consumer.manager.runner);
    expect(await consumer.manager.getCurrentVersion()).toBe(1);
    const db = consumer.manager.db;
    await app.close();
    // A connection the module opened is closed with the app.
    expect(db.status).toBe('disconnected');
  });

  it('uses a client it is given and never closes it', async () => {
    const db = await memClient({ namespace: 't', database: 't' });
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [MigrationsModule.forRoot({ client: db, directory: folder.dir, logger: false })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      await app.close();
      expect(db.status).toBe('connected');
      const [versions] = await db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations');
      expect(versions).toEqual([1]);
    } finally {
      await db.close();
    }
  });

  it("does nothing at bootstrap in mode 'off', and still provides the services", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MigrationsModule.forRoot({
          ...MEM,
          namespace: 't',
          database: 't',
          directory: folder.dir,
          mode: 'off',
          logger: false,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const manager = app.get(MigrationManager);
      expect(await manager.getCurrentVersion()).toBe(0);
      const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
      expect(info.tables).toEqual({});
      await manager.runMigrationUp();
      expect(await manager.getCurrentVersion()).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('sends no credentials to an embedded engine', async () => {
    // An embedded engine has no users: a sign-in attempt would fail.
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 't',
      database: 't',
      auth: { username: 'root', password: 'not-a-user-here' },
      directory: folder.dir,
      logger: false,
    });
    try {
      expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([1]);
    } finally {
      await manager.close();
    }
  });

  it('fails at start-up with the option at fault', async () => {
    await expect(
      Test.createTestingModule({
        imports: [MigrationsModule.forRoot({ ...MEM, namespace: 't', database: 't', table: 'bad-name' })],
      }).compile(),
    ).rejects.toThrow(/Invalid migrations option `table`/);
  });
});
