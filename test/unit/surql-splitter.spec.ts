import { readFileSync } from 'node:fs';

import { splitSurql, surqlStatements, type SurqlStatement } from '../../src/core/surql/surql-splitter.js';
import { hasLeadingDirective } from '../../src/core/surql/surql-directives.js';

/** Splits, checks the round trip, and returns the non-empty statement texts. */
function texts(source: string): string[] {
  const chunks = splitSurql(source);
  expect(chunks.map((c) => c.raw).join('')).toBe(source);
  return chunks.filter((c) => !c.empty).map((c) => c.text);
}

function positions(source: string): Array<[number, number]> {
  return surqlStatements(source).map((s) => [s.line, s.column]);
}

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/splitter/${name}`, import.meta.url), 'utf8');
}

describe('splitSurql', () => {
  describe('basics', () => {
    it('returns [] for empty input', () => {
      expect(splitSurql('')).toEqual([]);
      expect(surqlStatements('')).toEqual([]);
    });

    it('returns one empty chunk for whitespace-only input', () => {
      expect(splitSurql(' \n\t\r\n')).toEqual<SurqlStatement[]>([
        {
          raw: ' \n\t\r\n',
          text: '',
          offset: 0,
          line: 1,
          column: 1,
          empty: true,
          keyword: '',
          hazards: [],
          concurrentIndex: undefined,
          unclosed: undefined,
        },
      ]);
    });

    it('returns one empty chunk for comment-only input', () => {
      const src = '-- a; b\n# c; d\n// e; f\n/* g;\n h; */\n';
      const chunks = splitSurql(src);
      expect(chunks).toHaveLength(1);
      expect(chunks[0]).toMatchObject({
        raw: src,
        text: '',
        empty: true,
        keyword: '',
        offset: 0,
        line: 1,
        column: 1,
      });
      expect(surqlStatements(src)).toEqual([]);
    });

    it('splits on top-level semicolons and keeps a last statement without ;', () => {
      const src = 'SELECT 1;\n  SELECT 2 ;\nRETURN 3';
      const chunks = splitSurql(src);
      expect(chunks.map((c) => c.raw)).toEqual(['SELECT 1;', '\n  SELECT 2 ;', '\nRETURN 3']);
      expect(chunks.map((c) => c.text)).toEqual(['SELECT 1', 'SELECT 2', 'RETURN 3']);
      expect(chunks.map((c) => [c.offset, c.line, c.column])).toEqual([
        [0, 1, 1],
        [12, 2, 3],
        [23, 3, 1],
      ]);
    });

    it('does not emit a chunk after a final ;, but keeps trailing trivia as an empty chunk', () => {
      expect(splitSurql('RETURN 1;')).toHaveLength(1);
      const chunks = splitSurql('RETURN 1;\n-- done\n');
      expect(chunks).toHaveLength(2);
      expect(chunks[1]).toMatchObject({
        raw: '\n-- done\n',
        text: '',
        empty: true,
        offset: 9,
        line: 1,
        column: 10,
      });
    });

    it('reports empty statements (;;) as empty chunks', () => {
      const chunks = splitSurql(';; RETURN 1;;');
      expect(chunks.map((c) => [c.raw, c.empty])).toEqual([
        [';', true],
        [';', true],
        [' RETURN 1;', false],
        [';', true],
      ]);
      expect(chunks.map((c) => c.offset)).toEqual([0, 1, 3, 12]);
    });

    it('surqlStatements keeps only non-empty chunks', () => {
      const stmts = surqlStatements('-- head\n;RETURN 1;; -- x\n RETURN 2;\n');
      expect(stmts.map((s) => s.text)).toEqual(['RETURN 1', 'RETURN 2']);
      expect(stmts.every((s) => !s.empty)).toBe(true);
    });

    it('strips leading comments from text but keeps inner and trailing ones', () => {
      const src = '-- lead; in\n/* block; */ SELECT * /* inner; */ FROM t -- tail; x\n;';
      const [stmt] = surqlStatements(src);
      expect(stmt?.text).toBe('SELECT * /* inner; */ FROM t -- tail; x');
      expect(stmt?.line).toBe(2);
      expect(stmt?.column).toBe(14);
    });
  });

  describe('strings', () => {
    it.each<[string, string, string[]]>([
      ['single and double quotes', `RETURN 'a;b'; RETURN "c;d"`, [`RETURN 'a;b'`, `RETURN "c;d"`]],
      [
        'escaped quotes',
        String.raw`RETURN 'it\'s; ok'; RETURN "say \"hi;\" \\"; RETURN 3`,
        [String.raw`RETURN 'it\'s; ok'`, String.raw`RETURN "say \"hi;\" \\"`, 'RETURN 3'],
      ],
      ['other quote inside', `RETURN "it's; fine"; RETURN 'a "b;" c'`, [`RETURN "it's; fine"`, `RETURN 'a "b;" c'`]],
      [
        'prefixed strings',
        `RETURN r"a:⟨x;y⟩"; RETURN d'2024-01-01;'; RETURN u"0190;"; RETURN s'x;'; RETURN b"ff;"`,
        [`RETURN r"a:⟨x;y⟩"`, `RETURN d'2024-01-01;'`, `RETURN u"0190;"`, `RETURN s'x;'`, `RETURN b"ff;"`],
      ],
      [
        'comment markers inside strings',
        `RETURN '-- no; # no; // no; /* no;'; RETURN 2`,
        [`RETURN '-- no; # no; // no; /* no;'`, 'RETURN 2'],
      ],
      ['multi-line strings', 'RETURN "one;\ntwo;\nthree";\nRETURN 2', ['RETURN "one;\ntwo;\nthree"', 'RETURN 2']],
    ])('%s', (_name, src, expected) => {
      expect(texts(src)).toEqual(expected);
    });
  });

  describe('identifiers and record ids', () => {
    it.each<[string, string, string[]]>([
      [
        'angle-bracket identifiers',
        'RETURN person:⟨a;b⟩; SELECT * FROM ⟨my;table⟩; RETURN 3',
        ['RETURN person:⟨a;b⟩', 'SELECT * FROM ⟨my;table⟩', 'RETURN 3'],
      ],
      [
        'angle-bracket identifier with escapes',
        String.raw`RETURN ⟨a\⟩;b⟩; RETURN 2`,
        [String.raw`RETURN ⟨a\⟩;b⟩`, 'RETURN 2'],
      ],
      [
        'backtick identifiers',
        'RETURN person:`a;b`; SELECT `x;y` FROM t; RETURN 3',
        ['RETURN person:`a;b`', 'SELECT `x;y` FROM t', 'RETURN 3'],
      ],
      ['backtick identifier with escapes', 'RETURN `a\\`;b`; RETURN 2', ['RETURN `a\\`;b`', 'RETURN 2']],
    ])('%s', (_name, src, expected) => {
      expect(texts(src)).toEqual(expected);
    });
  });

  describe('comments', () => {
    it.each<[string, string, string[]]>([
      ['-- comments', 'RETURN 1; -- x; y\nRETURN 2', ['RETURN 1', 'RETURN 2']],
      ['# comments', 'RETURN 1 # x; y\n; RETURN 2', ['RETURN 1 # x; y', 'RETURN 2']],
      ['// comments', 'RETURN 1; // x; y\nRETURN 2', ['RETURN 1', 'RETURN 2']],
      ['block comments', 'RETURN 1 /* a;\n b; */; /* c; */ RETURN 2', ['RETURN 1 /* a;\n b; */', 'RETURN 2']],
      ['block comments do not nest', 'RETURN /* a /* b; */ 1; RETURN 2', ['RETURN /* a /* b; */ 1', 'RETURN 2']],
      ['-- right after a number (5--3 is 5 then a comment)', 'RETURN 5--3;\n;RETURN 2', ['RETURN 5--3;', 'RETURN 2']],
      ['a lone \\r ends a line comment', 'RETURN 1 -- c\r; RETURN 2', ['RETURN 1 -- c', 'RETURN 2']],
      ['U+2028 ends a line comment', 'RETURN 1 # c\u2028; RETURN 2', ['RETURN 1 # c\u2028', 'RETURN 2']],
    ])('%s', (_name, src, expected) => {
      expect(texts(src)).toEqual(expected);
    });
  });

  describe('operators', () => {
    it.each<[string, string, string[]]>([
      [
        'graph arrows are not comments',
        'SELECT ->knows->person, <-knows<-person, <->likes<->person FROM a; RETURN 2',
        ['SELECT ->knows->person, <-knows<-person, <->likes<->person FROM a', 'RETURN 2'],
      ],
      ['subtraction and negation', 'RETURN 5 - -3; RETURN 1-2', ['RETURN 5 - -3', 'RETURN 1-2']],
      [
        'division',
        'RETURN 10 / 2 / 5; RETURN $x /2; RETURN 3/ 1',
        ['RETURN 10 / 2 / 5', 'RETURN $x /2', 'RETURN 3/ 1'],
      ],
      [
        'division after names that look like keywords',
        'LET $and = 6; RETURN $and /2; RETURN a.return / 3; RETURN 1',
        ['LET $and = 6', 'RETURN $and /2', 'RETURN a.return / 3', 'RETURN 1'],
      ],
      ['division next to a block comment', 'RETURN 8 /* x; */ / 2; RETURN 9', ['RETURN 8 /* x; */ / 2', 'RETURN 9']],
      [
        'regex literals in value position',
        `RETURN 'a;b' = /a;b/; RETURN string::matches('x;', /x;/); RETURN [1] CONTAINS /a;/; RETURN (/a;/ = 'a;'); RETURN /\\/;/; RETURN 6`,
        [
          `RETURN 'a;b' = /a;b/`,
          `RETURN string::matches('x;', /x;/)`,
          'RETURN [1] CONTAINS /a;/',
          `RETURN (/a;/ = 'a;')`,
          'RETURN /\\/;/',
          'RETURN 6',
        ],
      ],
      [
        'a regex may span lines, as the engine reads it',
        'RETURN 1 = / 2;\nRETURN 3 /; RETURN 4',
        ['RETURN 1 = / 2;\nRETURN 3 /', 'RETURN 4'],
      ],
      [
        'a keyword used as a name, then a division',
        'UPDATE t SET half = outside / 2; UPDATE t SET v = value / 3; RETURN 5',
        ['UPDATE t SET half = outside / 2', 'UPDATE t SET v = value / 3', 'RETURN 5'],
      ],
      [
        'a regex after VALUE, DEFAULT or a type',
        'DEFINE PARAM $re VALUE /a;b/; DEFINE FIELD f ON t TYPE option<string> DEFAULT /c;d/; RETURN 6',
        ['DEFINE PARAM $re VALUE /a;b/', 'DEFINE FIELD f ON t TYPE option<string> DEFAULT /c;d/', 'RETURN 6'],
      ],
      [
        'casts and comparisons',
        'RETURN <string> 1 < 2 > 0; RETURN <future> { 1; 2 }',
        ['RETURN <string> 1 < 2 > 0', 'RETURN <future> { 1; 2 }'],
      ],
    ])('%s', (_name, src, expected) => {
      expect(texts(src)).toEqual(expected);
    });
  });

  describe('blocks', () => {
    it('DEFINE FUNCTION with inner statements', () => {
      const fn = 'DEFINE FUNCTION fn::x($a: int) {\n  LET $b = $a;\n  RETURN $b * 2;\n}';
      expect(texts(`${fn};\nRETURN fn::x(2);`)).toEqual([fn, 'RETURN fn::x(2)']);
    });

    it('DEFINE EVENT … THEN { … }', () => {
      const ev =
        "DEFINE EVENT e ON user WHEN $event = 'CREATE' THEN {\n  CREATE log SET at = time::now();\n  UPDATE stats SET n += 1;\n}";
      expect(texts(`${ev};\nDEFINE TABLE log;`)).toEqual([ev, 'DEFINE TABLE log']);
    });

    it('FOR and IF / ELSE IF / ELSE blocks', () => {
      const forStmt = 'FOR $x IN [1, 2; 3] {\n  LET $y = $x;\n  CREATE t SET v = $y;\n}';
      const ifStmt = 'IF $a { RETURN 1; } ELSE IF $b { RETURN 2; } ELSE { THROW "no;"; }';
      expect(texts(`${forStmt};\n${ifStmt};\nRETURN 3`)).toEqual([forStmt, ifStmt, 'RETURN 3']);
    });

    it('nested objects, arrays, subqueries and closures', () => {
      const src =
        'CREATE t CONTENT { a: [1, { b: "x;" }], c: (SELECT * FROM u WHERE v = 1; ) }; ' +
        'RETURN array::map([1, 2], |$v| { LET $w = $v; $w * 2 }); RETURN 3';
      expect(texts(src)).toEqual([
        'CREATE t CONTENT { a: [1, { b: "x;" }], c: (SELECT * FROM u WHERE v = 1; ) }',
        'RETURN array::map([1, 2], |$v| { LET $w = $v; $w * 2 })',
        'RETURN 3',
      ]);
    });

    it('ignores a stray closer at depth 0', () => {
      expect(texts('RETURN 1); RETURN 2}; RETURN [3]')).toEqual(['RETURN 1)', 'RETURN 2}', 'RETURN [3]']);
    });
  });

  describe('unterminated constructs run to the end of input', () => {
    it.each<[string, string]>([
      ['string', `RETURN 1; RETURN 'abc; RETURN 2`],
      ['double-quoted string', 'RETURN 1; RETURN "abc; RETURN 2'],
      ['backtick identifier', 'RETURN 1; RETURN `abc; RETURN 2'],
      ['angle identifier', 'RETURN 1; RETURN ⟨abc; RETURN 2'],
      ['block comment', 'RETURN 1; RETURN /* abc; RETURN 2'],
      ['block', 'RETURN 1; IF true { abc; RETURN 2'],
      ['escape at the very end', "RETURN 1; RETURN 'abc\\"],
    ])('%s', (_name, src) => {
      const stmts = texts(src);
      expect(stmts).toEqual(['RETURN 1', src.slice('RETURN 1; '.length)]);
    });

    it('a line comment at the end without newline', () => {
      expect(texts('RETURN 1; -- bye; ')).toEqual(['RETURN 1']);
    });
  });

  describe('positions', () => {
    it('counts lines after multi-line strings and block comments', () => {
      const src = [
        "CREATE a SET s = 'x;", // line 1
        "y;';", // line 2
        '/* one;', // line 3
        '   two; */   SELECT', // line 4
        '  * FROM a; "q', // line 5
        '";  RETURN 1', // line 6
      ].join('\n');
      expect(positions(src)).toEqual([
        [1, 1],
        [4, 14],
        [5, 13],
        [6, 5],
      ]);
    });

    it('handles CRLF line endings', () => {
      const src = 'RETURN 1;\r\n  RETURN "a\r\nb";\r\n\r\n-- c\r\n\tRETURN 3\r\n;\r\n';
      const chunks = splitSurql(src);
      expect(chunks.map((c) => c.raw).join('')).toBe(src);
      const stmts = chunks.filter((c) => !c.empty);
      expect(stmts.map((s) => [s.text, s.line, s.column])).toEqual([
        ['RETURN 1', 1, 1],
        ['RETURN "a\r\nb"', 2, 3],
        ['RETURN 3', 6, 2],
      ]);
      expect(chunks[chunks.length - 1]).toMatchObject({
        raw: '\r\n',
        empty: true,
        line: 7,
        column: 2,
      });
    });

    it('counts columns in UTF-16 code units', () => {
      expect(positions("RETURN '😀';  RETURN 2")).toEqual([
        [1, 1],
        [1, 15],
      ]);
    });

    it('skips a BOM at the start', () => {
      const src = '\uFEFFRETURN 1;\nRETURN 2';
      const stmts = surqlStatements(src);
      expect(stmts.map((s) => [s.text, s.offset, s.line, s.column])).toEqual([
        ['RETURN 1', 1, 1, 2],
        ['RETURN 2', 11, 2, 1],
      ]);
      expect(splitSurql('\uFEFF')).toMatchObject([{ raw: '\uFEFF', empty: true }]);
    });

    it('locates empty chunks at their start', () => {
      const chunks = splitSurql('RETURN 1;\n\n;');
      expect(chunks[1]).toMatchObject({
        raw: '\n\n;',
        empty: true,
        offset: 9,
        line: 1,
        column: 10,
      });
    });
  });

  describe('keyword', () => {
    it.each<[string, string]>([
      ['DEFINE TABLE t', 'DEFINE'],
      ['define table t', 'DEFINE'],
      ['BEGIN TRANSACTION', 'BEGIN'],
      ['BEGIN', 'BEGIN'],
      ['COMMIT', 'COMMIT'],
      ['CANCEL TRANSACTION', 'CANCEL'],
      ['SELECT * FROM t', 'SELECT'],
      ['LET $a = 1', 'LET'],
      ['IF true { 1 }', 'IF'],
      ['FOR $x IN [] {}', 'FOR'],
      ['Return(1)', 'RETURN'],
      ['remove_me', 'REMOVE_ME'],
      ['$a = 1', ''],
      ['(SELECT 1)', ''],
      ['{ 1; 2 }', ''],
      ['person:1', ''],
      ['fn::x()', ''],
      ['r"person:1"', ''],
      ["'text'", ''],
      ['12', ''],
    ])('%s → %s', (src, keyword) => {
      const [stmt] = surqlStatements(`-- c\n${src};`);
      expect(stmt?.keyword).toBe(keyword);
    });

    it('is empty for empty chunks', () => {
      expect(splitSurql('-- x').map((c) => c.keyword)).toEqual(['']);
    });
  });

  describe('fixtures', () => {
    const cases: Array<[string, number[], string[]]> = [
      [
        '001_users.surql',
        [4, 8, 10, 11, 12, 17, 27],
        ['DEFINE', 'DEFINE', 'DEFINE', 'DEFINE', 'DEFINE', 'DEFINE', 'DEFINE'],
      ],
      ['002_functions.surql', [4, 15, 23, 24, 25, 26], ['DEFINE', 'DEFINE', 'DEFINE', 'DEFINE', 'LET', 'RETURN']],
      [
        '003_seed.surql',
        [1, 3, 8, 11, 12, 13, 15],
        ['BEGIN', 'CREATE', 'CREATE', 'RELATE', 'SELECT', 'SELECT', 'COMMIT'],
      ],
    ];

    it.each(cases)('%s', (name, lines, keywords) => {
      const src = fixture(name);
      const chunks = splitSurql(src);
      expect(chunks.map((c) => c.raw).join('')).toBe(src);
      const stmts = chunks.filter((c) => !c.empty);
      expect(stmts).toHaveLength(lines.length);
      expect(stmts.map((s) => s.line)).toEqual(lines);
      expect(stmts.map((s) => s.column)).toEqual(lines.map(() => 1));
      expect(stmts.map((s) => s.keyword)).toEqual(keywords);
      for (const s of stmts) {
        expect(src.slice(s.offset, s.offset + s.text.length)).toBe(s.text);
      }
    });

    it.each(cases)('%s with CRLF line endings', (name, lines) => {
      const lf = fixture(name);
      const crlf = lf.replace(/\n/g, '\r\n');
      const chunks = splitSurql(crlf);
      expect(chunks.map((c) => c.raw).join('')).toBe(crlf);
      const stmts = chunks.filter((c) => !c.empty);
      expect(stmts.map((s) => s.line)).toEqual(lines);
      expect(stmts.map((s) => s.column)).toEqual(lines.map(() => 1));
      expect(stmts.map((s) => s.text.replace(/\r\n/g, '\n'))).toEqual(surqlStatements(lf).map((s) => s.text));
    });

    it('keeps the inner statements of the DEFINE EVENT together', () => {
      const event = surqlStatements(fixture('001_users.surql'))[5];
      expect(event?.text.startsWith('DEFINE EVENT user_audit')).toBe(true);
      expect(event?.text.endsWith('};\n}')).toBe(true);
    });

    it('reads the directive of 002_functions.surql', () => {
      expect(hasLeadingDirective(fixture('002_functions.surql'), 'migrate:no-transaction')).toBe(true);
      expect(hasLeadingDirective(fixture('001_users.surql'), 'migrate:no-transaction')).toBe(false);
    });
  });
});

