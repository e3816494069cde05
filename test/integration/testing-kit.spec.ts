import { Controller, Get, Inject, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MIGRATIONS_OPTIONS, MigrationManager, MigrationsModule } from '../../src/index.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../src/testing/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

describe('testing kit: createMigratedDatabase', () => {
  let folder: TempMigrations;
  beforeAll(async () => {
    folder = await tempMigrations({
      '0001_items.surql': 'DEFINE TABLE item SCHEMAFULL;\nDEFINE FIELD label ON item TYPE string;',
      '0001_items.down.surql': 'REMOVE TABLE item;',
      '0002_seed.surql': "CREATE item:seed SET label = 'seed';",
      '0002_seed.down.surql': 'DELETE item:seed;',
    });
  });
  afterAll(() => folder.dispose());

  it('gives each test its own migrated database', async () => {
    const a = await createMigratedDatabase({ directory: folder.dir });
    const b = await createMigratedDatabase({ directory: folder.dir });
    try {
      expect(a.applied.map((r) => r.version)).toEqual([1, 2]);
      await a.db.query("CREATE item:only_in_a SET label = 'a'");
      const [inA] = await a.db.query<[string[]]>('SELECT VALUE label FROM item ORDER BY label');
      const [inB] = await b.db.query<[string[]]>('SELECT VALUE label FROM item ORDER BY label');
      expect(inA).toEqual(['a', 'seed']);
      expect(inB).toEqual(['seed']);
      expect(await b.manager.getCurrentVersion()).toBe(2);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('plugs into Test.createTestingModule in place of the app’s own migration options', async () => {
    const SURREAL = Symbol('SURREAL');

    @Controller('items')
    class ItemsController {
      constructor(@Inject(SURREAL) private readonly db: MigratedDatabase['db']) {}
      @Get()
      async list() {
        const [labels] = await this.db.query<[string[]]>('SELECT VALUE label FROM item');
        return labels;
      }
    }

    @Module({
      imports: [
        // The production wiring: a real server the tests must never touch.
        MigrationsModule.forRoot({
          url: 'ws://127.0.0.1:1',
          namespace: 'prod',
          database: 'prod',
          directory: folder.dir,
        }),
      ],
      controllers: [ItemsController],
      providers: [{ provide: SURREAL, useValue: undefined }],
    })
    class AppModule {}

    const testDb = await createMigratedDatabase({ directory: folder.dir });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(MIGRATIONS_OPTIONS)
      .useValue(testDb.moduleOptions)
      .overrideProvider(SURREAL)
      .useValue(testDb.db)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      await request(app.getHttpServer()).get('/items').expect(200, ['seed']);
      expect(await app.get(MigrationManager).needsMigration()).toBe(false);
    } finally {
      await app.close();
      await testDb.dispose();
    }
  });
});
