import { jest } from '@jest/globals';
import type { Surreal } from 'surrealdb';
import { countDataLoss } from '../../src/core/execution/data-loss-count.js';
import type { MigrationFile } from '../../src/core/files/migration-files.js';
import { ENGINE, memClient } from '../support/engine.js';

/** Issue 22, item 2: the rows each data-loss statement would delete, counted by the engine where it runs. */

const MAJOR = ENGINE === 'v2' ? 2 : 3;

function file(name: string, text: string): { file: MigrationFile; text: string } {
  return { file: { file: `/m/${name}`, text } as MigrationFile, text };
}

describe(`countDataLoss (SurrealDB ${MAJOR})`, () => {
  let db: Surreal;
  const seed =
    'DEFINE TABLE a SCHEMALESS; DEFINE TABLE b SCHEMALESS; ' +
    'CREATE a:1; CREATE a:2; CREATE a:3; CREATE b:1 SET n = 1; CREATE b:2 SET n = 2;';
  beforeEach(async () => {
    db = await memClient({ namespace: 'count', database: 'count' });
    await db.query(seed).collect();
  });
  afterEach(async () => {
    await db.close();
  });
  const rows = async () =>
    db.query<[number, number]>('RETURN count(SELECT VALUE id FROM a); RETURN count(SELECT VALUE id FROM b);').collect();

  it('counts each table where its statement runs, after the statements before it', async () => {
    const losses = await countDataLoss(db, [file('0001_x.surql', 'CREATE a:9;\nDELETE a;\nREMOVE TABLE a;\n')], MAJOR);
    expect(losses.map(({ kind, name, rows, line }) => ({ kind, name, rows, line }))).toEqual([
      { kind: 'delete-table', name: 'a', rows: 4, line: 2 },
      { kind: 'remove-table', name: 'a', rows: 0, line: 3 },
    ]);
    expect(await rows()).toEqual([3, 2]);
  });

  it('runs the scripts in order: an earlier fix counts', async () => {
    const losses = await countDataLoss(
      db,
      [file('0001_fix.surql', 'DELETE b WHERE n = 1;'), file('0002_drop.surql', 'REMOVE TABLE b;')],
      MAJOR,
    );
    expect(losses.map(({ file, name, rows }) => ({ file, name, rows }))).toEqual([
      { file: '/m/0002_drop.surql', name: 'b', rows: 1 },
    ]);
    expect(await rows()).toEqual([3, 2]);
  });

  it('a table that does not exist, or no longer, has no rows to lose; a database is not counted', async () => {
    const losses = await countDataLoss(
      db,
      [file('0001_x.surql', 'REMOVE TABLE IF EXISTS zz;\nDELETE b, a;\nREMOVE DATABASE IF EXISTS other;')],
      MAJOR,
    );
    expect(losses.map(({ kind, name, rows }) => ({ kind, name, rows }))).toEqual([
      { kind: 'remove-table', name: 'zz', rows: 0 },
      { kind: 'delete-table', name: 'b', rows: 2 },
      { kind: 'delete-table', name: 'a', rows: 3 },
      { kind: 'remove-database', name: 'other', rows: undefined },
    ]);
    expect(await rows()).toEqual([3, 2]);
  });

  it('sends nothing for scripts without a data-loss statement', async () => {
    const query = jest.spyOn(db, 'query');
    expect(await countDataLoss(db, [file('0001_x.surql', 'DEFINE FIELD n ON b TYPE int; DELETE b:1;')], MAJOR)).toEqual(
      [],
    );
    expect(query).not.toHaveBeenCalled();
  });

  it("throws the scripts' own failure, before any count", async () => {
    await expect(countDataLoss(db, [file('0001_x.surql', 'CREATE a:1;\nREMOVE TABLE a;')], MAJOR)).rejects.toThrow(
      /already exists/,
    );
    expect(await rows()).toEqual([3, 2]);
  });
});
