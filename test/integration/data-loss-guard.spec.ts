import type { Surreal } from 'surrealdb';
import { DataLossError, MigrationManager, type MigrationsOptions } from '../../src/index.js';
import { ENGINE, memClient } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * Issue 22, item 2: a run that would delete data wholesale is refused before anything of it is
 * applied (DATA_LOSS), with the rows each statement would delete, never their values; a file's
 * marker, the options or the call allow it.
 */

const PEOPLE = '0001_people.surql';
const SECRET = 'Ada Lovelace, secret-row-value';

describe(`data loss is a decision (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let folder: TempMigrations;
  let db: Surreal;
  let manager: MigrationManager | undefined;

  beforeEach(async () => {
    folder = await tempMigrations({
      [PEOPLE]: `DEFINE TABLE person SCHEMALESS;\nCREATE person:1 SET name = '${SECRET}';\nCREATE person:2 SET name = 'b';\n`,
      '0001_people.down.surql': 'REMOVE TABLE person;\n',
      '0002_log.surql': 'DEFINE TABLE log SCHEMALESS;\n',
      '0002_log.down.surql': 'REMOVE TABLE log;\n',
    });
    db = await memClient({ namespace: 'guard', database: 'guard' });
  });
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await db.close();
    await folder.dispose();
  });

  /** A new migration file, seen by the manager (discovery runs when it is created, and on refresh). */
  const add = async (name: string, text: string) => {
    await folder.write(name, text);
    await manager?.refresh();
  };
  const open = async (options: Partial<MigrationsOptions> = {}) =>
    (manager = await MigrationManager.create({ client: db, directory: folder.dir, logger: false, ...options }));
  const people = async () => (await db.query<[number]>('RETURN count(SELECT VALUE id FROM person)').collect())[0];
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('refuses an up that removes a table holding rows, before any migration of the run is applied', async () => {
    await (await open()).migrateTo(2);
    await add('0003_fine.surql', 'DEFINE TABLE audit SCHEMALESS;');
    await add('0004_drop.surql', '-- people move to accounts\nDEFINE TABLE account SCHEMALESS;\nREMOVE TABLE person;');
    const error = await refusal(manager!.runMigrationUp());
    expect(error).toBeInstanceOf(DataLossError);
    const loss = error as DataLossError;
    expect(loss.code).toBe('DATA_LOSS');
    expect(loss.direction).toBe('up');
    expect(loss.losses).toEqual([
      {
        file: expect.stringMatching(/0004_drop\.surql$/),
        line: 3,
        column: 1,
        kind: 'remove-table',
        name: 'person',
        rows: 2,
      },
    ]);
    expect(loss.message).toMatch(/0004_drop\.surql:3:1: REMOVE TABLE person deletes 2 row\(s\)/);
    expect(loss.message).toContain('-- migrate:allow-data-loss');
    expect(loss.message).not.toContain('secret-row-value');
    // Nothing of the run was applied: not even 0003, which comes before it.
    expect(await manager!.getCurrentVersion()).toBe(2);
    expect(await people()).toBe(2);
  });

  it.each([
    ['DELETE person', 'delete-table'],
    ['DELETE FROM person RETURN NONE', 'delete-table'],
    ['REMOVE TABLE IF EXISTS person', 'remove-table'],
  ])('refuses `%s` over rows', async (statement, kind) => {
    await (await open()).runMigrationUp();
    await add('0003_x.surql', `${statement};`);
    const error = (await refusal(manager!.runMigrationUp())) as DataLossError;
    expect(error).toBeInstanceOf(DataLossError);
    expect(error.losses.map((l) => [l.kind, l.name, l.rows])).toEqual([[kind, 'person', 2]]);
    expect(await people()).toBe(2);
  });

  it('lets through what loses nothing: an empty table, rows moved first, a DELETE with WHERE', async () => {
    await (await open()).runMigrationUp();
    await add('0003_empty.surql', 'REMOVE TABLE log;');
    await add('0004_moved.surql', 'DELETE person WHERE name = "b";\nDELETE person:1;\nREMOVE TABLE person;');
    await add('0005_where.surql', 'DEFINE TABLE t SCHEMALESS; CREATE t:1; DELETE t WHERE id = t:9;');
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([3, 4, 5]);
  });

  it('a view loses nothing of its source: removing it passes', async () => {
    await (await open()).runMigrationUp();
    await add('0003_view.surql', 'DEFINE TABLE named AS SELECT * FROM person;');
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([3]);
    await add('0004_unview.surql', 'REMOVE TABLE named;');
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([4]);
    expect(await people()).toBe(2);
    // A view defined and removed within one run: SurrealDB 3 tells, where the statement runs; SurrealDB 2 cannot
    // (it counts the view's rows, and a file says it knows with its marker).
    await add('0005_view.surql', 'DEFINE TABLE named AS SELECT * FROM person;');
    await add('0006_unview.surql', `${ENGINE === 'v2' ? '-- migrate:allow-data-loss\n' : ''}REMOVE TABLE named;`);
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([5, 6]);
    await add('0007_view.surql', 'DEFINE TABLE named AS SELECT * FROM person;');
    await add(
      '0008_table.surql',
      `${ENGINE === 'v2' ? '-- migrate:allow-data-loss\n' : ''}REMOVE TABLE named;\nDEFINE TABLE named SCHEMALESS;\nCREATE named:one;`,
    );
    await add('0009_drop.surql', '\nREMOVE TABLE named;');
    const error = await refusal(manager!.runMigrationUp());
    // The view's removal passes; the table's is refused.
    expect((error as DataLossError).losses).toEqual([
      expect.objectContaining({ file: expect.stringMatching(/0009/), line: 2, rows: 1 }),
    ]);
    expect(await manager!.getCurrentVersion()).toBe(6);
  });

  it('a file allows its own with -- migrate:allow-data-loss; the others are still refused', async () => {
    await (await open()).runMigrationUp();
    await add('0003_drop.surql', '-- migrate:allow-data-loss\nREMOVE TABLE person;');
    expect((await manager!.runMigrationUp()).map((r) => r.version)).toEqual([3]);
    expect(await manager!.getCurrentVersion()).toBe(3);
  });

  it('acceptDataLoss in the options, or for one call, allows it', async () => {
    await (await open()).runMigrationUp();
    await add('0003_drop.surql', 'DELETE person;');
    expect((await manager!.runMigrationUp({ acceptDataLoss: true })).map((r) => r.version)).toEqual([3]);
    await manager!.close();
    manager = undefined;
    await add('0004_drop.surql', 'CREATE person:3; REMOVE TABLE person;');
    expect((await (await open({ acceptDataLoss: true })).migrateTo(4)).map((r) => r.version)).toEqual([4]);
  });

  it('the count leaves no table believed in that the run then fails to define (SurrealDB 2)', async () => {
    // SurrealDB 2 keeps believing in a table a cancelled transaction wrote to: the run's own write to
    // it would then be stored without the table's definition.
    await (await open()).runMigrationUp();
    await add('0003_drop.surql', 'UPSERT audit:1 SET n = 1;\nREMOVE TABLE person;');
    expect(await refusal(manager!.runMigrationUp())).toBeInstanceOf(DataLossError);
    expect((await manager!.runMigrationUp({ acceptDataLoss: true })).map((r) => r.version)).toEqual([3]);
    const [info] = await db.query<[{ tables: Record<string, string> }]>('INFO FOR DB').collect();
    expect(Object.keys(info.tables)).toContain('audit');
  });

  it('a dry run refuses what the run would refuse, and takes acceptDataLoss', async () => {
    await (await open()).runMigrationUp();
    await add('0003_drop.surql', 'DELETE FROM person RETURN NONE;');
    const error = await refusal(manager!.dryRun());
    expect(error).toBeInstanceOf(DataLossError);
    expect((error as DataLossError).losses).toMatchObject([{ file: expect.stringMatching(/0003_drop/), rows: 2 }]);
    expect((error as Error).message).not.toContain(SECRET);
    expect(await manager!.dryRun({ acceptDataLoss: true })).toMatchObject({ verified: [{ version: 3 }] });
    // Nothing was deleted, nothing applied.
    expect([await people(), await manager!.getCurrentVersion()]).toEqual([2, 2]);
  });

  it('a down that removes a table holding rows is refused too; rollback takes acceptDataLoss', async () => {
    await (await open()).runMigrationUp();
    const error = (await refusal(manager!.rollback({ to: 0 }))) as DataLossError;
    expect(error).toBeInstanceOf(DataLossError);
    expect(error.direction).toBe('down');
    // 0002's down removes an empty table: only 0001's is listed; nothing was rolled back.
    expect(error.losses.map((l) => [l.name, l.rows])).toEqual([['person', 2]]);
    expect(await manager!.getCurrentVersion()).toBe(2);
    expect((await manager!.rollback({ to: 0, acceptDataLoss: true })).map((r) => r.version)).toEqual([2, 1]);
  });

  it('REMOVE DATABASE and REMOVE NAMESPACE are refused, whatever they hold', async () => {
    await (await open()).runMigrationUp();
    await add('0003_db.surql', 'REMOVE DATABASE IF EXISTS other;');
    const error = (await refusal(manager!.runMigrationUp())) as DataLossError;
    expect(error.losses.map((l) => [l.kind, l.name, l.rows])).toEqual([['remove-database', 'other', undefined]]);
    expect(error.message).toContain('REMOVE DATABASE other deletes all it holds');
  });
});
