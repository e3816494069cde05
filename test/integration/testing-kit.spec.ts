import { createHmac } from 'node:crypto';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Surreal } from 'surrealdb';
import { MIGRATIONS_OPTIONS, MigrationManager, MigrationsModule } from '../../src/index.js';
import {
  clearMigrationTemplates,
  createMigratedDatabase,
  type MigratedDatabase,
  type MigratedDatabaseOptions,
} from '../../src/testing/index.js';
import { accessKeyRepairs } from '../../src/testing/access-keys.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { SURREALDB } from '../support/engine.js';

const ITEMS = {
  '0001_items.surql':
    'DEFINE TABLE item SCHEMAFULL;\nDEFINE FIELD label ON item TYPE string;\nDEFINE INDEX item_label ON item FIELDS label;',
  '0001_items.down.surql': 'REMOVE TABLE item;',
  '0002_seed.surql': "CREATE item:seed SET label = 'seed';",
  '0002_seed.down.surql': 'DELETE item:seed;',
};

/** Every database made by a test, disposed after it. */
const opened: MigratedDatabase[] = [];
async function migrated(options: MigratedDatabaseOptions): Promise<MigratedDatabase> {
  const testDb = await createMigratedDatabase({ surrealdb: SURREALDB, ...options });
  opened.push(testDb);
  return testDb;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((testDb) => testDb.dispose()));
});

async function labels(db: Surreal): Promise<string[]> {
  const [rows] = await db.query<[string[]]>('SELECT VALUE label FROM item ORDER BY label');
  return rows;
}

