/**
 * kindAccepts against the engine's own judgement: for each kind K and stored value V, the engine's
 * verdict is whether `UPDATE t:i MERGE {}` succeeds once `DEFINE FIELD f ON t TYPE K` is defined
 * (the write coerces f, and the fields the engine defines inside it, `f[*]`), the predicate's is
 * `SELECT VALUE <kindAccepts(K, 'f')> FROM ONLY t:i` on the same row before that write.
 */
import { spawn } from 'node:child_process';
import type { Surreal } from 'surrealdb';
import { kindAccepts } from '../../src/core/surql/kind-predicate.js';
import { repoRoot } from '../support/child.js';
import { ENGINE, itOn, memClient, SURREALDB } from '../support/engine.js';

const MAJOR: 2 | 3 = SURREALDB === 2 ? 2 : 3;

/** A kind or value for both engines, or `[text, engine]` for one only. */
type Entry = string | readonly [string, 'v2' | 'v3'];
const forEngine = (entries: readonly Entry[]): string[] => [
  ...new Set(entries.flatMap((e) => (typeof e === 'string' ? [e] : e[1] === ENGINE ? [e[0]] : []))),
];

/** The kinds the brief names, and unions, literals and nestings of them; the engine writes each one. */
// prettier-ignore
const NAMED: readonly Entry[] = [
  'any', 'bool', 'int', 'float', 'decimal', 'number', 'string', 'datetime', 'duration', 'uuid', 'bytes',
  'object', 'array', 'set', 'record', 'null', ['none', 'v3'], 'geometry', 'geometry<point>', 'geometry<line>',
  'geometry<polygon>', 'geometry<multipoint>', 'geometry<point | polygon>', ['geometry<feature>', 'v2'], 'point',
  ['regex', 'v3'], 'range', 'function', ['table', 'v3'], ['table<user>', 'v3'],
  'array<int, 3>', 'array<int, 0>', 'array<string, 5>', 'array<array<int, 2>, 2>', 'array<option<int>>',
  'array<{ a: int }>', 'array<[int, int]>', 'set<int, 1>', 'set<int, 2>', 'set<number, 1>', 'set<any>',
  'set<array<int>>', 'record<user | team>', 'record<`a b` | user>',
  'option<int | string>', 'option<array<record<user>>>', 'option<array<array<int>>>',
  'int | string', 'int | null', 'string | int', 'float | string', 'int | decimal', 'decimal | int', 'int | float',
  'int | bool', ['int | none', 'v3'], ['none | int | string', 'v3'], ['string | null | none', 'v3'],
  ['none | array<int> | string', 'v3'], 'record<user> | string', 'object | array', 'true | 1',
  "'x'", '"user"', '1 | 2', '1', '1.0', '1.5', '1dec', '1.5dec', '0.1f', '0.1dec', '-1', '1s', 'true', 'false',
  '{ a: int, b: option<string> }', '{ a: option<int> }', '{ a: float }', '{ a: decimal }', '{}',
  '{ a: { b: int } }', '{ a: any }', '{ "a": string }', '{ a: int } | { b: string }', '{ a: int } | string',
  'int | { a: int }', '[int, option<string>]', '["a", 1]', '[int, int, int]', '[any, any]',
  '[array<int>, array<int>]', '[]',
  // SurrealDB 2 tries a union's members with the value the previous one's error names.
  'array<int> | string', 'array<int> | array<string>', 'array<int, 2> | array<any>', 'array<int> | float',
  'array<array<int>> | string', 'set<int, 1> | array<int>', 'set<int> | string', 'set<int> | "b"',
  'array<int | string> | bool', 'array<array<int, 1>> | string', '[int] | string', 'array<string> | int',
  'array<option<int>> | string', 'array<record<user>> | record<team>', 'option<array<int> | string>',
  '[int, string] | [string, int]', '1 | array<int>', '{ a: array<int> | string }', '[array<int> | string]',
  'array<int, 2> | string', 'array<array<int>, 1> | string',
  // Unions of object literals: SurrealDB 2 reads them as one discriminated object where a key tells them apart.
  '{ t: "a", x: int } | { t: "b", y: string }', '{ t: "a", x: int } | { t: "a", y: string }',
  '{ t: "a", x: int } | { t: "a" | "b", y: string }', '{ t: "a", x: int } | { t: string, y: string }',
  '{ t: int, x: int } | { t: string, y: string }', 'array<{ t: "a", x: int } | { t: "a" | "b", y: string }>',
  'option<{ t: "a", x: int } | { t: "b", y: string }>',
  // The fields the engines define inside a field (`f[*]`) check an object's values too.
  'array<int> | object', 'array<array<bool>> | object', '[int, string] | array<int>', 'array<int, 2> | array<float>',
  'set<int> | object', 'array<int> | { a: string }', 'array<array<int> | object>', 'array<string> | set<int>',
  'array<float> | object', 'array<option<int>> | object', 'record | array<record<user>>',
  'array<int> | { a: int } | { a: string }', 'array<{ a: int }> | object', 'array<array<int>> | array<object>',
];

