/**
 * Differential property tests: the embedded SurrealDB engine of the suite (SURREALDB_ENGINE: 3 from
 * @surrealdb/node, 2 from @surrealdb/wasm, mem://) is the oracle for the SurrealQL statement splitter
 * (src/core/surql/surql-splitter.ts) and the refusal policy (src/core/surql/script-policy.ts).
 *
 * - Scripts are generated with fast-check; the engine decides what they mean. A script the engine rejects
 *   with a parse error is skipped (and counted: each property asserts a minimum acceptance rate, so it cannot
 *   pass vacuously).
 * - Every case runs in its own database (`db.use`) on one shared connection.
 * - Failures print scripts with JSON.stringify and every non-ASCII character as `\uXXXX`.
 *
 * Runs and seed can be changed with FC_NUM_RUNS and FC_SEED.
 */
import fc from 'fast-check';
import type { QueryResponse, Surreal } from 'surrealdb';
import { findRefusal } from '../../src/core/surql/script-policy.js';
import { surqlStatements } from '../../src/core/surql/surql-splitter.js';
import { createClient } from '../../src/core/db/connection.js';
import { memClient, SURREALDB } from '../support/engine.js';

// ---------------------------------------------------------------------------------------------------------------
// Reporting helpers
// ---------------------------------------------------------------------------------------------------------------

/** JSON.stringify with every non-ASCII character escaped, so Unicode spaces and line separators are visible. */
function visible(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const NUM_RUNS = 150;
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
function fcOptions<T>(numRuns = NUM_RUNS): fc.Parameters<T> {
  return { numRuns: Number(process.env.FC_NUM_RUNS ?? numRuns), ...(SEED === undefined ? {} : { seed: SEED }) };
}

/** Counts the cases the engine accepted, so that a property cannot pass by skipping everything. */
class Acceptance {
  accepted = 0;
  rejected = 0;
  private readonly samples: string[] = [];

  constructor(private readonly label: string) {}

  accept(): void {
    this.accepted++;
  }

  reject(script: string, why: string): void {
    this.rejected++;
    if (this.samples.length < 8) this.samples.push(`${visible(script)}\n      -> ${why.split('\n')[0]}`);
  }

  /** Throws unless at least `minRate` of the cases were accepted by the engine. */
  expectRate(minRate: number): void {
    const total = this.accepted + this.rejected;
    const rate = total === 0 ? 0 : this.accepted / total;
    if (rate < minRate) {
      throw new Error(
        `${this.label}: the engine accepted only ${this.accepted} of ${total} generated cases ` +
          `(${(rate * 100).toFixed(1)}% < ${minRate * 100}%); the generator needs fixing. Rejected, e.g.:\n    ` +
          this.samples.join('\n    '),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------------------------------

type Outcome =
  | { kind: 'answered'; answers: QueryResponse[] }
  | { kind: 'parse-error'; message: string }
  /** Thrown for the whole request but not a parse error (e.g. a value the SDK cannot decode). */
  | { kind: 'request-error'; message: string };

let db: Surreal;
let caseNumber = 0;

beforeAll(async () => {
  db = await memClient({ namespace: 'diff', database: 'setup' });
});

afterAll(async () => {
  await db?.close();
});

/** Switches the connection to a database of its own, and runs `setup` there. */
async function freshDatabase(setup: string, on: Surreal = db): Promise<string> {
  const database = `case${++caseNumber}`;
  await on.use({ namespace: 'diff', database });
  if (setup) {
    const answers = await on.query(setup).responses();
    const failed = answers.find((answer) => !answer.success);
    if (failed && !failed.success) throw new Error(`setup failed: ${failed.error.message}`);
  }
  return database;
}

async function runOnEngine(text: string, on: Surreal = db): Promise<Outcome> {
  try {
    return { kind: 'answered', answers: await on.query(text).responses() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return /parse error/i.test(message) ? { kind: 'parse-error', message } : { kind: 'request-error', message };
  }
}

async function recordIds(table: string, on: Surreal = db): Promise<string[]> {
  const [ids] = await on.query<[unknown[]]>(`SELECT VALUE id FROM ${table}`).collect();
  return ids.map(String);
}

// ---------------------------------------------------------------------------------------------------------------
// Generator building blocks
// ---------------------------------------------------------------------------------------------------------------

type Part = string | fc.Arbitrary<string>;

/** Concatenation of fixed text and generated pieces. */
function seq(...parts: Part[]): fc.Arbitrary<string> {
  return fc
    .tuple(...parts.map((part) => (typeof part === 'string' ? fc.constant(part) : part)))
    .map((pieces) => pieces.join(''));
}

/** A keyword in upper, lower or capitalised case. */
function kw(word: string): fc.Arbitrary<string> {
  const lower = word.toLowerCase();
  return fc.constantFrom(word.toUpperCase(), lower, lower.charAt(0).toUpperCase() + lower.slice(1));
}

/** Whitespace the engine accepts between tokens (checked: Unicode spaces are whitespace to it). */
const UNICODE_SPACES = [
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2001',
  '\u2002',
  '\u2003',
  '\u2004',
  '\u2005',
  '\u2006',
  '\u2007',
  '\u2008',
  '\u2009',
  '\u200a',
  '\u202f',
  '\u205f',
  '\u3000',
  '\u000b',
  '\u000c',
];
const ASCII_SPACES = [' ', '\t', '\n', '\r\n', '\r'];
/** What ends a line comment for the engine. U+0085, U+2028 and U+2029 are NOT whitespace elsewhere. */
const LINE_ENDS = ['\n', '\r\n', '\r', '\u0085', '\u2028', '\u2029'];

/** One separator between tokens: usually a space, sometimes another (Unicode) space. */
const sp: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(' ') },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE_SPACES) },
  { weight: 1, arbitrary: fc.constantFrom('\t', '\n', '\r\n') },
);

const lineComment: fc.Arbitrary<string> = seq(
  fc.constantFrom('--', '//', '#'),
  fc.constantFrom(' ;', ' a;b', '', " 'x;", ' /*', ' "', ' ⟨'),
  fc.constantFrom(...LINE_ENDS),
);
const blockComment: fc.Arbitrary<string> = fc.constantFrom('/* ; */', '/* a;\n b */', '/**/', "/* ' */", '/* -- */');

/** Whitespace and comments between statements (possibly nothing: glued tokens such as `1;2`). */
const gap: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ASCII_SPACES, ...UNICODE_SPACES) },
      { weight: 2, arbitrary: lineComment },
      { weight: 1, arbitrary: blockComment },
    ),
    { maxLength: 3 },
  )
  .map((pieces) => pieces.join(''));