describe('testing kit: createMigratedDatabase', () => {
  let folder: TempMigrations;
  beforeAll(async () => {
    folder = await tempMigrations(ITEMS);
  });
  afterAll(() => folder.dispose());

  it('gives each test its own migrated database', async () => {
    const a = await migrated({ directory: folder.dir });
    const b = await migrated({ directory: folder.dir });
    expect(a.applied.map((r) => r.version)).toEqual([1, 2]);
    await a.db.query("CREATE item:only_in_a SET label = 'a'");
    expect(await labels(a.db)).toEqual(['a', 'seed']);
    expect(await labels(b.db)).toEqual(['seed']);
    expect(await b.manager.getCurrentVersion()).toBe(2);
    // Made after a's write: a copy of the template, not of a live database.
    const c = await migrated({ directory: folder.dir });
    expect(await labels(c.db)).toEqual(['seed']);
    await b.db.query('DELETE item');
    expect(await labels(a.db)).toEqual(['a', 'seed']);
    expect(await labels(c.db)).toEqual(['seed']);
  });

  it('runs the migrations once per process: later calls get a copy of the template', async () => {
    await clearMigrationTemplates();
    const first = await migrated({ directory: folder.dir });
    const later = await Promise.all([1, 2, 3].map(() => migrated({ directory: folder.dir })));
    expect(first.template).toEqual({ key: expect.stringMatching(/^[0-9a-f]{64}$/), built: true });
    for (const testDb of later) expect(testDb.template).toEqual({ key: first.template?.key, built: false });
    // Each its own engine and database.
    await Promise.all(later.map((testDb, i) => testDb.db.query(`CREATE item:mine SET label = 'copy ${i}'`)));
    expect(await Promise.all(later.map((testDb) => labels(testDb.db)))).toEqual([
      ['copy 0', 'seed'],
      ['copy 1', 'seed'],
      ['copy 2', 'seed'],
    ]);
    expect(await labels(first.db)).toEqual(['seed']);
  });

  it('builds one template for concurrent first calls', async () => {
    await clearMigrationTemplates();
    const all = await Promise.all([1, 2, 3, 4].map(() => migrated({ directory: folder.dir })));
    expect(all.filter((testDb) => testDb.template?.built)).toHaveLength(1);
    expect(new Set(all.map((testDb) => testDb.template?.key)).size).toBe(1);
    expect(new Set(all.map((testDb) => testDb.db)).size).toBe(4);
  });

  it('copies the history: the manager sees every migration applied, and can roll back and reapply', async () => {
    const testDb = await migrated({ directory: folder.dir });
    const status = await testDb.manager.status();
    expect(status.applied.map((a) => a.version)).toEqual([1, 2]);
    expect(status).toMatchObject({ currentVersion: 2, latestVersion: 2, pending: [], drifted: [], missing: [] });
    expect(await testDb.manager.needsMigration()).toBe(false);
    await expect(testDb.manager.validate({ requireCurrent: true })).resolves.toMatchObject({ pending: 0 });
    const [history] = await testDb.db.query<[{ version: number; checksum: string }[]]>(
      'SELECT version, checksum FROM _sbl_migrations ORDER BY version',
    );
    expect(history).toEqual(testDb.manager.upMigrations.map((m) => ({ version: m.version, checksum: m.checksum })));

    expect((await testDb.manager.rollback({ steps: 1 })).map((r) => r.version)).toEqual([2]);
    expect(await labels(testDb.db)).toEqual([]);
    expect((await testDb.manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    expect(await labels(testDb.db)).toEqual(['seed']);
    // The unique index came along too.
    const [indexes] = await testDb.db.query<[{ indexes: Record<string, string> }]>('INFO FOR TABLE item');
    expect(Object.keys(indexes.indexes)).toEqual(['item_label']);
  });

  it('keys the template by the scripts’ checksums and the options that change what they make', async () => {
    const own = await tempMigrations(ITEMS);
    try {
      const base = await migrated({ directory: own.dir });
      // Same scripts in another folder: the same template.
      expect(base.template?.key).toBe((await migrated({ directory: folder.dir })).template?.key);

      await own.write('0002_seed.surql', "CREATE item:seed SET label = 'edited';");
      const edited = await migrated({ directory: own.dir });
      expect(edited.template).toEqual({ key: expect.any(String), built: true });
      expect(edited.template?.key).not.toBe(base.template?.key);
      expect(await labels(edited.db)).toEqual(['edited']);
      expect((await edited.manager.status()).drifted).toEqual([]);

      await own.write('0003_more.surql', "CREATE item:more SET label = 'more';");
      const added = await migrated({ directory: own.dir });
      expect(added.template?.built).toBe(true);
      expect(await labels(added.db)).toEqual(['edited', 'more']);
      expect(added.applied.map((r) => r.version)).toEqual([1, 2, 3]);

      // Back to the first scripts: the first template again, not built anew.
      await own.remove('0003_more.surql');
      await own.write('0002_seed.surql', ITEMS['0002_seed.surql']);
      const reverted = await migrated({ directory: own.dir });
      expect(reverted.template).toEqual({ key: base.template?.key, built: false });
      expect(await labels(reverted.db)).toEqual(['seed']);

      // Options that change what the scripts make.
      const table = await migrated({ directory: own.dir, table: 'kit_history' });
      expect(table.template?.key).not.toBe(base.template?.key);
      expect(await table.manager.getCurrentVersion()).toBe(2);
      const [counted] = await table.db.query<[number]>('RETURN count(SELECT * FROM kit_history)');
      expect(counted).toBe(2);
      const named = await migrated({ directory: own.dir, namespace: 'other', database: 'fixed' });
      expect(named.template?.key).not.toBe(base.template?.key);
      const [where] = await named.db.query<[{ ns: string; db: string }]>(
        'RETURN { ns: session::ns(), db: session::db() }',
      );
      expect(where).toEqual({ ns: 'other', db: 'fixed' });
      expect(await labels(named.db)).toEqual(['seed']);
    } finally {
      await own.dispose();
    }
  });

  it('with template: false runs every migration for each call', async () => {
    const testDb = await migrated({ directory: folder.dir, template: false });
    expect(testDb.template).toBeUndefined();
    expect(testDb.applied.map((r) => r.version)).toEqual([1, 2]);
    expect(await labels(testDb.db)).toEqual(['seed']);
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

    const testDb = await migrated({ directory: folder.dir });
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
    }
  });
});

describe('testing kit: a copy holds what a replay makes', () => {
  const JWT_KEY = 'a-key-the-app-signs-with-0123456789';
  let folder: TempMigrations;
  beforeAll(async () => {
    // Deterministic: fixed ids, no time::now() or rand(), so that a replay and a copy can be compared.
    folder = await tempMigrations({
      '0001_schema.surql': [
        'DEFINE TABLE person SCHEMAFULL;',
        'DEFINE FIELD name ON person TYPE string;',
        'DEFINE FIELD email ON person TYPE option<string> ASSERT $value = NONE OR $value.is_email();',
        'DEFINE FIELD tags ON person TYPE array<string> DEFAULT [];',
        'DEFINE INDEX person_email ON person FIELDS email UNIQUE;',
        'DEFINE TABLE post SCHEMALESS;',
        'DEFINE TABLE wrote TYPE RELATION IN person OUT post ENFORCED;',
        'DEFINE ANALYZER words TOKENIZERS blank, class FILTERS lowercase;',
        `DEFINE INDEX post_body ON post FIELDS body ${SURREALDB === 2 ? 'SEARCH' : 'FULLTEXT'} ANALYZER words BM25;`,
        "DEFINE FUNCTION fn::greet($n: string) -> string { RETURN 'hi ' + $n; };",
        'DEFINE PARAM $limit VALUE 10;',
        'DEFINE EVENT person_log ON person WHEN $event = "CREATE" THEN { CREATE log CONTENT { id: record::id($after.id), who: $after.id } };',
        'DEFINE TABLE person_count AS SELECT count() AS n FROM person GROUP ALL;',
        'DEFINE TABLE vec SCHEMALESS;',
        'DEFINE INDEX vec_hnsw ON vec FIELDS e HNSW DIMENSION 3 DIST EUCLIDEAN;',
        `DEFINE ACCESS api ON DATABASE TYPE JWT ALGORITHM HS256 KEY '${JWT_KEY}';`,
        'DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNIN (SELECT * FROM person WHERE name = $name);',
        "DEFINE USER dbadmin ON DATABASE PASSWORD 'db-secret' ROLES OWNER;",
        "DEFINE USER nsadmin ON NAMESPACE PASSWORD 'ns-secret' ROLES EDITOR;",
      ].join('\n'),
      '0002_seed.surql': [
        "CREATE person:alice SET name = 'Alice', email = 'a@example.com', tags = ['x'];",
        "CREATE person:bob SET name = 'Bob';",
        "CREATE post:1 SET body = 'Hello World of graphs', n = 1.5dec, d = 3h, g = (1.0, 2.0), when = d'2024-01-01T00:00:00Z';",
        "RELATE person:alice->wrote:w1->post:1 SET at = d'2024-01-01T00:00:00Z';",
        'CREATE vec:1 SET e = [1.0, 2.0, 3.0];',
        "CREATE vec:[1, 'a'] SET e = [3.0, 2.0, 1.0];",
      ].join('\n'),
    });
  });
  afterAll(() => folder.dispose());

  /**
   * Everything a test could read back, minus when and how long each migration took and the
   * passwords' salts (each run hashes with its own).
   */
  async function snapshot(db: Surreal): Promise<Record<string, unknown>> {
    const [root, ns, info] = JSON.parse(
      JSON.stringify(await db.query<[Info, Info, Info]>('INFO FOR ROOT; INFO FOR NS; INFO FOR DB')).replace(
        /PASSHASH '[^']*'/g,
        "PASSHASH '…'",
      ),
    ) as [Info, Info, Info];
    const out: Record<string, unknown> = {
      'root users': root.users,
      'ns users': ns.users,
      'ns accesses': ns.accesses,
      db: info,
    };
    for (const table of Object.keys(info.tables ?? {}).sort()) {
      const [definition, rows] = await db.query<[unknown, Record<string, unknown>[]]>(
        `INFO FOR TABLE ${table}; SELECT * FROM ${table} ORDER BY id`,
      );
      out[`table ${table}`] = definition;
      out[`rows ${table}`] = rows.map(({ applied_at: _at, duration_ms: _ms, applied_by: _by, ...row }) => row);
    }
    return out;
  }
  type Info = Record<string, Record<string, unknown> | undefined>;

  it('the same schema, rows, users, accesses, functions, analyzers and views', async () => {
    const replay = await migrated({ directory: folder.dir, database: 'same', template: false });
    const copy = await migrated({ directory: folder.dir, database: 'same' });
    expect(copy.template).toBeDefined();
    const [a, b] = [await snapshot(replay.db), await snapshot(copy.db)];
    expect(b).toEqual(a);
    expect(Object.keys(b)).toEqual(expect.arrayContaining(['rows person', 'rows wrote', 'table vec', 'rows log']));
    expect(b['ns users']).toHaveProperty('nsadmin');
  });

  it('works the same: indexes, functions, views, events, passwords', async () => {
    const copy = await migrated({ directory: folder.dir });
    const [greeting, found, near, count] = await copy.db.query<[string, { id: unknown }[], { id: unknown }[], unknown]>(
      [
        "RETURN fn::greet('x');",
        "SELECT id FROM post WHERE body @@ 'world';",
        'SELECT id FROM vec WHERE e <|1,10|> [1.0, 2.0, 3.0];',
        'SELECT VALUE n FROM person_count;',
      ].join('\n'),
    );
    expect(greeting).toBe('hi x');
    expect(found).toHaveLength(1);
    expect(near).toHaveLength(1);
    expect(count).toEqual([2]);
    await copy.db.query("CREATE person:carol SET name = 'Carol'");
    const [logged, counted] = await copy.db.query<[number, unknown]>(
      'RETURN count(SELECT * FROM log); SELECT VALUE n FROM person_count',
    );
    expect(logged).toBe(3);
    expect(counted).toEqual([3]);
    await expect(copy.db.query("CREATE person:dup SET name = 'D', email = 'a@example.com'")).rejects.toThrow(
      /already contains/,
    );
    // Last: it leaves the connection signed in as that user (dispose() empties the engine all the same).
    await expect(
      copy.db.signin({ namespace: 'test', username: 'nsadmin', password: 'ns-secret' }),
    ).resolves.toBeDefined();
  });

  it('keeps a JWT key the scripts give, which export() prints redacted', async () => {
    const copy = await migrated({ directory: folder.dir });
    const [info] = await copy.db.query<[{ accesses: Record<string, string> }]>('INFO FOR DB');
    expect(info.accesses.api).toContain("KEY '[REDACTED]'");
    const claims = { NS: 'test', DB: copy.manager.settings.database, AC: 'api' };
    // On the main connection: the SDK's newSession() decodes no session id under Jest's VM modules.
    await expect(copy.db.authenticate(jwt('[REDACTED]', claims))).rejects.toThrow();
    await expect(copy.db.authenticate(jwt(JWT_KEY, claims))).resolves.toBeDefined();
    const [access] = await copy.db.query<[string]>('RETURN $access');
    expect(access).toBe('api');
  });
});

