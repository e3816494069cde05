/**
 * Generated schemas (fast-check) against the suite's engine: chains of views, functions that call
 * functions, analyzers that call a function, full-text indexes, fields and events that call a
 * function, with odd names. `schema`'s output applies to an empty database and gives the same
 * schema back; every pair `diff` writes between two of them applies and rolls back, over rows.
 *
 * Runs and seed can be changed with FC_NUM_RUNS and FC_SEED.
 */
import fc from 'fast-check';
import { quoteIdent } from '../../src/core/support/identifiers.js';
import { schemaToSurql } from '../../src/core/analysis/schema-code.js';
import { compareSchemas } from '../../src/core/shadow/shadow.js';
import { SURREALDB } from '../support/engine.js';
import { diffRoundTrip, FULLTEXT, schemaOfText } from '../support/schema-roundtrip.js';

const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
function fcOptions<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns: Number(process.env.FC_NUM_RUNS ?? numRuns), ...(SEED === undefined ? {} : { seed: SEED }) };
}
/** Each run opens a few engines; SurrealDB 2's wasm engine is about twice as slow. */
const TIMEOUT = SURREALDB === 2 ? 600_000 : 300_000;

// prettier-ignore
const TABLE_NAMES = ['src', 'b-c', 'select', '1x', 'ünï', 'x y', 'value', 'a`b', 'zz', 'from', 'a\\b', 'aa'];
// prettier-ignore
const FUNCTION_NAMES = [['a'], ['b-c', 'x'], ['select', 'value'], ['x y'], ['ünï'], ['z', '1x'], ['m']];

/** A schema with chains: which tables are views of which, which functions call which. */
interface World {
  /** Table 0 is a plain table; table i > 0 is plain, or a view of a table before it. */
  tables: { view: { from: number; group: boolean } | undefined }[];
  functions: { calls: number[] }[];
  analyzer: { fn: number | undefined } | undefined;
  index: boolean;
  field: number | undefined;
  event: number | undefined;
}

const world: fc.Arbitrary<World> = fc
  .record({
    tables: fc.integer({ min: 1, max: 5 }),
    functions: fc.integer({ min: 0, max: 4 }),
  })
  .chain(({ tables, functions }) =>
    fc.record({
      tables: fc.tuple(
        ...Array.from({ length: tables }, (_, i) =>
          i === 0
            ? fc.constant({ view: undefined })
            : fc.record({
                view: fc.option(fc.record({ from: fc.integer({ min: 0, max: i - 1 }), group: fc.boolean() }), {
                  nil: undefined,
                }),
              }),
        ),
      ),
      functions: fc.tuple(
        ...Array.from({ length: functions }, (_, i) =>
          fc.record({ calls: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i }) }),
        ),
      ),
      analyzer: fc.option(
        fc.record({
          fn:
            functions > 0
              ? fc.option(fc.integer({ min: 0, max: functions - 1 }), { nil: undefined })
              : fc.constant(undefined),
        }),
        { nil: undefined },
      ),
      index: fc.boolean(),
      field:
        functions > 0
          ? fc.option(fc.integer({ min: 0, max: functions - 1 }), { nil: undefined })
          : fc.constant(undefined),
      event:
        functions > 0
          ? fc.option(fc.integer({ min: 0, max: functions - 1 }), { nil: undefined })
          : fc.constant(undefined),
    }),
  )
  .map((w) => ({ ...w, tables: [...w.tables], functions: [...w.functions] }));

/** A world's names: tables and functions from the pools, in an order of their own. */
const names = fc.record({
  tables: fc.shuffledSubarray(TABLE_NAMES, { minLength: 5, maxLength: 5 }),
  functions: fc.shuffledSubarray(FUNCTION_NAMES, { minLength: 4, maxLength: 4 }),
});
type Names = { tables: string[]; functions: string[][] };

/** The world as SurrealQL, every definition after what it uses; `rows` adds a row to each plain table. */
function surql(w: World, n: Names, rows: boolean): string {
  const t = (i: number) => quoteIdent(n.tables[i]!);
  const fn = (i: number) => `fn::${n.functions[i]!.map(quoteIdent).join('::')}`;
  const lines: string[] = [];
  w.functions.forEach((f, i) => {
    const body = f.calls.reduce((inner, c) => `${fn(c)}(${inner})`, 'string::lowercase($s)');
    lines.push(`DEFINE FUNCTION ${fn(i)}($s: string) { RETURN ${body}; };`);
  });
  if (w.analyzer) {
    const filter = w.analyzer.fn === undefined ? '' : ` FUNCTION ${fn(w.analyzer.fn)}`;
    lines.push(`DEFINE ANALYZER \`an-1\`${filter} TOKENIZERS blank FILTERS lowercase;`);
  }
  w.tables.forEach(({ view }, i) => {
    if (!view) lines.push(`DEFINE TABLE ${t(i)} SCHEMALESS;`);
    else if (view.group) lines.push(`DEFINE TABLE ${t(i)} AS SELECT count() AS n FROM ${t(view.from)} GROUP ALL;`);
    else lines.push(`DEFINE TABLE ${t(i)} AS SELECT * FROM ${t(view.from)};`);
  });
  if (w.analyzer && w.index) {
    lines.push(`DEFINE INDEX \`idx-1\` ON ${t(0)} FIELDS body ${FULLTEXT} ANALYZER \`an-1\` BM25;`);
  }
  if (w.field !== undefined) lines.push(`DEFINE FIELD low ON ${t(0)} VALUE ${fn(w.field)}(body ?? '');`);
  if (w.event !== undefined) lines.push(`DEFINE EVENT \`ev-1\` ON ${t(0)} WHEN true THEN ${fn(w.event)}('x');`);
  if (rows) {
    w.tables.forEach(({ view }, i) => {
      if (!view) lines.push(`CREATE ${t(i)}:1 SET body = 'Hello World';`);
    });
  }
  return `${lines.join('\n')}\n`;
}

