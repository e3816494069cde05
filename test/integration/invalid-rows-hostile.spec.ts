import type { Surreal } from 'surrealdb';
import { DataLossError, InvalidRowsError, MigrationError, MigrationManager } from '../../src/index.js';
import { ENGINE, itOn, memClient } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * The data checks under hostile runs (issue 22, found by review): they run the scripts inside a
 * transaction of their own, so a script must not escape it, a failure there must not switch the
 * check off, and SurrealDB 2 must not be left believing in tables that do not exist.
 */
describe(`data checks under hostile runs (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let folder: TempMigrations;
  let db: Surreal;
  let manager: MigrationManager;

  beforeEach(async () => {
    folder = await tempMigrations({
      '0001_t.surql': "DEFINE TABLE t SCHEMALESS;\nCREATE t:1 SET a = 'x';\nCREATE t:2 SET a = 2;\n",
    });
    db = await memClient({ namespace: 'hostile', database: `h${Math.random().toString(36).slice(2)}` });
    manager = await MigrationManager.create({ client: db, directory: folder.dir, logger: false });
    await manager.runMigrationUp();
  });
  afterEach(async () => {
    await manager.close();
    await db.close();
    await folder.dispose();
  });

  const add = async (name: string, text: string) => {
    await folder.write(name, text);
    await manager.refresh();
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );
  const rows = async () => (await db.query<[number]>('RETURN count(SELECT VALUE id FROM t)').collect())[0];
  const tables = async () =>
    Object.keys((await db.query<[{ tables: Record<string, string> }]>('INFO FOR DB').collect())[0].tables).sort();

  it.each([
    ['COMMIT', 'CREATE u:9 SET z = 1;\nCOMMIT;\nREMOVE TABLE t;'],
    ['CANCEL', 'CANCEL;\nDELETE t;'],
    ['COMMIT before a definition', 'COMMIT;\nUPDATE t SET a = 5;\nDEFINE FIELD a ON t TYPE string;'],
  ])(
    'a script that ends the transaction (%s) is refused before any check runs it, and nothing is written',
    async (_name, text) => {
      await add('0002_escape.surql', text);
      const error = await refusal(manager.runMigrationUp());
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).not.toBeInstanceOf(DataLossError);
      expect(await rows()).toBe(2);
      expect((await db.query<[unknown[]]>('SELECT * FROM t WHERE a = 5').collect())[0]).toEqual([]);
      expect(await tables()).not.toContain('u');
      expect(await manager.getCurrentVersion()).toBe(1);
    },
  );

  it('a later migration that fails over the rows the first one makes invalid: the first is refused, nothing applied', async () => {
    await add('0002_int.surql', 'DEFINE FIELD a ON t TYPE int;');
    await add('0003_touch.surql', 'UPDATE t SET c = 1;');
    const error = (await refusal(manager.runMigrationUp())) as InvalidRowsError;
    expect(error).toBeInstanceOf(InvalidRowsError);
    expect(error.invalid).toEqual([
      expect.objectContaining({ file: expect.stringMatching(/0002_int/), rows: 1, ids: ['t:1'] }),
    ]);
    expect(await manager.getCurrentVersion()).toBe(1);
  });

  it('a later migration that does not parse: the ones before it are still judged, and the error is the migration', async () => {
    await add('0002_int.surql', 'DEFINE FIELD a ON t TYPE int;');
    await add('0003_typo.surql', 'SELEC * FROM t;');
    const error = (await refusal(manager.runMigrationUp())) as InvalidRowsError;
    expect(error).toBeInstanceOf(InvalidRowsError);
    expect(error.invalid.map((e) => e.ids)).toEqual([['t:1']]);
    // Allowed, the run goes on to the typo and reports it in its file.
    await add('0002_int.surql', '-- migrate:allow-invalid-rows\nDEFINE FIELD a ON t TYPE int;');
    const typo = await refusal(manager.runMigrationUp());
    expect(typo).toBeInstanceOf(MigrationError);
    expect((typo as MigrationError).message).toMatch(/0003_typo\.surql/);
  });

  it('an ASSERT that raises an error over a row is named, uncounted; the other rules are counted', async () => {
    await add('0002_len.surql', 'DEFINE FIELD a ON t ASSERT string::len($value) > 0;\nDEFINE FIELD b ON t TYPE int;');
    const error = (await refusal(manager.runMigrationUp())) as InvalidRowsError;
    expect(error).toBeInstanceOf(InvalidRowsError);
    // In the run's order, whichever was counted.
    expect(error.invalid.map(({ field, rows }) => [field, rows])).toEqual([
      ['a', undefined],
      ['b', 2],
    ]);
    expect(error.message).toMatch(/t\.a ASSERT string::len\(\$value\) > 0 fails over some row\(s\)/);
    expect(await manager.getCurrentVersion()).toBe(1);
  });

  it('IF NOT EXISTS over a field already defined changes nothing, and refuses nothing', async () => {
    await add('0002_any.surql', 'DEFINE FIELD a ON t TYPE string | int;');
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    await add(
      '0003_again.surql',
      'DEFINE FIELD IF NOT EXISTS a ON t TYPE int;\nDEFINE TABLE IF NOT EXISTS t SCHEMAFULL;',
    );
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([3]);
  });

  itOn(['v3'], 'REFERENCE is SurrealDB 3')(
    'a REFERENCE to a record of a table that does not exist is named, and the run goes on judging other tables',
    async () => {
      await db
        .query("CREATE u:1; CREATE w:1 SET r = u:404; CREATE w:2 SET r = zz:1; CREATE v:1 SET a = 'x';")
        .collect();
      await add('0002_ref.surql', 'DEFINE FIELD r ON w TYPE option<record> REFERENCE;\nDEFINE FIELD a ON v TYPE int;');
      const error = (await refusal(manager.runMigrationUp())) as InvalidRowsError;
      expect(error.invalid.map(({ table, rows, ids }) => [table, rows, ids])).toEqual([
        ['w', 2, ['w:1', 'w:2']],
        ['v', 1, ['v:1']],
      ]);
    },
  );

  itOn(['v2'], 'the table cache is SurrealDB 2')(
    'a run that writes to a table it names only at run time leaves that table defined',
    async () => {
      await add(
        '0002_computed.surql',
        "CREATE type::thing('nt', 1) SET z = 1;\nDEFINE FIELD b ON t TYPE option<int>;\nDELETE t:..;",
      );
      await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(DataLossError);
      expect((await manager.runMigrationUp({ acceptDataLoss: true })).map((r) => r.version)).toEqual([2]);
      expect(await tables()).toContain('nt');
    },
  );
});