describe('testing kit internals', () => {
  it('finds the last DEFINE ACCESS of a redacted access that gives its own key', () => {
    const file = (version: number, text: string) =>
      ({ version, name: `m${version}`, text }) as Parameters<typeof accessKeyRepairs>[0][number];
    const up = [
      file(
        1,
        "DEFINE ACCESS api ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'old';\nDEFINE ACCESS gen ON DB TYPE RECORD;",
      ),
      file(
        2,
        "DEFINE ACCESS OVERWRITE api ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'new';\n" +
          "DEFINE ACCESS IF NOT EXISTS `ns key` ON NAMESPACE TYPE JWT ALGORITHM HS512 KEY 'n';\n" +
          "DEFINE ACCESS gone ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'g'; REMOVE ACCESS gone ON DATABASE;",
      ),
    ];
    expect(
      accessKeyRepairs(up, new Set(['DATABASE:api', 'DATABASE:gen', 'NAMESPACE:ns key', 'DATABASE:gone'])),
    ).toEqual([
      "DEFINE ACCESS OVERWRITE api ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'new'",
      "DEFINE ACCESS OVERWRITE `ns key` ON NAMESPACE TYPE JWT ALGORITHM HS512 KEY 'n'",
    ]);
    expect(accessKeyRepairs(up, new Set())).toEqual([]);
  });
});

/** An HS256 JWT, signed as an app that holds the key would. */
function jwt(key: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'test', iat: now, nbf: now, exp: now + 600, ...claims })}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}
