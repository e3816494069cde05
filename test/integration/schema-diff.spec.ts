/**
 * `diff` reaches the desired schema for every kind of definition `INFO` reports, in dependency
 * order, with names escaped and secrets left out, and splits what cannot share a transaction.
 * Each case is a folder, a desired schema, the pair(s) `diff` writes, applied by the production
 * runner on the suite's engine and rolled back: up gives the desired schema, down the old one.
 */
import { schemaToSurql } from '../../src/core/analysis/schema-code.js';
import { compareSchemas, type DatabaseSchema } from '../../src/core/shadow/shadow.js';
import { SURREALDB } from '../support/engine.js';
import { UNKNOWN_PASSWORD_HASH } from '../../src/core/analysis/schema-secrets.js';
import { diffRoundTrip, FULLTEXT, ITEM, schemaOfText, type RoundTrip } from '../support/schema-roundtrip.js';

/** Two schemas are the same where the server shows them the same (a password hash is salted anew). */
function same(a: DatabaseSchema, b: DatabaseSchema): void {
  expect(compareSchemas(a, b)).toEqual([]);
}

/** The round trip reached the desired schema and came back, and wrote no secret. */
function reached(trip: RoundTrip): void {
  expect(trip.steps.length).toBeGreaterThan(0);
  same(trip.afterUp, trip.desired);
  same(trip.afterDown, trip.current);
  for (const m of trip.migrations) {
    expect(m.up + m.down).not.toContain('[REDACTED]');
    expect(withoutKnownHash(m.up + m.down)).not.toContain('$argon2');
  }
}

/** The text without the hash of a password nobody knows, which stands in for every user's. */
function withoutKnownHash(text: string): string {
  return text.split(UNKNOWN_PASSWORD_HASH).join('');
}

/** `[kind, a definition, another definition of the same object, what both need]`, for the suite's engine. */
type KindCase = [kind: string, first: string, second: string, base?: string];
const KINDS: KindCase[] = [
  [
    'analyzer',
    'DEFINE ANALYZER `an-1` TOKENIZERS blank;',
    'DEFINE ANALYZER `an-1` TOKENIZERS blank FILTERS lowercase;',
  ],
  [
    'function',
    'DEFINE FUNCTION fn::`my-fn`::x($a: int) { RETURN $a + 1; };',
    'DEFINE FUNCTION fn::`my-fn`::x($a: int) { RETURN $a + 2; };',
  ],
  ['param', 'DEFINE PARAM $`feature-flags` VALUE { a: true };', 'DEFINE PARAM $`feature-flags` VALUE { a: false };'],
  [
    'record access',
    'DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNIN (SELECT * FROM person WHERE name = $name) DURATION FOR SESSION 1h;',
    'DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNIN (SELECT * FROM person WHERE name = $name) DURATION FOR SESSION 2h;',
  ],
  [
    'JWT access',
    "DEFINE ACCESS `api-key` ON DATABASE TYPE JWT URL 'https://auth.example.com/one/jwks.json';",
    "DEFINE ACCESS `api-key` ON DATABASE TYPE JWT URL 'https://auth.example.com/two/jwks.json' DURATION FOR SESSION 1h;",
  ],
  [
    'user',
    "DEFINE USER `ops-1` ON DATABASE PASSWORD 'pw' ROLES VIEWER;",
    "DEFINE USER `ops-1` ON DATABASE PASSWORD 'pw' ROLES EDITOR;",
  ],
  ['table', 'DEFINE TABLE `my-table` SCHEMAFULL;', 'DEFINE TABLE `my-table` SCHEMALESS;'],
  [
    'field',
    'DEFINE FIELD `a-b` ON `my-table` TYPE option<string>;',
    'DEFINE FIELD `a-b` ON `my-table` TYPE option<string> DEFAULT "x";',
    'DEFINE TABLE `my-table` SCHEMAFULL;',
  ],
  [
    'index',
    'DEFINE INDEX `idx-1` ON t FIELDS a;',
    'DEFINE INDEX `idx-1` ON t FIELDS a UNIQUE;',
    'DEFINE TABLE t SCHEMAFULL; DEFINE FIELD a ON t TYPE option<string>;',
  ],
  [
    'event',
    'DEFINE EVENT `ev-1` ON t WHEN true THEN {};',
    'DEFINE EVENT `ev-1` ON t WHEN $event = "CREATE" THEN {};',
    'DEFINE TABLE t SCHEMALESS;',
  ],
  ...((SURREALDB >= 3
    ? [
        ['sequence', 'DEFINE SEQUENCE `seq-1` BATCH 100;', 'DEFINE SEQUENCE `seq-1` BATCH 100 START 10;'],
        [
          'api',
          'DEFINE API "/users/:id" FOR get THEN { RETURN { status: 200 }; };',
          'DEFINE API "/users/:id" FOR get THEN { RETURN { status: 201 }; };',
        ],
      ]
    : []) as KindCase[]),
];