/** Kinds nested in one another, generated. */
const INNER = ['int', 'float', 'decimal', 'string', 'bool', 'record<user>', '"a" | "b"', '{ a: int }', '[int, string]'];
const NESTED: string[] = INNER.flatMap((k) => [`array<${k}>`, `option<${k}>`, `set<${k}>`, `array<${k}, 2>`]);

/** Stored values: a missing field (NONE) first. user:1 and team:1 exist, user:2 and other:1 do not. */
// prettier-ignore
const VALUES: readonly Entry[] = [
  'NONE', 'NULL', 'true', 'false', '0', '1', '-1', '2', '1.0', '1.5', '-0.0', '1e20', '1e30', '<float>"NaN"',
  'math::inf', '1dec', '1.5dec', '0.1dec', '0.1f', '9223372036854775807dec', '9223372036854775807.5dec',
  '9223372036854775808dec', '""', '"x"', '"a"', '"b"', '"1"', '"user"', '"2024-01-01T00:00:00Z"',
  'd"2024-01-01T00:00:00Z"', '1s', '1d2h', 'u"0189a5b8-0000-7000-8000-000000000000"', 'user:1', 'user:2', 'team:1',
  'other:1', 'user:⟨a b⟩', '[]', '[1]', '[1, 2]', '[1, 2, 3]', '[1, "a"]', '[1, 2, 3, 4, 5, 6]', '["a", "b"]',
  '[1, 1]', '[1, 1.0]', '[1, 1.5dec]', '[1.5]', '[1.5dec]', '[user:1]', '[user:1, team:1]', '[NULL]', '[NONE]',
  '[NONE, 1]', '[1, NONE, "a"]', '[[1, 2], [3, 4]]', '[[1, "z"]]', '[[1]]', '[["x"]]', '[{ a: 1 }]',
  '[{ a: "x" }]', '[true]', '[1.5, true]', '[2, "b", 1, "a"]', '[d"2024-01-01T00:00:00Z", 5]', '["a", 1]', '{}',
  '{ a: 1 }', '{ a: 1.0 }', '{ a: 1.5dec }', '{ a: "x" }', '{ a: 1, b: "x" }', '{ a: 1, c: 1 }', '{ a: { b: 1 } }',
  '{ a: { b: true } }', '{ a: [1] }', '{ a: [1, "a"] }', '{ a: NULL }', '{ a: user:1 }', '{ b: "x" }',
  '{ t: "a", x: 1 }', '{ t: "a", y: "s" }', '{ t: "b", y: "s" }', '{ t: 1, x: 1 }', '{ t: "z", y: "s" }',
  '{ u: "b", y: "s" }', '[{ t: "a", y: "s" }]', '(1, 2)', '{ type: "LineString", coordinates: [[0, 0], [1, 1]] }',
  '{ type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }',
  '{ type: "MultiPoint", coordinates: [[0, 0], [1, 1]] }', '<bytes>"ab"', ['b"0011"', 'v3'], '<set>[1, 2]',
  ['{1, 2}', 'v3'], ['{1, 2, 3}', 'v3'], ['{1.5dec}', 'v3'], ['{1, "a"}', 'v3'], '1..3', '/a/',
  ['type::table("user")', 'v3'],
];

