/**
 * Lint reads the schema again after every step, but only where the step's scripts reach
 * (schema-refresh.ts). Differential, on generated steps against the suite's engine: after each
 * step, the refreshed schema equals the schema read in full. The steps define, redefine and remove
 * tables (views and relations among them), fields, indexes, events that write to or define on other
 * tables, functions and params, and write rows, over a few tables with odd names.
 *
 * Runs and seed can be changed with FC_NUM_RUNS and FC_SEED.
 */
import fc from 'fast-check';
import type { Surreal } from 'surrealdb';
import { quoteIdent } from '../../src/core/support/identifiers.js';
import { readSchema, type DatabaseSchema } from '../../src/core/shadow/shadow.js';
import { namedBy, refreshSchema } from '../../src/core/shadow/schema-refresh.js';
import { itOn, memClient, SURREALDB } from '../support/engine.js';

const HISTORY = '_sbl_migrations';
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const RUNS = Number(process.env.FC_NUM_RUNS ?? 40);
const TIMEOUT = SURREALDB === 2 ? 600_000 : 300_000;

// prettier-ignore
const TABLES = ['a', 'b', 'c-d', 'select', 'ünï'];
const FUNCTIONS = ['f', 'g::h'];
const PARAMS = ['p', 'q'];

const table = fc.constantFrom(...TABLES).map(quoteIdent);
const fn = fc.constantFrom(...FUNCTIONS).map((n) => `fn::${n.split('::').map(quoteIdent).join('::')}`);
const param = fc.constantFrom(...PARAMS).map((n) => `$${n}`);
const field = fc.constantFrom('x', 'y', 'tags');
const type = fc.constantFrom('int', 'string', 'option<string>', 'array<string>', 'any');

/** One statement of a step; a step is a few of them, each run on its own (what fails is left out). */
const statement: fc.Arbitrary<string> = fc.oneof(
  table.map((t) => `DEFINE TABLE OVERWRITE ${t} SCHEMAFULL`),
  table.map((t) => `DEFINE TABLE OVERWRITE ${t} SCHEMALESS`),
  // A view reads a table listed before it: a cycle of views makes SurrealDB 3 write forever.
  fc
    .tuple(fc.integer({ min: 1, max: TABLES.length - 1 }), fc.nat())
    .map(([v, s]) => [TABLES[v]!, TABLES[s % v]!].map(quoteIdent))
    .map(([t, s]) => `DEFINE TABLE OVERWRITE ${t} AS SELECT count() AS n FROM ${s} GROUP ALL`),
  fc.tuple(table, table, table).map(([t, i, o]) => `DEFINE TABLE OVERWRITE ${t} TYPE RELATION IN ${i} OUT ${o}`),
  table.map((t) => `REMOVE TABLE IF EXISTS ${t}`),
  fc.tuple(field, table, type).map(([f, t, ty]) => `DEFINE FIELD OVERWRITE ${f} ON ${t} TYPE ${ty}`),
  fc.tuple(field, table, table).map(([f, t, r]) => `DEFINE FIELD OVERWRITE ${f} ON ${t} TYPE option<record<${r}>>`),
  fc.tuple(field, table).map(([f, t]) => `REMOVE FIELD IF EXISTS ${f} ON ${t}`),
  fc.tuple(field, table).map(([f, t]) => `DEFINE INDEX OVERWRITE i_${f} ON ${t} FIELDS ${f}`),
  fc.tuple(field, table).map(([f, t]) => `REMOVE INDEX IF EXISTS i_${f} ON ${t}`),
  fc.tuple(table, table).map(([t, o]) => `DEFINE EVENT OVERWRITE e ON ${t} THEN { CREATE ${o} SET n = 1 }`),
  fc.tuple(table, table).map(([t, o]) => `DEFINE EVENT OVERWRITE d ON ${t} THEN { DEFINE FIELD OVERWRITE z ON ${o} }`),
  fc.tuple(table, fn).map(([t, f]) => `DEFINE EVENT OVERWRITE g ON ${t} THEN { ${f}() }`),
  fc.tuple(fn, table).map(([f, t]) => `DEFINE FUNCTION OVERWRITE ${f}() { CREATE ${t} SET n = 2; RETURN 1 }`),
  fc.tuple(fn, table).map(([f, t]) => `DEFINE FUNCTION OVERWRITE ${f}() { DEFINE TABLE OVERWRITE ${t}; RETURN 1 }`),
  fn.map((f) => `REMOVE FUNCTION IF EXISTS ${f}`),
  fc.tuple(param, table).map(([p, t]) => `DEFINE PARAM OVERWRITE ${p} VALUE '${t}'`),
  param.map((p) => `REMOVE PARAM IF EXISTS ${p}`),
  table.map((t) => `CREATE ${t} SET x = 1`),
  table.map((t) => `CREATE ${t}`),
  fc.tuple(table, fn).map(([t, f]) => `CREATE ${t} SET y = ${f}()`),
  table.map((t) => `DELETE ${t}`),
);