/** Memoises a depth-indexed arbitrary factory (the recursion would otherwise be built exponentially often). */
function byDepth(make: (depth: number) => fc.Arbitrary<string>): (depth: number) => fc.Arbitrary<string> {
  const cache = new Map<number, fc.Arbitrary<string>>();
  return (depth) => {
    let arbitrary = cache.get(depth);
    if (!arbitrary) {
      arbitrary = make(depth);
      cache.set(depth, arbitrary);
    }
    return arbitrary;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Properties 1 and 2: lexically hazardous, side-effect-free scripts
// ---------------------------------------------------------------------------------------------------------------

/** Regex literals holding `;`, quotes and escaped slashes. */
const regex = fc.constantFrom(
  '/a;b/',
  String.raw`/x\/;y/`,
  '/;/',
  "/'/",
  '/"/',
  String.raw`/\/\/;/`,
  '/--;/',
  // The engine reads a regex across lines.
  '/a;\nb/',
  '/a\r\n;b/',
);

const stringLiteral = fc.constantFrom(
  "'a;b'",
  String.raw`"it\"s;"`,
  String.raw`'it\'s;'`,
  String.raw`'a\\'`,
  String.raw`"back\\"`,
  '"x;y"',
  "'/*'",
  "'--;'",
  '"#;"',
  "'⟨;'",
  '"`;"',
);

const prefixedString = fc.constantFrom(
  'r"t:1"',
  "r't:1'",
  'd"2020-01-01"',
  "d'2020-01-01T00:00:00Z'",
  'u"0189e4b8-2f57-7f2b-8a3f-3e2f7b5e6c11"',
  's"x;y"',
  "s'a;b'",
);

const number = fc.constantFrom('1', '-2', '1.5e3', '10dec', '5f', '1s', '1h30m');

const identifierValue = fc.constantFrom('{`a;b`: 1}.`a;b`', '{ ⟨c;d⟩: 2 }.⟨c;d⟩', 't:⟨a;b⟩', 't:`c;d`');

/** Regexes in operand positions, always inside a comparison so the answer is a boolean the SDK can decode. */
const regexComparison = fc.oneof(
  seq("'a;b'", sp, '=', sp, regex),
  seq('(', regex, sp, '=', sp, "'x'", ')'),
  seq("'a;b'", sp, kw('CONTAINS'), sp, regex),
  seq('true', sp, kw('AND'), sp, regex, sp, '=', sp, "'a'"),
  seq("string::matches('a;b',", sp, regex, ')'),
  seq('[', regex, sp, '=', sp, "'a',", sp, regex, sp, '=', sp, "'b']"),
);

const division = fc.oneof(
  seq('6', sp, '/', sp, '2'),
  seq('(6)', sp, '/', sp, '2'),
  seq('[6][0]', sp, '/', sp, '2'),
  seq('1', sp, '/', sp, '2', sp, '/', sp, '3'),
  seq('{a: 4}.a', sp, '/', sp, '2'),
  seq("<int> '5'", sp, '/', sp, '2'),
  seq('(IF true { 4 })', sp, '/', sp, '2'),
  seq('[4, 2][0]', sp, '/', sp, '[4, 2][1]'),
  seq('1 /* / */', sp, '/', sp, '2'),
);

const lexicalExpression = byDepth((depth): fc.Arbitrary<string> => {
  const leaf = fc.oneof(stringLiteral, prefixedString, number, identifierValue, regexComparison, division);
  if (depth === 0) return leaf;
  const inner = lexicalExpression(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: seq('[', inner, ',', sp, inner, ']') },
    { weight: 1, arbitrary: seq('(', inner, ')') },
    { weight: 1, arbitrary: seq('{', sp, kw('LET'), ' $x', sp, '=', sp, inner, ';', sp, '$x', sp, '}') },
  );
});
const expression = lexicalExpression(2);

/** Field names that are also keywords; after `=` the engine reads `name / 2` as a division. */
const keywordLikeField = fc.constantFrom(
  'outside',
  'value',
  'contains',
  'where',
  'and',
  'or',
  'not',
  'is',
  'then',
  'inside',
  'Outside',
  'VALUE',
);

/** One statement and the keyword the splitter should report for it. */
interface Fragment {
  text: string;
  keyword: string;
}

function statement(keyword: string, ...parts: Part[]): fc.Arbitrary<Fragment> {
  return seq(...parts).map((text) => ({ text, keyword }));
}

/** Statements of properties 1 and 2. They write only to table `t` of their own database. */
const lexicalStatement: fc.Arbitrary<Fragment> = fc.oneof(
  statement('LET', kw('LET'), sp, '$a', sp, '=', sp, expression),
  statement('LET', kw('LET'), sp, '$r', sp, '=', sp, regex),
  statement('SELECT', kw('SELECT'), sp, expression, sp, kw('AS'), sp, 'x', sp, kw('FROM'), sp, kw('ONLY'), sp, '{}'),
  statement('SELECT', kw('SELECT'), '*', kw('FROM'), fc.constantFrom(' ONLY{}', '{}', ' ONLY {}')),
  statement('RETURN', kw('RETURN'), sp, expression),
  statement('RETURN', kw('RETURN'), fc.constantFrom('"x"', "'a;b'", '{ LET $x = 1; $x }', '(1)', '[";"]')),
  statement(
    'DEFINE',
    kw('DEFINE'),
    sp,
    kw('PARAM'),
    sp,
    kw('OVERWRITE'),
    sp,
    '$p',
    sp,
    kw('VALUE'),
    sp,
    fc.oneof(expression, regex),
  ),
  statement('DEFINE', kw('DEFINE'), ' FIELD OVERWRITE f ON t ', kw('DEFAULT'), sp, regex),
  statement('DEFINE', kw('DEFINE'), " FUNCTION OVERWRITE fn::semi($s: string) { RETURN $s + ';' }"),
  statement(
    'UPDATE',
    kw('UPDATE'),
    ' t ',
    kw('SET'),
    ' half',
    sp,
    '=',
    sp,
    keywordLikeField,
    sp,
    '/',
    sp,
    '2 RETURN NONE',
  ),
  statement(
    'SELECT',
    kw('SELECT'),
    ' VALUE id FROM t ',
    kw('WHERE'),
    sp,
    fc.constantFrom('outside', 'value'),
    sp,
    '/',
    sp,
    '2 > 0',
  ),
  statement(
    'SELECT',
    kw('SELECT'),
    ' ',
    kw('VALUE'),
    sp,
    fc.constantFrom('outside', 'value', 'inside'),
    sp,
    '/',
    sp,
    '2',
    fc.constantFrom('', ' /2/ 1'),
    ' FROM t',
  ),
  statement('CREATE', kw('CREATE'), sp, fc.constantFrom('t:⟨a;b⟩', 't:`c;d`', 't:⟨x;/⟩'), ' RETURN NONE'),
  statement(
    'UPSERT',
    kw('UPSERT'),
    sp,
    fc.constantFrom('t:⟨e;f⟩', 't:`g;h`'),
    ' SET s = ',
    stringLiteral,
    ' RETURN NONE',
  ),
  statement('', '{', sp, kw('LET'), ' $x', sp, '=', sp, expression, ';', sp, '$x', sp, '}'),
  statement('', fc.constantFrom('{ RETURN"x" }', "{RETURN'x'}", '{ RETURN/a;b/ = "a" }')),
  statement('', '(', expression, ')'),
  statement(
    'IF',
    kw('IF'),
    sp,
    'true',
    sp,
    '{',
    sp,
    expression,
    sp,
    '}',
    sp,
    kw('ELSE'),
    sp,
    '{',
    sp,
    expression,
    sp,
    '}',
  ),
  statement('IF', kw('IF'), '(true){', expression, '}'),
  statement(
    'FOR',
    kw('FOR'),
    ' $i ',
    kw('IN'),
    ' [1, 2]',
    sp,
    '{',
    sp,
    'LET $q',
    sp,
    '=',
    sp,
    expression,
    ';',
    sp,
    '}',
  ),
  statement('FOR', kw('FOR'), ' $i IN[1]{ UPDATE t SET n = $i RETURN NONE; }'),
);

/** Several statements, separated by `;` with whitespace and comments around (and empty statements). */
const lexicalScript: fc.Arbitrary<{ text: string; fragments: Fragment[] }> = fc
  .record({
    lead: gap,
    items: fc.array(
      fc.record({
        fragment: lexicalStatement,
        before: gap,
        emptyStatement: fc.option(gap, { freq: 4 }),
        after: gap,
      }),
      { minLength: 1, maxLength: 5 },
    ),
    trailingSemicolon: fc.boolean(),
  })
  .map(({ lead, items, trailingSemicolon }) => {
    let text = lead;
    items.forEach(({ fragment, before, emptyStatement, after }, index) => {
      text += fragment.text + before;
      if (index < items.length - 1 || trailingSemicolon) {
        text += ';' + (emptyStatement === null ? '' : emptyStatement + ';') + after;
      }
    });
    return { text, fragments: items.map((item) => item.fragment) };
  });

const LEXICAL_SETUP = 'DEFINE TABLE t SCHEMALESS; CREATE t:1 SET outside = 4, value = 6, inside = 2 RETURN NONE;';

function describeSplit(text: string): string {
  return surqlStatements(text)
    .map((s) => `      ${s.line}:${s.column} ${JSON.stringify(s.keyword)} ${visible(s.text)}`)
    .join('\n');
}

describe('the splitter, with the engine as the oracle', () => {
  it('1. yields as many statements as the engine gives answers', async () => {
    const acceptance = new Acceptance('statement count');
    await fc.assert(
      fc.asyncProperty(lexicalScript, async ({ text }) => {
        await freshDatabase(LEXICAL_SETUP);
        const outcome = await runOnEngine(text);
        if (outcome.kind !== 'answered') {
          acceptance.reject(text, outcome.message);
          return;
        }
        acceptance.accept();
        const statements = surqlStatements(text);
        if (statements.length !== outcome.answers.length) {
          throw new Error(
            `script ${visible(text)}\n    the engine gave ${outcome.answers.length} answers, ` +
              `the splitter found ${statements.length} statements:\n${describeSplit(text)}`,
          );
        }
      }),
      fcOptions(),
    );
    acceptance.expectRate(0.6);
  });

  it('2a. names the first keyword of each statement (multi-statement scripts)', async () => {
    const acceptance = new Acceptance('keywords');
    await fc.assert(
      fc.asyncProperty(lexicalScript, async ({ text, fragments }) => {
        await freshDatabase(LEXICAL_SETUP);
        const outcome = await runOnEngine(text);
        if (outcome.kind !== 'answered' || outcome.answers.length !== fragments.length) {
          acceptance.reject(text, outcome.kind === 'answered' ? 'unexpected answer count' : outcome.message);
          return;
        }
        acceptance.accept();
        const got = surqlStatements(text).map((s) => s.keyword);
        const expected = fragments.map((f) => f.keyword);
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          throw new Error(
            `script ${visible(text)}\n    expected keywords ${JSON.stringify(expected)}, got ${JSON.stringify(got)}:\n` +
              describeSplit(text),
          );
        }
      }),
      fcOptions(),
    );
    acceptance.expectRate(0.6);
  });

  /** Statements whose keyword matters to the policy, after any leading whitespace or comment. */
  const controlStatement: fc.Arbitrary<Fragment> = fc.oneof(
    lexicalStatement,
    statement('COMMIT', kw('COMMIT'), fc.constantFrom('', ' TRANSACTION', '\u00a0TRANSACTION')),
    statement('CANCEL', kw('CANCEL'), fc.constantFrom('', ' TRANSACTION', '\u3000TRANSACTION')),
    statement('BEGIN', kw('BEGIN'), fc.constantFrom('', ' TRANSACTION', '\u2003TRANSACTION')),
    statement('USE', kw('USE'), sp, 'DB other'),
    statement(
      'RETURN',
      kw('RETURN'),
      fc.constantFrom('"x"', "'x'", '`a;b`', '⟨c;d⟩', '[1]', '{1}', '(1)', '/a;b/ = "a"'),
    ),
  );

  it('2b. names the keyword after leading Unicode spaces, comments and empty statements', async () => {
    const acceptance = new Acceptance('leading keyword');
    const single = fc
      .record({ lead: gap, empties: fc.array(gap, { maxLength: 2 }), fragment: controlStatement, tail: gap })
      .map(({ lead, empties, fragment, tail }) => ({
        text: lead + empties.map((g) => g + ';').join('') + fragment.text + tail,
        fragment,
      }));
    const examples: [{ text: string; fragment: Fragment }][] = [
      [{ text: '\u00a0COMMIT TRANSACTION', fragment: { text: 'COMMIT TRANSACTION', keyword: 'COMMIT' } }],
      [{ text: 'RETURN"x"', fragment: { text: 'RETURN"x"', keyword: 'RETURN' } }],
      [{ text: '-- c\u2028SELECT * FROM ONLY {}', fragment: { text: 'SELECT * FROM ONLY {}', keyword: 'SELECT' } }],
      [{ text: '# c\u0085LET $a = 1', fragment: { text: 'LET $a = 1', keyword: 'LET' } }],
      [{ text: '// c\u2029\u3000CANCEL', fragment: { text: 'CANCEL', keyword: 'CANCEL' } }],
    ];
    await fc.assert(
      fc.asyncProperty(single, async ({ text, fragment }) => {
        await freshDatabase(LEXICAL_SETUP);
        const outcome = await runOnEngine(text);
        if (outcome.kind !== 'answered' || outcome.answers.length !== 1) {
          acceptance.reject(text, outcome.kind === 'answered' ? `${outcome.answers.length} answers` : outcome.message);
          return;
        }
        acceptance.accept();
        const statements = surqlStatements(text);
        if (statements.length !== 1 || statements[0]?.keyword !== fragment.keyword) {
          throw new Error(
            `script ${visible(text)}\n    expected one statement with keyword ${JSON.stringify(fragment.keyword)}, got:\n` +
              describeSplit(text),
          );
        }
      }),
      { ...fcOptions(), examples },
    );
    acceptance.expectRate(0.6);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property 3: RETURN placements, and whether they end the request
// ---------------------------------------------------------------------------------------------------------------

/**
 * Values that are always truthy, so that every IF runs its block, every FOR runs its body once and every
 * WHERE evaluates for the row of `t`: the engine's answer then depends on where a RETURN is, not on data.
 * (No OR / AND either, which would short-circuit.)
 */
const returnValue = byDepth((depth): fc.Arbitrary<string> => {
  const leaf = fc.constantFrom('1', 'true', '[1]', "'a;b'");
  if (depth === 0) return leaf;
  const v = returnValue(depth - 1);
  const s = returnStatement(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 2, arbitrary: seq('(RETURN ', v, ')') },
    { weight: 2, arbitrary: seq('{ RETURN ', v, ' }') },
    { weight: 1, arbitrary: seq('{ ', s, '; ', v, ' }') },
    { weight: 1, arbitrary: seq('[', v, ', ', v, ']') },
    { weight: 1, arbitrary: seq('{ a: ', v, ' }') },
    { weight: 1, arbitrary: seq('(IF true { ', v, ' })') },
    { weight: 1, arbitrary: seq('(SELECT VALUE ', v, ' FROM ONLY {})') },
    { weight: 1, arbitrary: seq('[1].map(|$a| ', v, ')') },
    { weight: 1, arbitrary: seq('(SELECT * FROM [', v, '])') },
    { weight: 1, arbitrary: seq('(SELECT * FROM t WHERE ', v, ')') },
  );
});

/** One or two statements, for a block. */
const returnStatements = byDepth((depth) =>
  fc.array(returnStatement(depth), { minLength: 1, maxLength: 2 }).map((list) => list.join('; ')),
);

/** A statement allowed both at the top level and in a block. */
const returnStatement = byDepth((depth): fc.Arbitrary<string> => {
  const v = returnValue(depth);
  const forms: fc.Arbitrary<string>[] = [
    seq('RETURN ', v),
    seq('LET $v = ', v),
    v,
    seq('IF ', v, ' { 1 }'),
    seq('IF true THEN ', v, ' END'),
    seq('FOR $i IN [', v, '] { 1 }'),
    seq('SELECT * FROM [', v, ']'),
    seq('SELECT ', v, ' AS x FROM t'),
    seq('SELECT * FROM t WHERE ', v),
    seq('UPDATE t SET v = ', v, ' RETURN NONE'),
    seq('UPDATE t SET v = 1 WHERE ', v, ' RETURN NONE'),
    seq('CREATE t SET v = ', v, ' RETURN NONE'),
    seq('UPSERT t:2 SET v = ', v, ' RETURN NONE'),
    seq('LET $c = |$a| ', v),
    seq('LET $q = (SELECT * FROM t WHERE ', v, ')'),
    seq('LET $q = (UPDATE t SET v = ', v, ' RETURN NONE)'),
    // More clauses of SELECT, and statements as values.
    seq('SELECT VALUE v FROM t WHERE ', v),
    seq('SELECT * FROM t WHERE ', v, ' TIMEOUT 1s'),
    seq('SELECT * FROM t WHERE ', v, ' EXPLAIN'),
    seq('SELECT * FROM (SELECT * FROM t WHERE ', v, ')'),
    seq('LET $x = SELECT * FROM t WHERE ', v),
    seq('IF false THEN 1 ELSE ', v, ' END'),
    // The other data statements, and RETURN as a clause or a name.
    seq('DELETE t:9 WHERE ', v, ' RETURN BEFORE'),
    seq('INSERT INTO t (v) VALUES (', v, ') RETURN NONE'),
    seq('RELATE t:1->r->t:1 SET v = ', v, ' RETURN NONE'),
    seq('UPDATE t SET v = 1 RETURN VALUE ', v),
    seq('UPDATE t SET return = ', v, ' RETURN NONE'),
    seq('LET $o = { return: ', v, ' }'),
    fc.constantFrom('SLEEP 1ms', 'SLEEP (RETURN 1ms)', 'SLEEP { RETURN 1ms }'),
    seq('THROW ', v),
  ];
  if (depth > 0) {
    const ss = returnStatements(depth - 1);
    forms.push(
      seq('IF true { ', ss, ' }'),
      seq('IF false { 1 } ELSE { ', ss, ' }'),
      seq('IF false { 1 } ELSE IF true { ', ss, ' }'),
      seq('FOR $i IN [1] { ', ss, ' }'),
      seq('{ ', ss, ' }'),
      seq('LET $x = IF true { ', ss, ' }'),
    );
  }
  return fc.oneof(...forms);
});

/** A top-level statement: the above, or a definition whose body runs later (or never). */
const returnTopStatement = byDepth((depth): fc.Arbitrary<string> => {
  const v = returnValue(depth);
  return fc.oneof(
    { weight: 6, arbitrary: returnStatement(depth) },
    {
      weight: 1,
      arbitrary: seq(
        'DEFINE FUNCTION OVERWRITE fn::f() { ',
        returnStatements(depth),
        ' }',
        fc.constantFrom('', ';\nLET $r = fn::f()'),
      ),
    },
    { weight: 1, arbitrary: seq('DEFINE FIELD OVERWRITE f ON t VALUE ', v) },
    { weight: 1, arbitrary: seq('DEFINE EVENT OVERWRITE e ON t WHEN true THEN ', v) },
    { weight: 1, arbitrary: seq('DEFINE PARAM OVERWRITE $p VALUE ', v) },
    { weight: 1, arbitrary: seq('LET $c = |$a| ', v, ';\n$c(1)') },
  );
});

/** Ways to write the space between two tokens (the first is the plain one, which shrinking goes back to). */
const SPACE_SPELLINGS = [
  ' ',
  '\u00a0',
  '\u3000',
  '\u2003',
  '\t',
  '\n',
  '\r\n',
  '\u000b',
  ' /* ; */ ',
  ' -- ;\u2028',
  ' # c\u0085',
];

/**
 * Respells a script without changing its meaning: the i-th space becomes `SPACE_SPELLINGS[spaces[i]]`
 * (or nothing, when next to a bracket or a quote), and the i-th upper-case word becomes lower case when
 * `lower[i]` is set. The generated scripts have no space or upper-case word inside a string literal.
 */
function respell(script: string, spaces: readonly number[], lower: readonly boolean[]): string {
  let space = 0;
  let word = 0;
  return script.replace(/ |\b[A-Z]{2,}\b/g, (match, offset: number) => {
    if (match !== ' ') return lower[word++] ? match.toLowerCase() : match;
    const pick = spaces[space++] ?? 0;
    const glue = /[([{,]/.test(script.charAt(offset - 1)) || /[([{']/.test(script.charAt(offset + 1));
    if (pick === SPACE_SPELLINGS.length) return glue ? '' : ' ';
    return SPACE_SPELLINGS[pick % SPACE_SPELLINGS.length] ?? ' ';
  });
}

const returnScript = fc
  .tuple(
    fc.array(returnTopStatement(2), { minLength: 1, maxLength: 3 }),
    fc.array(fc.nat(SPACE_SPELLINGS.length), { maxLength: 30 }),
    fc.array(fc.boolean(), { maxLength: 30 }),
  )
  .map(([list, spaces, lower]) => respell(list.join(';\n') + ';', spaces, lower));

/** Contexts checked on every run, each on its own (the engine decides which of them end the request). */
const KNOWN_RETURN_CONTEXTS = [
  'RETURN 1;',
  'LET $y = { RETURN 7 };',
  'LET $z = (RETURN 5);',
  'IF true { RETURN 1 };',
  'IF (RETURN true) { 1 };',
  'FOR $i IN [1] { RETURN 1 };',
  '{ RETURN 1 };',
  'SELECT * FROM (IF true { RETURN [1] });',
  'SELECT * FROM (RETURN [1]);',
  'LET $a = [1, (RETURN 2)];',
  'LET $a = { a: (RETURN 2) };',
  'SELECT * FROM t WHERE (RETURN true);',
  'DEFINE FUNCTION OVERWRITE fn::f() { RETURN 1 };',
  'LET $c = |$a| { RETURN $a };',
  'LET $m = [1].map(|$a| { RETURN $a });',
  'UPDATE t SET v = { RETURN 2 } RETURN NONE;',
  'SELECT (RETURN 1) AS x FROM t;',
  'CREATE t:3 SET v = (RETURN 1) RETURN NONE;',
  'DEFINE FIELD OVERWRITE f ON t VALUE { RETURN 1 };',
  'DEFINE EVENT OVERWRITE e ON t WHEN true THEN { RETURN 1 };',
  'LET $q = (SELECT * FROM t WHERE (RETURN true));',
  'LET $v = { SELECT * FROM t WHERE (RETURN true) };',
  '{ SELECT * FROM t WHERE (RETURN true) };',
  'SELECT * FROM t WHERE (RETURN true) EXPLAIN;',
  'LET $o = { return: 1 };',
  'UPDATE t SET v = 1 RETURN VALUE (RETURN 1);',
  'return"x";',
  '{RETURN(1)};',
  '{ -- c\u2028 RETURN 1 };',
  'LET $v =\u00a0(RETURN 1);',
  // SurrealDB 2's SLEEP takes only a duration literal (a parse error otherwise).
  ...(SURREALDB >= 3 ? ['SLEEP (RETURN 1ms);'] : []),
];

const RETURN_SETUP = 'DEFINE TABLE probe SCHEMALESS; DEFINE TABLE t SCHEMALESS; CREATE t:1 SET v = 1 RETURN NONE;';

type EndedEarly = { kind: 'judged'; endedEarly: boolean } | { kind: 'rejected'; why: string };

/** Runs the script in a transaction between two probes: it ended the request early iff probe:2 is missing. */
async function endsTheRequest(script: string, on: Surreal = db): Promise<EndedEarly> {
  await freshDatabase(RETURN_SETUP, on);
  const outcome = await runOnEngine(
    `BEGIN TRANSACTION;\nCREATE probe:1 RETURN NONE;\n${script}\nCREATE probe:2 RETURN NONE;\nCOMMIT TRANSACTION;`,
    on,
  );
  if (outcome.kind !== 'answered') return { kind: 'rejected', why: outcome.message };
  const failed = outcome.answers.find((answer) => !answer.success);
  if (failed && !failed.success) return { kind: 'rejected', why: `runtime error: ${failed.error.message}` };
  const probes = await recordIds('probe', on);
  if (!probes.includes('probe:1')) return { kind: 'rejected', why: 'probe:1 missing: the transaction did not commit' };
  return { kind: 'judged', endedEarly: !probes.includes('probe:2') };
}

describe('the RETURN refusal, with the engine as the oracle', () => {
  /** How many judged cases ended the request early, to check that both outcomes are well represented. */
  let endedEarlyCount = 0;
  /**
   * On SurrealDB 2, a SurrealDB 3 engine besides: one policy serves both servers, and SurrealDB 2 ends
   * the request for fewer RETURNs (one in a subquery or a condition gives its value back there). A
   * script refused that SurrealDB 2 runs to the end must be one that SurrealDB 3 ends.
   */
  let v3: Surreal | undefined;
  /** Scripts refused on SurrealDB 2 only because SurrealDB 3 ends the request. */
  let refusedForV3 = 0;
  beforeAll(async () => {
    if (SURREALDB >= 3) return;
    v3 = await createClient('mem://', 3);
    await v3.connect('mem://', { namespace: 'diff', database: 'setup' });
  });
  afterAll(async () => {
    await v3?.close();
  });

  async function check(script: string, acceptance: Acceptance): Promise<void> {
    const verdict = await endsTheRequest(script);
    if (verdict.kind === 'rejected') {
      acceptance.reject(script, verdict.why);
      return;
    }
    acceptance.accept();
    if (verdict.endedEarly) endedEarlyCount++;
    const refusal = findRefusal(script, false);
    if (refusal !== undefined && refusal.keyword !== 'RETURN') {
      throw new Error(`script ${visible(script)}\n    unexpected refusal of ${refusal.keyword}: ${refusal.reason}`);
    }
    const refused = refusal !== undefined;
    if (refused && !verdict.endedEarly && v3) {
      // The whole script, or (where SurrealDB 3 fails on another of its statements) the refused one alone.
      let onV3 = await endsTheRequest(script, v3);
      if (onV3.kind === 'rejected') onV3 = await endsTheRequest(`${refusal.statement};`, v3);
      if (onV3.kind === 'judged' && onV3.endedEarly) {
        refusedForV3++;
        return;
      }
    }
    if (refused !== verdict.endedEarly) {
      throw new Error(
        `script ${visible(script)}\n    ` +
          (verdict.endedEarly
            ? 'the engine ENDED the request early (probe:2 missing), but findRefusal let the script through'
            : `the engine ran it to the end, but findRefusal refused it at ${refusal?.line}:${refusal?.column} ` +
              `(${visible(refusal?.statement ?? '')}): ${refusal?.reason}`),
      );
    }
  }

  it('3a. refuses each listed RETURN context exactly when the engine ends the request', async () => {
    const acceptance = new Acceptance('known RETURN contexts');
    const failures: string[] = [];
    for (const script of KNOWN_RETURN_CONTEXTS) {
      await check(script, acceptance).catch((error: unknown) => failures.push((error as Error).message));
    }
    acceptance.expectRate(1);
    if (failures.length) throw new Error(`${failures.length} mismatches:\n  ${failures.join('\n  ')}`);
  });

  it('3b. refuses a generated script exactly when the engine ends the request', async () => {
    const acceptance = new Acceptance('generated RETURN placements');
    endedEarlyCount = 0;
    refusedForV3 = 0;
    await fc.assert(
      fc.asyncProperty(returnScript, (script) => check(script, acceptance)),
      fcOptions(200),
    );
    acceptance.expectRate(0.6);
    // Both outcomes must be common, or the property says little: a refusal (on SurrealDB 2, also one that
    // only SurrealDB 3 needs, where 2 ends the request for fewer RETURNs) and a pass.
    const share = (endedEarlyCount + refusedForV3) / acceptance.accepted;
    if (share < 0.05 || share > 0.95) {
      throw new Error(
        `${endedEarlyCount} of ${acceptance.accepted} generated scripts ended the request` +
          `${v3 ? ` (and ${refusedForV3} more on SurrealDB 3 only)` : ''}: rebalance`,
      );
    }
    // And on SurrealDB 2, scripts that end the request there too.
    if (v3 && endedEarlyCount === 0) throw new Error('no generated script ended the request on SurrealDB 2');
  });

  // -------------------------------------------------------------------------------------------------------------
  // Property 4: BEGIN / COMMIT / CANCEL / USE after Unicode whitespace or a comment
  // -------------------------------------------------------------------------------------------------------------

  type Control = 'BEGIN' | 'COMMIT' | 'CANCEL' | 'USE';

  /** Whether the engine treats `prefix + <control statement>` as that statement (it has its effect). */
  async function engineObeys(
    control: Control,
    prefix: string,
  ): Promise<{ script: string; obeyed: boolean; why: string }> {
    const database = await freshDatabase('DEFINE TABLE probe SCHEMALESS;');
    const other = `${database}_other`;
    const script = {
      BEGIN: `${prefix}BEGIN TRANSACTION;`,
      COMMIT: `${prefix}COMMIT TRANSACTION;`,
      CANCEL: `${prefix}CANCEL TRANSACTION;`,
      USE: `${prefix}USE DB ${other};`,
    }[control];
    const request = {
      // The statement opens a transaction that is then cancelled: probe:1 must not be kept.
      BEGIN: `${script}\nCREATE probe:1;\nCANCEL TRANSACTION;`,
      // The statement commits probe:1 before a CANCEL that then has no transaction to cancel.
      COMMIT: `BEGIN TRANSACTION;\nCREATE probe:1;\n${script}\nCANCEL TRANSACTION;`,
      // The statement cancels probe:1.
      CANCEL: `BEGIN TRANSACTION;\nCREATE probe:1;\n${script}`,
      // The statement moves probe:1 to another database.
      USE: `${script}\nCREATE probe:1;`,
    }[control];
    const outcome = await runOnEngine(request);
    if (outcome.kind !== 'answered') return { script, obeyed: false, why: outcome.message };
    const here = (await recordIds('probe')).includes('probe:1');
    const obeyed = control === 'COMMIT' ? here : !here;
    return { script, obeyed, why: obeyed ? '' : 'the statement had no effect' };
  }

  const prefixArbitrary: fc.Arbitrary<string> = fc.oneof(
    fc.constantFrom(...UNICODE_SPACES),
    seq(fc.constantFrom('-- x', '// x', '# x'), fc.constantFrom(...LINE_ENDS)),
    seq(fc.constantFrom(...UNICODE_SPACES), fc.constantFrom('-- ;', '/* ; */'), fc.constantFrom(...LINE_ENDS)),
  );

  async function checkControl(control: Control, prefix: string, acceptance: Acceptance): Promise<void> {
    const { script, obeyed, why } = await engineObeys(control, prefix);
    if (!obeyed) {
      acceptance.reject(script, why);
      return;
    }
    acceptance.accept();
    for (const noTransaction of [false, true]) {
      const refusal = findRefusal(script, noTransaction);
      if (refusal?.keyword !== control) {
        throw new Error(
          `script ${visible(script)} (noTransaction: ${noTransaction})\n    the engine runs it as ${control}, ` +
            `but findRefusal returned ${refusal ? `a refusal of ${JSON.stringify(refusal.keyword)}` : 'nothing'}`,
        );
      }
      // A single space character before the keyword on line 1: the keyword is at column 2.
      if (prefix.length === 1 && (refusal.line !== 1 || refusal.column !== 2)) {
        throw new Error(
          `script ${visible(script)}\n    refusal at ${refusal.line}:${refusal.column}, expected 1:2 ` +
            `(statement ${visible(refusal.statement)})`,
        );
      }
    }
  }

  it('4a. refuses the listed control statements after Unicode whitespace or a comment', async () => {
    const acceptance = new Acceptance('listed control statements');
    await checkControl('COMMIT', '\u00a0', acceptance);
    await checkControl('CANCEL', '\u2003', acceptance);
    await checkControl('USE', '\u3000', acceptance);
    await checkControl('BEGIN', '-- x\u2028', acceptance);
    acceptance.expectRate(1);
  });

  it('4b. refuses BEGIN / COMMIT / CANCEL / USE after any generated prefix the engine skips', async () => {
    const acceptance = new Acceptance('control statements');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Control>('BEGIN', 'COMMIT', 'CANCEL', 'USE'),
        prefixArbitrary,
        (control, prefix) => checkControl(control, prefix, acceptance),
      ),
      fcOptions(100),
    );
    acceptance.expectRate(0.6);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property 5: long lines split in one pass (no timing: a quadratic scan would exceed the test timeout)
// ---------------------------------------------------------------------------------------------------------------

describe('the splitter on 200 KB lines', () => {
  const LENGTH = 200_000;

  it('5a. splits around a 200 KB regex of escaped slashes', () => {
    const line = 'LET $a = /' + String.raw`\/`.repeat(LENGTH / 2) + '/';
    const statements = surqlStatements(`RETURN 1;\n${line};\nRETURN 2;`);
    expect(statements.map((s) => s.keyword)).toEqual(['RETURN', 'LET', 'RETURN']);
    expect(statements[1]?.text).toBe(line);
  });

  it('5b. splits around 200 KB strings of escaped quotes', () => {
    for (const quote of ["'", '"']) {
      const line = `LET $a = ${quote}` + `\\${quote};`.repeat(LENGTH / 3) + quote;
      const statements = surqlStatements(`RETURN 1;\n${line};\nRETURN 2;`);
      expect(statements.map((s) => s.keyword)).toEqual(['RETURN', 'LET', 'RETURN']);
      expect(statements[1]?.text).toBe(line);
    }
  });

  it('5c. splits around a 200 KB chain of divisions after a keyword-like name', () => {
    const line = 'UPDATE t SET half = outside' + ' / outside'.repeat(LENGTH / 10) + ' RETURN NONE';
    const statements = surqlStatements(`RETURN 1;\n${line};\nRETURN 2;`);
    expect(statements.map((s) => s.keyword)).toEqual(['RETURN', 'UPDATE', 'RETURN']);
  });

  it('5d. returns on a 200 KB line of `\\/` where every `/` could open a regex that never closes', () => {
    // Not SurrealQL: the split is only asked to return (the first statement stays whole).
    for (const line of [
      'LET $a = ' + String.raw`\/`.repeat(LENGTH / 2),
      String.raw`= \/;`.repeat(LENGTH / 5),
      '(/'.repeat(LENGTH / 2),
    ]) {
      const statements = surqlStatements(`RETURN 1;\n${line}`);
      expect(statements[0]?.text).toBe('RETURN 1');
      expect(statements.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('5e. runs an unterminated 200 KB string, identifier or block comment to the end of the input', () => {
    const unterminated: [open: string, unit: string][] = [
      ["'", String.raw`\';`],
      ['⟨', ';'],
      ['/*', ';'],
    ];
    for (const [open, unit] of unterminated) {
      const statements = surqlStatements(`RETURN 1;\nRETURN ${open}` + unit.repeat(LENGTH / 2));
      expect(statements).toHaveLength(2);
      expect(statements[1]?.keyword).toBe('RETURN');
    }
  });
});