describe('diff reaches the desired schema for every kind INFO reports', () => {
  describe.each(KINDS)('%s', (_, first, second, base = '') => {
    it('added: up defines it, down removes it', async () => {
      reached(await diffRoundTrip(base, `${base}\n${first}`));
    });
    it('changed: up and down restate it', async () => {
      reached(await diffRoundTrip(`${base}\n${first}`, `${base}\n${second}`));
    });
    it('removed: up removes it, down defines it again', async () => {
      reached(await diffRoundTrip(`${base}\n${first}`, base));
    });
    it('prints in `schema`, which applies to an empty database and gives the same schema back', async () => {
      const schema = await schemaOfText(`${base}\n${first}`);
      const text = schemaToSurql(schema);
      expect(text).not.toContain('[REDACTED]');
      expect(withoutKnownHash(text)).not.toContain('$argon2');
      same(await schemaOfText(text), schema);
    });
  });

  it('a config: changed, restated both ways', async () => {
    reached(await diffRoundTrip('DEFINE CONFIG GRAPHQL AUTO;', 'DEFINE CONFIG GRAPHQL TABLES AUTO FUNCTIONS NONE;'));
  });
});

describe('secrets the server hides', () => {
  const SECRETS =
    "DEFINE USER ops ON DATABASE PASSWORD 'pw' ROLES VIEWER;\n" +
    "DEFINE ACCESS api ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'k1';\n" +
    'DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNIN (SELECT * FROM person WHERE name = $name);\n';

  it('are printed by `schema` as a placeholder under a comment, and its output is the same schema to diff', async () => {
    const schema = await schemaOfText(SECRETS);
    const text = schemaToSurql(schema);
    expect(text).toContain(
      '-- SECRET: user `ops`: its password hash is not printed; this is the hash of a random password nobody knows, so nobody can sign in as it. Set the real password in a migration.\n' +
        `DEFINE USER OVERWRITE ops ON DATABASE PASSHASH '${UNKNOWN_PASSWORD_HASH}' ROLES VIEWER`,
    );
    expect(text).toMatch(/^DEFINE ACCESS OVERWRITE api ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'placeholder: set/m);
    // A record access whose key the server generated: written without it, so the server generates one.
    expect(text).toMatch(/^DEFINE ACCESS OVERWRITE account ON DATABASE TYPE RECORD SIGNIN \(.*\) DURATION /m);
    expect(text).not.toContain('[REDACTED]');
    expect(withoutKnownHash(text)).not.toContain('$argon2');
    same(await schemaOfText(text), schema);
    // diff --to the printed schema: nothing to do.
    const trip = await diffRoundTrip(SECRETS, text);
    expect(trip.steps).toEqual([]);
  });

  it('a user and a generated record key are written by diff so that they fail closed, and the steps are marked', async () => {
    const wanted = SECRETS.split('\n')
      .filter((line) => !line.includes('ACCESS api'))
      .join('\n');
    const trip = await diffRoundTrip('', wanted);
    reached(trip);
    expect(trip.steps.filter((s) => s.secret).map((s) => s.change.name)).toEqual(['account', 'ops']);
    expect(trip.migrations[0]!.up).toContain('-- SECRET: user `ops`');
    expect(trip.migrations[0]!.up).toContain(`PASSHASH '${UNKNOWN_PASSWORD_HASH}'`);
  });

  it.each([
    ['added', '', SECRETS],
    ['removed', SECRETS, ''],
    ['changed', SECRETS, SECRETS.replace('HS256', 'HS512')],
  ])('an access whose key the server hides, %s, is refused by diff: its key would be readable', async (_, from, to) => {
    await expect(diffRoundTrip(from, to)).rejects.toThrow(
      /^diff: access `api` is (added|removed|changed), and it signs with a key the server shows only as \[REDACTED\].*Write that change in a migration by hand\.$/,
    );
  });
});

describe('names, escaped by the engine’s rules', () => {
  it('a param `$feature-flags`: the up defines and the down removes it', async () => {
    const trip = await diffRoundTrip('', 'DEFINE PARAM $`feature-flags` VALUE true;');
    reached(trip);
    expect(trip.migrations[0]!.down).toContain('REMOVE PARAM IF EXISTS $`feature-flags`;');
  });

  // Both engines define functions named ` and `\::x y (in JavaScript's escapes); SurrealDB 3 writes
  // them escaped, SurrealDB 2 bare but in an analyzer. Read bare inside its own escaped writing,
  // the name ` was escaped a second time: fn::`\``\``, which neither engine parses.
  const BACKTICKS =
    'DEFINE FUNCTION fn::`\\`\\\\`::`x y`($s: string) { RETURN string::lowercase($s); };\n' +
    'DEFINE FUNCTION fn::`\\``($s: string) { RETURN fn::`\\`\\\\`::`x y`($s); };\n' +
    'DEFINE ANALYZER `an-1` FUNCTION fn::`\\`` TOKENIZERS blank;\n' +
    'DEFINE ANALYZER `an-2` FUNCTION fn::`\\`\\\\`::`x y` TOKENIZERS blank;\n' +
    'DEFINE TABLE t SCHEMALESS;\n' +
    "DEFINE FIELD low ON t VALUE fn::`\\``(body ?? '');\n" +
    "DEFINE EVENT `ev-1` ON t WHEN true THEN fn::`\\``('x');\n";

  it('functions named with a backtick, called by a function, analyzers, a field and an event: diff', async () => {
    const trip = await diffRoundTrip('DEFINE TABLE t SCHEMALESS;\nCREATE t:1 SET body = "Hello";\n', BACKTICKS);
    reached(trip);
    const up = trip.migrations.map((m) => m.up).join('\n');
    expect(up).toContain('DEFINE FUNCTION OVERWRITE fn::`\\``($s: string) {');
    expect(up).toContain('FUNCTION fn::`\\`\\\\`::`x y`');
    expect(up).not.toContain('``\\`');
  });

  it('functions named with a backtick: `schema` prints them so that they apply and give the same schema', async () => {
    const schema = await schemaOfText(BACKTICKS);
    same(await schemaOfText(schemaToSurql(schema)), schema);
  });
});

describe('item fields (`tags.*`, `a[*]`, `a.*.b`)', () => {
  const TABLE = 'DEFINE TABLE t SCHEMAFULL;\n';
  const cases: [string, string, string][] = [
    [
      'an item field with its own assertion, whose array field changes type',
      `DEFINE FIELD tags ON t TYPE array<int>; DEFINE FIELD OVERWRITE tags${ITEM} ON t TYPE int ASSERT $value > 0;`,
      `DEFINE FIELD tags ON t TYPE array<string>; DEFINE FIELD OVERWRITE tags${ITEM} ON t TYPE string ASSERT $value != "";`,
    ],
    [
      'an item field that alone changes',
      `DEFINE FIELD tags ON t TYPE array<int>;`,
      `DEFINE FIELD tags ON t TYPE array<int>; DEFINE FIELD OVERWRITE tags${ITEM} ON t TYPE int ASSERT $value > 0;`,
    ],
    [
      'an array field whose default changes, its item field unchanged but customised',
      `DEFINE FIELD tags ON t TYPE array<int>; DEFINE FIELD OVERWRITE tags${ITEM} ON t TYPE int ASSERT $value > 0;`,
      `DEFINE FIELD tags ON t TYPE array<int> DEFAULT []; DEFINE FIELD OVERWRITE tags${ITEM} ON t TYPE int ASSERT $value > 0;`,
    ],
    [
      'a sub-field of the items, and nested arrays',
      `DEFINE FIELD obj ON t TYPE array<object>; DEFINE FIELD aa ON t TYPE array<array<int>>;`,
      `DEFINE FIELD obj ON t TYPE array<object>; DEFINE FIELD obj${ITEM}.b ON t TYPE string; DEFINE FIELD aa ON t TYPE array<array<string>>;`,
    ],
    [
      'an array field that becomes an object, and back',
      `DEFINE FIELD tags ON t TYPE array<string>;`,
      `DEFINE FIELD tags ON t TYPE object;`,
    ],
  ];
  it.each(cases)('%s: reached both ways', async (_, a, b) => {
    reached(await diffRoundTrip(TABLE + a, TABLE + b));
    reached(await diffRoundTrip(TABLE + b, TABLE + a));
  });
});

describe('dependency order', () => {
  it('a view re-pointed away from a table that is then removed, and a view on that view', async () => {
    const from =
      'DEFINE TABLE src SCHEMALESS; DEFINE TABLE other SCHEMALESS;\n' +
      'DEFINE TABLE v1 AS SELECT count() AS n FROM src GROUP ALL;\n' +
      'DEFINE TABLE v2 AS SELECT * FROM v1;\n' +
      'CREATE src:1 SET a = 1; CREATE other:1 SET a = 2; CREATE other:2 SET a = 3;\n';
    const to =
      'DEFINE TABLE other SCHEMALESS;\n' +
      'DEFINE TABLE v1 AS SELECT count() AS n FROM other GROUP ALL;\n' +
      'DEFINE TABLE v2 AS SELECT * FROM v1;\n';
    const trip = await diffRoundTrip(from, to);
    reached(trip);
    // The views go first, in a migration of their own (SurrealDB 3 cannot define a view again in
    // the transaction that removed it); `src` goes only once nothing reads it.
    expect(trip.migrations).toHaveLength(2);
    const up = trip.migrations.map((m) => m.up).join('\n');
    expect(up.indexOf('REMOVE TABLE IF EXISTS v2;')).toBeLessThan(up.indexOf('REMOVE TABLE IF EXISTS v1;'));
    expect(up.indexOf('REMOVE TABLE IF EXISTS v1;')).toBeLessThan(up.indexOf('REMOVE TABLE IF EXISTS src;'));
    expect(up.indexOf('REMOVE TABLE IF EXISTS src;')).toBeLessThan(up.indexOf('DEFINE TABLE OVERWRITE v1 '));
    expect(up.indexOf('DEFINE TABLE OVERWRITE v1 ')).toBeLessThan(up.indexOf('DEFINE TABLE OVERWRITE v2 '));
  });

  it('schema prints a view on a view after its source, whatever their names', async () => {
    const schema = await schemaOfText(
      'DEFINE TABLE zsrc SCHEMALESS; DEFINE TABLE bview AS SELECT * FROM zsrc; DEFINE TABLE aview AS SELECT * FROM bview;',
    );
    same(await schemaOfText(schemaToSurql(schema)), schema);
  });
});

describe('what cannot share a transaction', () => {
  it('an analyzer and a full-text index using it, on a table with rows: two migrations, and up succeeds', async () => {
    const trip = await diffRoundTrip(
      'DEFINE TABLE post SCHEMALESS;\nCREATE post:1 SET body = "hello world";\nCREATE post:2 SET body = "bye";\n',
      `DEFINE TABLE post SCHEMALESS;\nDEFINE ANALYZER simple TOKENIZERS blank FILTERS lowercase;\n` +
        `DEFINE INDEX post_body ON post FIELDS body ${FULLTEXT} ANALYZER simple BM25;\n`,
    );
    reached(trip);
    expect(trip.migrations).toHaveLength(2);
    expect(trip.migrations[0]!.up).toContain('DEFINE ANALYZER OVERWRITE simple ');
    expect(trip.migrations[0]!.up).not.toContain('DEFINE INDEX');
    expect(trip.migrations[1]!.up).toContain('DEFINE INDEX OVERWRITE post_body ');
  });

  it('an analyzer and an index on a new table: one migration', async () => {
    const trip = await diffRoundTrip(
      '',
      `DEFINE TABLE post SCHEMALESS;\nDEFINE ANALYZER simple TOKENIZERS blank FILTERS lowercase;\n` +
        `DEFINE INDEX post_body ON post FIELDS body ${FULLTEXT} ANALYZER simple BM25;\n`,
    );
    reached(trip);
    expect(trip.migrations).toHaveLength(1);
  });

  it('an analyzer that calls a function this diff defines goes first with it', async () => {
    const trip = await diffRoundTrip(
      'DEFINE TABLE post SCHEMALESS;\nCREATE post:1 SET body = "Hello World";\n',
      'DEFINE TABLE post SCHEMALESS;\n' +
        'DEFINE FUNCTION fn::low($s: string) { RETURN string::lowercase($s); };\n' +
        'DEFINE ANALYZER `an-1` FUNCTION fn::low TOKENIZERS blank;\n' +
        `DEFINE INDEX post_body ON post FIELDS body ${FULLTEXT} ANALYZER \`an-1\` BM25;\n`,
    );
    reached(trip);
    expect(trip.migrations).toHaveLength(2);
    expect(trip.migrations[0]!.up).toContain('DEFINE FUNCTION OVERWRITE fn::low(');
  });
});
