import type { Surreal } from 'surrealdb';
import { dataLossStatements } from '../../src/core/surql/data-loss.js';
import { ENGINE, memClient } from '../support/engine.js';

/**
 * What `dataLossStatements` lists is what the engine empties: every spelling is run over tables
 * holding rows, in a transaction that is cancelled, and the rows left are counted there (thrown
 * back as the transaction's error, so nothing is written). A statement is listed as emptying a
 * table exactly when the engine left that table with no rows.
 */

/**
 * Each spelling, and the tables it is listed as emptying. Where `judged`, the engine empties exactly
 * those; a `WHERE` (however broad) or a computed target is not listed by design, whatever it deletes.
 */
const SPELLINGS: [string, string[], boolean][] = [
  ['DELETE a', ['a'], true],
  ['DELETE FROM a', ['a'], true],
  ['DELETE a RETURN NONE', ['a'], true],
  ['DELETE FROM a RETURN BEFORE', ['a'], true],
  // SurrealDB 2 refuses ONLY over several rows (the migration fails by itself): judged on 3.
  ['DELETE ONLY a', ['a'], ENGINE === 'v3'],
  ['delete from `a`', ['a'], true],
  ['DELETE a, b', ['a', 'b'], true],
  ['DELETE a TIMEOUT 5s', ['a'], true],
  ['DELETE a WHERE n > 1', [], false],
  ['DELETE FROM a WHERE true', [], false],
  ['DELETE a:1', [], true],
  ['DELETE a:1, b:1', [], true],
  ['DELETE a:1..3', [], false],
  ['DELETE $t', [], false],
  ['DELETE type::table("a")', [], false],
  ['IF true { DELETE a }', ['a'], true],
  ['IF true THEN DELETE a END', ['a'], true],
  ['IF false THEN 1 ELSE DELETE b END', ['b'], true],
  ['FOR $x IN [1] { DELETE b; }', ['b'], true],
  ['LET $x = (DELETE a)', ['a'], true],
  ['LET $x = DELETE a', ['a'], true],
  ['DELETE a:..', ['a'], true],
  ['DELETE a:1..', [], false],
  ['REMOVE TABLE a', ['a'], true],
  ['REMOVE TABLE IF EXISTS b', ['b'], true],
  ['REMOVE FIELD n ON a', [], true],
  ['DEFINE EVENT e ON a WHEN true THEN { DELETE b }', [], true],
  ['SELECT * FROM a', [], true],
];

const TABLES = ['a', 'b'];

describe(`data-loss statements, judged by the engine (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let db: Surreal;
  beforeAll(async () => {
    db = await memClient({ namespace: 'loss', database: 'loss' });
    await db
      .query(
        'DEFINE TABLE a SCHEMALESS; DEFINE TABLE b SCHEMALESS; ' +
          'DEFINE FIELD n ON a TYPE any; CREATE a:1 SET n = 1; CREATE a:2 SET n = 2; CREATE a:3 SET n = 3; CREATE b:1 SET n = 1; CREATE b:2 SET n = 2;',
      )
      .collect();
  });
  afterAll(async () => {
    await db.close();
  });

  /** The rows of each table after `statement` (0 for a table that is gone), in a transaction then cancelled. */
  async function rowsAfter(statement: string): Promise<Record<string, number>> {
    // SurrealDB 3 refuses a SELECT from a table that does not exist; 2 reads it as empty.
    const count = (t: string) =>
      ENGINE === 'v3'
        ? `IF (INFO FOR DB).tables.${t} THEN count(SELECT VALUE id FROM ${t}) ELSE 0 END`
        : `count(SELECT VALUE id FROM ${t})`;
    const answers = await db
      .query(
        `BEGIN TRANSACTION; LET $t = type::table("a"); ${statement}; ` +
          `THROW "counts:" + <string> [${TABLES.map(count).join(', ')}]; CANCEL TRANSACTION;`,
      )
      .responses();
    const thrown = answers.map((a) => (a.success ? '' : a.error.message)).find((m) => m.includes('counts:'));
    const [, list] = /counts:\[([^\]]*)\]/.exec(thrown ?? '') ?? [];
    if (list === undefined)
      throw new Error(
        `no counts for ${statement}: ${answers.map((a) => (a.success ? 'ok' : a.error.message)).join(' | ')}`,
      );
    const numbers = list.split(',').map((n) => Number(n.trim()));
    return Object.fromEntries(TABLES.map((t, i) => [t, numbers[i]!]));
  }

  it.each(SPELLINGS)('%s', async (statement, expected, judged) => {
    const listed = dataLossStatements(statement)
      .filter((s) => s.kind === 'delete-table' || s.kind === 'remove-table')
      .map((s) => s.name)
      .sort();
    expect({ statement, listed }).toEqual({ statement, listed: expected });
    if (!judged && statement === 'DELETE ONLY a') return;
    const emptied = Object.entries(await rowsAfter(statement))
      .filter(([, rows]) => rows === 0)
      .map(([table]) => table)
      .sort();
    // Never listed where the engine keeps the rows; where judged, exactly what it empties.
    for (const table of listed)
      expect({ statement, table, emptied: emptied.includes(table) }).toEqual({ statement, table, emptied: true });
    if (judged) expect({ statement, emptied }).toEqual({ statement, emptied: expected });
  });

  it('nothing was written', async () => {
    expect(
      await db
        .query<[number, number]>('RETURN count(SELECT VALUE id FROM a); RETURN count(SELECT VALUE id FROM b);')
        .collect(),
    ).toEqual([3, 2]);
  });

  it('lists a DELETE that is a returned value (the engine test above cannot run a RETURN)', () => {
    expect(dataLossStatements('IF true { RETURN DELETE b }').map((s) => s.name)).toEqual(['b']);
  });

  it('places each statement at its keyword, and lists databases and namespaces', () => {
    expect(
      dataLossStatements('-- first\nCREATE a:9;\n  REMOVE DATABASE old;\nREMOVE NS IF EXISTS `x y`; DELETE a;'),
    ).toEqual([
      { kind: 'remove-database', name: 'old', statement: 1, line: 3, column: 3 },
      { kind: 'remove-namespace', name: 'x y', statement: 2, line: 4, column: 1 },
      { kind: 'delete-table', name: 'a', statement: 3, line: 4, column: 28 },
    ]);
  });
});
