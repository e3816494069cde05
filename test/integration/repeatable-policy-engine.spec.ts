import type { Surreal } from 'surrealdb';
import { keptDefinitions, repeatableRefusals } from '../../src/core/surql/repeatable-policy.js';
import { memClient } from '../support/engine.js';

/**
 * The engine is the oracle of the repeatable policy: a statement it passes runs twice without
 * error; a DEFINE or REMOVE it refuses fails the second time. On the suite's engine.
 */

const DEFINITIONS: Record<string, (modifier: string) => string> = {
  table: (m) => `DEFINE TABLE ${m} person SCHEMALESS`,
  field: (m) => `DEFINE FIELD ${m} age ON person TYPE option<int>`,
  index: (m) => `DEFINE INDEX ${m} by_age ON person FIELDS age`,
  event: (m) => `DEFINE EVENT ${m} grown ON person WHEN $after.age > 17 THEN { UPSERT grown:n SET n += 1 }`,
  function: (m) => `DEFINE FUNCTION ${m} fn::twice($n: int) { RETURN $n * 2; }`,
  param: (m) => `DEFINE PARAM ${m} $limit VALUE 10`,
  analyzer: (m) => `DEFINE ANALYZER ${m} simple TOKENIZERS blank FILTERS lowercase`,
  access: (m) =>
    `DEFINE ACCESS ${m} api ON DATABASE TYPE JWT ALGORITHM HS512 KEY "a-long-enough-secret-key-1234567890"`,
};

let db: Surreal;
let n = 0;

beforeEach(async () => {
  db = await memClient({ namespace: 'policy', database: `d${n++}` });
  // What the definitions stand on.
  await db.query('DEFINE TABLE IF NOT EXISTS person SCHEMALESS');
});
afterEach(() => db.close());

/** Runs `statement` twice; whether each run succeeded. */
async function twice(statement: string): Promise<[boolean, boolean]> {
  const run = async () => (await db.query(statement).responses()).every((r) => r.success);
  const first = await run();
  return [first, await run()];
}

describe('the repeatable policy against the engine', () => {
  it.each(Object.keys(DEFINITIONS))(
    'DEFINE %s: OVERWRITE and IF NOT EXISTS pass twice; without them, refused, it fails',
    async (kind) => {
      const define = DEFINITIONS[kind]!;
      for (const modifier of ['OVERWRITE', 'IF NOT EXISTS']) {
        const statement = define(modifier);
        expect([statement, repeatableRefusals(statement)]).toEqual([statement, []]);
        expect([statement, await twice(statement)]).toEqual([statement, [true, true]]);
      }
      const bare = kind === 'table' ? 'DEFINE TABLE other SCHEMALESS' : define('');
      expect(repeatableRefusals(bare)).toHaveLength(1);
      const fresh = await memClient({ namespace: 'policy', database: `bare${n++}` });
      try {
        await fresh.query('DEFINE TABLE IF NOT EXISTS person SCHEMALESS');
        const first = (await fresh.query(bare).responses()).every((r) => r.success);
        const second = (await fresh.query(bare).responses()).every((r) => r.success);
        expect([bare, first, second]).toEqual([bare, true, false]);
      } finally {
        await fresh.close();
      }
    },
  );

  it('REMOVE … IF EXISTS passes twice; REMOVE without it, refused, fails the second time', async () => {
    await db.query('DEFINE FUNCTION fn::gone() { RETURN 1; }; DEFINE FUNCTION fn::gone2() { RETURN 1; };');
    expect(repeatableRefusals('REMOVE FUNCTION IF EXISTS fn::gone')).toEqual([]);
    expect(await twice('REMOVE FUNCTION IF EXISTS fn::gone')).toEqual([true, true]);
    expect(repeatableRefusals('REMOVE FUNCTION fn::gone2')).toHaveLength(1);
    expect(await twice('REMOVE FUNCTION fn::gone2')).toEqual([true, false]);
  });
  it('a changed DEFINE … IF NOT EXISTS keeps the first text: what lint warns of', async () => {
    const version = (word: string) => `DEFINE FUNCTION IF NOT EXISTS fn::kept() { RETURN '${word}' }`;
    expect(keptDefinitions(version('first'))).toHaveLength(1);
    expect(keptDefinitions(version('first').replace('IF NOT EXISTS', 'OVERWRITE'))).toEqual([]);
    await db.query(version('first'));
    await db.query(version('second'));
    const [kept] = await db.query<[string]>('RETURN fn::kept()');
    expect(kept).toBe('first');
  });

  it('a write run as a value writes at each run, and is refused; an event’s THEN writes nothing when defined', async () => {
    const value = 'LET $made = (CREATE person SET n = 1)';
    expect(repeatableRefusals(value)).toHaveLength(1);
    await db.query(value);
    await db.query(value);
    const [rows] = await db.query<[number]>('RETURN count(SELECT * FROM person)');
    expect(rows).toBe(2);

    await db.query('DEFINE TABLE IF NOT EXISTS log SCHEMALESS');
    const event = 'DEFINE EVENT OVERWRITE logged ON person WHEN true THEN (CREATE log SET at = time::now())';
    expect(repeatableRefusals(event)).toEqual([]);
    expect(await twice(event)).toEqual([true, true]);
    const [logs] = await db.query<[number]>('RETURN count(SELECT * FROM log)');
    expect(logs).toBe(0);
  });
});