const steps = fc.array(fc.array(statement, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });

/** Runs each statement on its own; a statement the engine refuses changes nothing. */
async function apply(db: Surreal, statements: readonly string[]): Promise<void> {
  for (const s of statements)
    await db
      .query(`${s};`)
      .responses()
      .catch(() => undefined);
}

describe('the schema read again where a step reaches', () => {
  it(
    'equals the schema read in full, after every generated step',
    async () => {
      await fc.assert(
        fc.asyncProperty(steps, async (generated) => {
          const db = await memClient({ namespace: 'refresh', database: 'refresh' });
          try {
            let before: DatabaseSchema = await readSchema(db, HISTORY);
            for (const statements of generated) {
              await apply(db, statements);
              const full = await readSchema(db, HISTORY);
              const refreshed = await refreshSchema(db, HISTORY, before, [statements.join(';\n')]);
              expect(refreshed).toEqual(full);
              before = full;
            }
          } finally {
            await db.close();
          }
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    TIMEOUT,
  );

  it.each([
    [
      'an event that defines a field on another table, fired by a write that names only its own',
      'DEFINE TABLE a; DEFINE TABLE o; DEFINE EVENT d ON a THEN { DEFINE FIELD z ON o TYPE int };',
      'CREATE a SET n = 1;',
    ],
    [
      'a function that defines a field, called by an event of the table written',
      'DEFINE TABLE a; DEFINE TABLE o; DEFINE FUNCTION fn::m() { DEFINE FIELD w ON o TYPE int; RETURN 1 }; ' +
        'DEFINE EVENT d ON a THEN { fn::m() };',
      'CREATE a;',
    ],
  ])('reads again what a step reaches without naming it: %s', async (_what, setup, step) => {
    const db = await memClient({ namespace: 'refresh', database: 'refresh' });
    try {
      await db.query(setup).responses();
      const before = await readSchema(db, HISTORY);
      await db.query(step).responses();
      const full = await readSchema(db, HISTORY);
      expect(await refreshSchema(db, HISTORY, before, [step])).toEqual(full);
      // The step changed what it does not name: the test proves something.
      expect(full).not.toEqual(before);
    } finally {
      await db.close();
    }
  });

  itOn(['v2'], 'SurrealDB 3 refuses to remove the source of a view')(
    'reads again a view whose source is removed, which SurrealDB 2 turns into a table',
    async () => {
      const db = await memClient({ namespace: 'refresh', database: 'refresh' });
      try {
        await db
          .query('DEFINE TABLE src; DEFINE TABLE v AS SELECT count() AS n FROM src GROUP ALL; CREATE src;')
          .responses();
        const before = await readSchema(db, HISTORY);
        await db.query('REMOVE TABLE src;').responses();
        const full = await readSchema(db, HISTORY);
        expect(await refreshSchema(db, HISTORY, before, ['REMOVE TABLE src;'])).toEqual(full);
        expect(full.map((o) => o.name)).toEqual(['v']);
      } finally {
        await db.close();
      }
    },
  );

  it('names what a script reaches: its words, what they own, and views and references of reached tables', () => {
    const schema: DatabaseSchema = [
      { kind: 'table', table: undefined, name: 'a', definition: 'DEFINE TABLE a SCHEMALESS' },
      { kind: 'table', table: undefined, name: 'b', definition: 'DEFINE TABLE b SCHEMALESS' },
      { kind: 'table', table: undefined, name: 'v', definition: 'DEFINE TABLE v AS SELECT * FROM a' },
      { kind: 'table', table: undefined, name: 'far', definition: 'DEFINE TABLE far SCHEMALESS' },
      { kind: 'event', table: 'a', name: 'e', definition: 'DEFINE EVENT e ON a THEN { fn::log() }' },
      { kind: 'function', table: undefined, name: 'log', definition: 'DEFINE FUNCTION fn::log() { CREATE b }' },
    ];
    const named = namedBy(schema, ['UPDATE a SET x = 1']);
    expect(named && ['a', 'b', 'v', 'log', 'far'].map((n) => named.has(n))).toEqual([true, true, true, true, false]);
    // A name that may be computed: everything is read again.
    expect(namedBy(schema, ["CREATE type::table('far')"])).toBeUndefined();
  });
});