/**
 * Pairs the matrix leaves out. SurrealDB 3.0.2 aborts the process (a panic: "If can_coerce_to_kind
 * returns true then coerce_to_kind must not error") when a union's member, chosen by a looser test,
 * then fails: `int` truncates a decimal with a fraction in that test; such pairs are judged in child
 * processes by the last test. SurrealDB 2.6 deduplicates 1 and 1.0 in a set at random (about once
 * in 100), which decides a set's size: no verdict to compare with.
 */
function leftOut(kind: string, value: string): boolean {
  if (MAJOR === 3) return /\||option</.test(kind) && /\.\d*[1-9]|e-\d/.test(value);
  return /set<[^>]*, \d+>/.test(kind) && value === '[1, 1.0]';
}

interface Pair {
  kind: string;
  value: string;
  engine: boolean;
  predicate: boolean | string;
}

/** One request per kind: its table, its field, the predicate on each row, then each row written. */
async function judgeKind(db: Surreal, kind: string, index: number, values: readonly string[]): Promise<Pair[]> {
  const predicate = kindAccepts(kind, 'f', MAJOR);
  if (predicate === undefined) throw new Error(`kindAccepts(${kind}) is undefined`);
  const rows = values.flatMap((value, i) => (leftOut(kind, value) ? [] : [i]));
  const t = `t${index}`;
  const text = [
    `DEFINE TABLE ${t} SCHEMALESS; INSERT INTO ${t} (SELECT * FROM src) RETURN NONE; DEFINE FIELD f ON ${t} TYPE ${kind};`,
    ...rows.map((i) => `SELECT VALUE ${predicate} FROM ONLY ${t}:${i};`),
    ...rows.map((i) => `UPDATE ${t}:${i} MERGE {} RETURN NONE;`),
  ].join('\n');
  const answers = await db.query(text).responses();
  if (!answers[2]?.success) throw new Error(`DEFINE FIELD … TYPE ${kind}: ${String(answers[2]?.error)}`);
  return rows.map((i, n) => {
    const judged = answers[3 + n]!;
    return {
      kind,
      value: values[i]!,
      engine: answers[3 + rows.length + n]!.success,
      predicate: judged.success ? (judged.result as boolean) : `error: ${String(judged.error)}`,
    };
  });
}