describe('hasLeadingDirective', () => {
  const d = 'migrate:no-transaction';

  it.each<[string, string]>([
    ['-- marker', '-- migrate:no-transaction\nDEFINE TABLE t;'],
    ['-- without space', '--migrate:no-transaction\nDEFINE TABLE t;'],
    ['# marker', '#migrate:no-transaction\n'],
    ['// marker', '  //   migrate:no-transaction   \nRETURN 1'],
    ['case-insensitive', '-- MIGRATE:No-Transaction'],
    ['after other comments', '-- Adds an index.\n/* long;\n text */\n# migrate:no-transaction\nRETURN 1'],
    ['CRLF', '-- header\r\n-- migrate:no-transaction\r\nRETURN 1;'],
    ['after a BOM', '\uFEFF-- migrate:no-transaction\nRETURN 1'],
  ])('finds it: %s', (_name, src) => {
    expect(hasLeadingDirective(src, d)).toBe(true);
  });

  it.each<[string, string]>([
    ['not a leading comment', 'RETURN 1;\n-- migrate:no-transaction'],
    ['after an empty statement', ';\n-- migrate:no-transaction'],
    ['not exact', '-- migrate:no-transaction please\n'],
    ['prefix only', '-- migrate:no\n'],
    ['inside a block comment', '/* migrate:no-transaction */'],
    ['inside a string', "RETURN '-- migrate:no-transaction'"],
    ['empty source', ''],
  ])('does not find it: %s', (_name, src) => {
    expect(hasLeadingDirective(src, d)).toBe(false);
  });

  it('accepts the directive with a comment marker and whitespace', () => {
    const src = '# migrate:no-transaction\n';
    expect(hasLeadingDirective(src, '-- migrate:no-transaction')).toBe(true);
    expect(hasLeadingDirective(src, '  MIGRATE:NO-TRANSACTION ')).toBe(true);
    expect(hasLeadingDirective(src, '')).toBe(false);
    expect(hasLeadingDirective(src, '--')).toBe(false);
  });
});
