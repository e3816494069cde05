import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { Surreal } from 'surrealdb';
import { InvalidRowsError, MigrationManager, MigrationsModule, type MigrationsOptions } from '../../src/index.js';
import { ENGINE, memClient } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * Issue 22, item 1: before a run applies anything, the rows already there are judged against its new
 * or changed definitions, after its own statements (a data fix counts), in a cancelled transaction;
 * a run they refuse stops with INVALID_ROWS, naming table, field, rule, count and the first ids,
 * never a value. Each finding below is also checked against the engine's own judgement: the same
 * migration applied with the check off, then an ordinary write of a refused row, which fails.
 */

const SECRET = 'secret-row-value';

describe(`rows the new schema refuses (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let folder: TempMigrations;
  let db: Surreal;
  let manager: MigrationManager | undefined;

  beforeEach(async () => {
    folder = await tempMigrations({
      '0001_acc.surql':
        'DEFINE TABLE acc SCHEMALESS;\n' +
        `CREATE acc:a SET qty = '${SECRET}', n = 1;\n` +
        'CREATE acc:b SET qty = 2, n = 2;\n' +
        "CREATE acc:c SET qty = 'x', n = -3;\n" +
        'CREATE acc:d SET qty = 4, n = 4, tags = [1, 2];\n',
    });
    db = await memClient({ namespace: 'rows', database: 'rows' });
  });
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await db.close();
    await folder.dispose();
  });

  const open = async (options: Partial<MigrationsOptions> = {}) => {
    manager = await MigrationManager.create({ client: db, directory: folder.dir, logger: false, ...options });
    await manager.runMigrationUp();
    return manager;
  };
  const add = async (name: string, text: string) => {
    await folder.write(name, text);
    await manager?.refresh();
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );
  /** Whether an ordinary write of `id` fails now: the engine's own judgement. */
  const writeFails = async (id: string) => {
    const [answer] = await db.query(`UPDATE ${id} MERGE {}`).responses();
    return !answer!.success;
  };

  it('refuses a TYPE the rows do not meet, before anything of the run is applied, and says where', async () => {
    await open();
    await add('0002_fine.surql', 'DEFINE TABLE audit SCHEMALESS;');
    await add('0003_qty.surql', '-- qty is a number\nDEFINE FIELD OVERWRITE qty ON acc TYPE int;');
    const error = await refusal(manager!.runMigrationUp());
    expect(error).toBeInstanceOf(InvalidRowsError);
    const invalid = error as InvalidRowsError;
    expect(invalid.code).toBe('INVALID_ROWS');
    expect(invalid.invalid).toEqual([
      {
        file: expect.stringMatching(/0003_qty\.surql$/),
        line: 2,
        column: 1,
        table: 'acc',
        field: 'qty',
        rule: 'TYPE int',
        rows: 2,
        ids: ['acc:a', 'acc:c'],
      },
    ]);
    expect(invalid.message).toMatch(/0003_qty\.surql:2:1: acc\.qty TYPE int refuses 2 row\(s\): acc:a, acc:c/);
    expect(invalid.message).not.toContain(SECRET);
    expect(await manager!.getCurrentVersion()).toBe(1);

    // The engine agrees: applied without the check, the refused rows' next write fails, the others' passes.
    expect((await manager!.runMigrationUp({ checkData: false })).map((r) => r.version)).toEqual([2, 3]);
    expect(await Promise.all(['acc:a', 'acc:b', 'acc:c', 'acc:d'].map(writeFails))).toEqual([true, false, true, false]);
  });

  it('a data fix in the migration, before the definition, counts', async () => {
    await open();
    await add(
      '0002_qty.surql',
      'UPDATE acc SET qty = 0 WHERE type::is_string(qty);\nDEFINE FIELD OVERWRITE qty ON acc TYPE int;'.replace(
        'type::is_string',
        ENGINE === 'v2' ? 'type::is::string' : 'type::is_string',
      ),
    );
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([2]);
  });

  it('an ASSERT, and the TYPE and ASSERT of one field each with its own count', async () => {
    await open();
    await add('0002_n.surql', 'DEFINE FIELD OVERWRITE n ON acc TYPE int ASSERT $value > 0;');
    const error = (await refusal(manager!.runMigrationUp())) as InvalidRowsError;
    expect(error.invalid.map(({ rule, rows, ids }) => ({ rule, rows, ids }))).toEqual([
      { rule: 'ASSERT $value > 0', rows: 1, ids: ['acc:c'] },
    ]);
    await add('0003_qty.surql', 'DEFINE FIELD OVERWRITE qty ON acc TYPE int ASSERT $value > 3;');
    const both = (await refusal(manager!.runMigrationUp())) as InvalidRowsError;
    expect(both.invalid.map(({ field, rule, rows }) => [field, rule, rows])).toEqual([
      ['n', 'ASSERT $value > 0', 1],
      ['qty', 'TYPE int', 2],
      ['qty', 'ASSERT $value > 3', 1],
    ]);
  });

  it('each element of an array field', async () => {
    await open();
    await add(
      '0002_tags.surql',
      'DEFINE FIELD OVERWRITE tags ON acc TYPE option<array>;\nDEFINE FIELD OVERWRITE tags[*] ON acc TYPE string;',
    );
    const error = (await refusal(manager!.runMigrationUp())) as InvalidRowsError;
    expect(error.invalid.map(({ field, rows, ids }) => [field, rows, ids])).toEqual([['tags[*]', 1, ['acc:d']]]);
  });

  it('a table made SCHEMAFULL over fields it does not declare, and a field removed from one', async () => {
    await open();
    await add(
      '0002_strict.surql',
      'DEFINE TABLE OVERWRITE acc SCHEMAFULL;\nDEFINE FIELD qty ON acc TYPE any;\nDEFINE FIELD n ON acc TYPE any;',
    );
    const error = (await refusal(manager!.runMigrationUp())) as InvalidRowsError;
    // acc:d holds tags, which the table does not declare (SurrealDB 3 refuses its next write; 2 drops the field).
    expect(error.invalid.map(({ field, rule, rows, ids }) => [field, rule, rows, ids])).toEqual([
      [undefined, 'SCHEMAFULL', 1, ['acc:d']],
    ]);
    await add(
      '0002_strict.surql',
      'DEFINE TABLE OVERWRITE acc SCHEMAFULL;\nDEFINE FIELD qty ON acc TYPE any;\nDEFINE FIELD n ON acc TYPE any;\nDEFINE FIELD tags ON acc TYPE any;',
    );
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    await add('0003_untag.surql', 'REMOVE FIELD tags ON acc;');
    const removed = (await refusal(manager!.runMigrationUp())) as InvalidRowsError;
    expect(removed.invalid.map(({ field, rule, rows }) => [field, rule, rows])).toEqual([['tags', 'REMOVE FIELD', 1]]);
    if (ENGINE === 'v3') {
      expect((await manager!.runMigrationUp({ checkData: false })).map((r) => r.version)).toEqual([3]);
      expect(await writeFails('acc:d')).toBe(true);
    }
  });

  it('-- migrate:allow-invalid-rows in the file, checkData: false in the options or per call', async () => {
    await open();
    await add('0002_qty.surql', '-- migrate:allow-invalid-rows\nDEFINE FIELD OVERWRITE qty ON acc TYPE int;');
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    await add('0003_n.surql', 'DEFINE FIELD OVERWRITE n ON acc TYPE string;');
    expect(await refusal(manager!.dryRun())).toBeInstanceOf(InvalidRowsError);
    expect((await manager!.dryRun({ checkData: false })).verified).toHaveLength(1);
    await manager!.close();
    manager = undefined;
    manager = await MigrationManager.create({ client: db, directory: folder.dir, logger: false, checkData: false });
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([3]);
  });

  it('the check leaves no table believed in that the run then fails to define (SurrealDB 2)', async () => {
    await open();
    await add('0002_log.surql', 'UPSERT log:1 SET n = 1;\nDEFINE FIELD OVERWRITE n ON acc TYPE int;');
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    const [info] = await db.query<[{ tables: Record<string, string> }]>('INFO FOR DB').collect();
    expect(Object.keys(info.tables)).toContain('log');
  });

  it("the app's start-up stops on it, with nothing applied", async () => {
    await open();
    await manager!.close();
    manager = undefined;
    await folder.write('0002_qty.surql', 'DEFINE FIELD OVERWRITE qty ON acc TYPE int;');
    const moduleRef = await Test.createTestingModule({
      imports: [MigrationsModule.forRoot({ client: db, directory: folder.dir, logger: false })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toMatchObject({ code: 'INVALID_ROWS' });
    await app.close();
    const [versions] = await db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations').collect();
    expect(versions).toEqual([1]);
  });

  it('a migration that changes no definition costs no request for the check', async () => {
    await open();
    await add('0002_data.surql', 'CREATE acc:e SET qty = 5;');
    const query = jest.spyOn(db, 'query');
    await manager!.runMigrationUp();
    const sent = query.mock.calls.map(([text]) => String(text));
    query.mockRestore();
    expect(sent.some((text) => text.includes('sbl-invalid-rows'))).toBe(false);
    expect(sent.some((text) => /INFO FOR TABLE/.test(text))).toBe(false);
  });
});