describe(`kindAccepts against SurrealDB ${SURREALDB}'s own verdicts`, () => {
  let db: Surreal;
  const values = forEngine(VALUES);
  const kinds = forEngine([...NAMED, ...NESTED]);

  beforeAll(async () => {
    db = await memClient({ namespace: 'kinds', database: 'kinds' });
    const seed = values.map((v, i) =>
      v === 'NONE' ? `CREATE src:${i} RETURN NONE;` : `CREATE src:${i} SET f = ${v} RETURN NONE;`,
    );
    const answers = await db
      .query(['DEFINE TABLE src SCHEMALESS; CREATE user:1, team:1 RETURN NONE;', ...seed].join('\n'))
      .responses();
    expect(answers.filter((a) => !a.success).map((a) => String(a.error))).toEqual([]);
  });
  afterAll(async () => {
    await db.close();
  });

  it('agrees with the engine on every kind and value of the matrix', async () => {
    expect(kinds.length).toBeGreaterThan(150);
    expect(values.length).toBeGreaterThan(90);
    const pairs: Pair[] = [];
    for (const [index, kind] of kinds.entries()) pairs.push(...(await judgeKind(db, kind, index, values)));

    const mismatches = pairs
      .filter((p) => p.predicate !== p.engine)
      .map(
        (p) => `${p.kind} | ${p.value} | engine ${p.engine ? 'accepts' : 'refuses'} | predicate ${String(p.predicate)}`,
      );
    expect(mismatches).toEqual([]);

    // The matrix can fail: most kinds meet values the engine takes and values it refuses.
    const judged = kinds.map((kind) => pairs.filter((p) => p.kind === kind).map((p) => p.engine));
    const twoSided = judged.filter((verdicts) => verdicts.includes(true) && verdicts.includes(false));
    expect(twoSided.length / kinds.length).toBeGreaterThan(0.9);
    expect(pairs.filter((p) => p.engine).length).toBeGreaterThan(pairs.length / 20);
    expect(pairs.filter((p) => !p.engine).length).toBeGreaterThan(pairs.length / 2);
  });

  it('does not ask whether a record exists, and neither does the engine', async () => {
    // Every statement succeeds (collect() throws otherwise): the write of a missing record's id too.
    const answers = await db
      .query<[unknown, unknown, unknown, unknown, boolean]>(
        'DEFINE TABLE r SCHEMALESS; CREATE r:1 SET f = user:404 RETURN NONE; ' +
          'DEFINE FIELD f ON r TYPE record<user>; UPDATE r:1 MERGE {} RETURN NONE; ' +
          `SELECT VALUE ${kindAccepts('record<user>', 'f', MAJOR)!} FROM ONLY r:1;`,
      )
      .collect();
    expect(answers[4]).toBe(true);
  });

  itOn(['v3'], 'REFERENCE is SurrealDB 3 only (an experimental capability of 2)')(
    'does not check a record exists under REFERENCE either (3.0.2)',
    async () => {
      const answers = await db
        .query(
          'DEFINE TABLE rr SCHEMALESS; CREATE rr:1 SET f = user:404 RETURN NONE; ' +
            'DEFINE FIELD f ON rr TYPE record<user> REFERENCE; UPDATE rr:1 MERGE {} RETURN NONE;',
        )
        .responses();
      expect(answers.map((a) => a.success)).toEqual([true, true, true, true]);
    },
  );

  itOn(['v3'], 'SurrealDB 2 tries every member of a union and never panics')(
    'counts as refused what SurrealDB 3.0.2 aborts the process on, judged in child processes',
    async () => {
      const cases: [kind: string, value: string][] = [
        ['option<int>', '1.5dec'],
        ['int | string', '0.5dec'],
        ['float | int', '1.5dec'],
        ['array<int, 2> | array<decimal>', '[1.5]'],
        ['array<int, 2> | array<float>', '[1.5dec]'],
        ['set<int> | array<any>', '[1.5dec]'],
        ['array<int> | object', '{ a: 1.5dec }'],
        ['[int] | string', '[1.5dec]'],
        ['array<int> | string', '[1.5]'],
        ['int | string', '9223372036854775808.5dec'],
      ];
      const verdicts = await Promise.all(cases.map(([kind, value]) => judgeInChild(kind, value)));
      for (const [i, [kind, value]] of cases.entries()) {
        const [answer] = await db.query<[boolean]>(`RETURN (|$f| ${kindAccepts(kind, '$f', 3)!})(${value});`).collect();
        expect([kind, value, verdicts[i] === 'accepted']).toEqual([kind, value, answer]);
      }
      // Both sides are there: values taken, values refused, and processes aborted.
      expect(verdicts).toContain('accepted');
      expect(verdicts).toContain('refused');
      expect(verdicts).toContain('aborted');
    },
  );
});

/** The write of one value under one kind, by SurrealDB 3 in a process of its own. */
const CHILD = `
import { Surreal } from 'surrealdb';
import { createNodeEngines } from '@surrealdb/node';
const [kind, value] = JSON.parse(process.argv[1]);
const db = new Surreal({ engines: createNodeEngines() });
await db.connect('mem://', { namespace: 'k', database: 'k' });
const text = 'DEFINE TABLE t SCHEMALESS; CREATE t:1 SET f = ' + value + ' RETURN NONE; ' +
  'DEFINE FIELD f ON t TYPE ' + kind + '; UPDATE t:1 MERGE {} RETURN NONE;';
const answers = await db.query(text).responses();
console.log(answers[3].success ? 'accepted' : 'refused');
process.exit(0);
`;

function judgeInChild(kind: string, value: string): Promise<'accepted' | 'refused' | 'aborted'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify([kind, value])], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && /accepted|refused/.test(out)) resolve(out.includes('accepted') ? 'accepted' : 'refused');
      // The panic aborts the process: SIGABRT.
      else if (signal === 'SIGABRT' || code === 134) resolve('aborted');
      else reject(new Error(`child for ${kind} / ${value}: exit ${String(code ?? signal)}: ${out}`));
    });
  });
}
