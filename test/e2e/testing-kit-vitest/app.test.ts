// Globals only (no import from 'vitest'): the repository type-checks this file with Jest's types.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MIGRATIONS_OPTIONS, MigrationManager, MigrationsModule } from 'nestjs-surrealdb-migrations';
import { createMigratedDatabase, type MigratedDatabase } from 'nestjs-surrealdb-migrations/testing';

const SURREAL = Symbol('SURREAL');

@Controller('items')
class ItemsController {
  constructor(@Inject(SURREAL) private readonly db: MigratedDatabase['db']) {}
  @Get()
  async list() {
    const [labels] = await this.db.query<[string[]]>('SELECT VALUE label FROM item ORDER BY label');
    return labels;
  }
}

let dir: string;
let testDb: MigratedDatabase;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sbl-vitest-'));
  // Indexes: an engine that defined one keeps the process alive until the kit empties it.
  await writeFile(
    path.join(dir, '0001_items.surql'),
    'DEFINE TABLE item SCHEMAFULL;\nDEFINE FIELD label ON item TYPE string;\nDEFINE INDEX item_label ON item FIELDS label UNIQUE;',
  );
  await writeFile(path.join(dir, '0002_seed.surql'), "CREATE item:seed SET label = 'seed';");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

beforeEach(async () => {
  testDb = await createMigratedDatabase({ directory: dir });
});
afterEach(() => testDb.dispose());

describe('the testing kit under Vitest', () => {
  it('serves the migrated rows through a Nest app', async () => {
    @Module({
      imports: [MigrationsModule.forRoot({ url: 'ws://127.0.0.1:1', namespace: 'p', database: 'p', directory: dir })],
      controllers: [ItemsController],
      providers: [{ provide: SURREAL, useValue: undefined }],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(MIGRATIONS_OPTIONS)
      .useValue(testDb.moduleOptions)
      .overrideProvider(SURREAL)
      .useValue(testDb.db)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      await request(app.getHttpServer()).get('/items').expect(200, ['seed']);
      expect(await app.get(MigrationManager).needsMigration()).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('gives each test its own copy', async () => {
    await testDb.db.query("CREATE item:mine SET label = 'mine'");
    const [labels] = await testDb.db.query<[string[]]>('SELECT VALUE label FROM item ORDER BY label');
    expect(labels).toEqual(['mine', 'seed']);
    expect(testDb.template?.built).toBe(false);
  });

  it('sees the seed only, and the history', async () => {
    const [labels] = await testDb.db.query<[string[]]>('SELECT VALUE label FROM item ORDER BY label');
    expect(labels).toEqual(['seed']);
    expect((await testDb.manager.status()).applied.map((a) => a.version)).toEqual([1, 2]);
  });
});