describe('generated schemas with dependency chains', () => {
  it(
    '`schema` prints every definition after what it uses: its output applies to an empty database and gives the same schema',
    async () => {
      await fc.assert(
        fc.asyncProperty(world, names, async (w, n) => {
          const schema = await schemaOfText(surql(w, n, false));
          const again = await schemaOfText(schemaToSurql(schema));
          expect(compareSchemas(again, schema)).toEqual([]);
        }),
        fcOptions(40),
      );
    },
    TIMEOUT,
  );

  it(
    'every pair `diff` writes from one to another applies over rows and rolls back',
    async () => {
      let split = 0;
      await fc.assert(
        fc.asyncProperty(world, world, names, async (a, b, n) => {
          const trip = await diffRoundTrip(surql(a, n, true), surql(b, n, false));
          expect(compareSchemas(trip.afterUp, trip.desired)).toEqual([]);
          expect(compareSchemas(trip.afterDown, trip.current)).toEqual([]);
          if (trip.migrations.length > 1) split++;
        }),
        fcOptions(30),
      );
      // The runs met what cannot share a transaction (a view defined again, an analyzer for an index).
      expect(split).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});

/** Characters that need escaping, and SurrealQL's keywords as whole names. */
// prettier-ignore
const NAME_UNITS = ['a', 'Z', '_', '0', '-', ' ', '`', '\\', 'é', '⟩', "'", '"', '.', '$', '😀', '/', '(', ',', ';', '*'];
const KEYWORDS = ['select', 'value', 'from', 'table', 'where', 'define', 'none', 'true'];
const oddName = fc.oneof(
  fc.string({ unit: fc.constantFrom(...NAME_UNITS), minLength: 1, maxLength: 6 }),
  fc.constantFrom(...KEYWORDS),
);
/**
 * A field's name: SurrealDB 3.0.2 cannot read back a table with a field named as a keyword that
 * starts an expression (`none`, `true`, `select`, `define`: INFO FOR TABLE fails), so fields get
 * names with a character that needs escaping.
 */
const oddFieldName = fc
  .string({ unit: fc.constantFrom(...NAME_UNITS), minLength: 1, maxLength: 6 })
  .filter((s) => /\W/.test(s));

describe('odd names, escaped by the engine’s rules', () => {
  it(
    'every kind, named oddly, is defined by the up and removed by the down',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            table: oddName,
            field: oddFieldName,
            item: oddFieldName,
            index: oddName,
            event: oddName,
            analyzer: oddName,
            fn: fc.array(
              oddName.filter((s) => !s.includes(':')),
              { minLength: 1, maxLength: 2 },
            ),
            param: oddName,
            access: oddName,
            user: oddName,
            sequence: oddName,
          }),
          async (n) => {
            const q = quoteIdent;
            const table = q(n.table);
            const text = [
              `DEFINE TABLE ${table} SCHEMAFULL;`,
              `DEFINE FIELD ${q(n.field)} ON ${table} TYPE array<object>;`,
              `DEFINE FIELD ${q(n.field)}${SURREALDB >= 3 ? '.*' : '[*]'}.${q(n.item)} ON ${table} TYPE option<string>;`,
              `DEFINE INDEX ${q(n.index)} ON ${table} FIELDS ${q(n.field)};`,
              `DEFINE EVENT ${q(n.event)} ON ${table} WHEN true THEN {};`,
              `DEFINE ANALYZER ${q(n.analyzer)} TOKENIZERS blank;`,
              `DEFINE FUNCTION fn::${n.fn.map(q).join('::')}() { RETURN 1; };`,
              `DEFINE PARAM $${q(n.param)} VALUE 1;`,
              `DEFINE ACCESS ${q(n.access)} ON DATABASE TYPE JWT URL 'https://auth.example.com/jwks.json';`,
              `DEFINE USER ${q(n.user)} ON DATABASE PASSWORD 'pw' ROLES VIEWER;`,
              ...(SURREALDB >= 3 ? [`DEFINE SEQUENCE ${q(n.sequence)};`] : []),
            ].join('\n');
            const trip = await diffRoundTrip('', text);
            expect(compareSchemas(trip.afterUp, trip.desired)).toEqual([]);
            expect(compareSchemas(trip.afterDown, trip.current)).toEqual([]);
            expect(trip.desired.length).toBeGreaterThanOrEqual(SURREALDB >= 3 ? 12 : 11);
            const schema = trip.desired;
            expect(compareSchemas(await schemaOfText(schemaToSurql(schema)), schema)).toEqual([]);
          },
        ),
        fcOptions(25),
      );
    },
    TIMEOUT,
  );
});
