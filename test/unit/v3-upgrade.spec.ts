import { upgradeHint, upgradeScript } from '../../src/core/surql/v3-upgrade.js';
import { findRewrites, RENAMED_FUNCTIONS } from '../../src/core/surql/v3-rewrites.js';

/** What the candidates of a script are: `[rule, text replaced, replacement]`. */
const candidates = (text: string) => findRewrites(text).map((r) => [r.rule, text.slice(r.start, r.end), r.replacement]);

describe('the SurrealDB 2 -> 3 rewrites', () => {
  it('rewrite code, and leave strings, identifiers and comments as written', () => {
    const source =
      'DEFINE FIELD x ON a FLEXIBLE TYPE object; -- FLEXIBLE TYPE object\n' +
      'RETURN type::is::string("type::is::x"); /* SEARCH ANALYZER a */ # type::thing\n' +
      'DEFINE INDEX i ON t FIELDS b SEARCH ANALYZER s BM25 DOC_IDS_ORDER 100;';
    expect(upgradeScript(source)).toEqual({
      text:
        'DEFINE FIELD x ON a TYPE object FLEXIBLE; -- FLEXIBLE TYPE object\n' +
        'RETURN type::is_string("type::is::x"); /* SEARCH ANALYZER a */ # type::thing\n' +
        'DEFINE INDEX i ON t FIELDS b FULLTEXT ANALYZER s BM25;',
      rules: ['renamed-function', 'flexible-placement', 'search-analyzer'],
    });
  });

  it('leave FLEXIBLE on a type that is not an object for a person, with its hint', () => {
    const source = 'DEFINE FIELD x ON a FLEXIBLE TYPE string;';
    expect(upgradeScript(source)).toEqual({ text: source, rules: [] });
    expect(upgradeHint('FLEXIBLE must be specified after TYPE', source)).toMatch(/only an object type/);
    expect(upgradeHint('FLEXIBLE can only be used with types containing object', source)).toMatch(
      /applies only to object types: remove it/,
    );
  });

  it('give a typo no rename hint', () => {
    expect(upgradeHint('Invalid function/constant path, did you maybe mean `string::len`', 'string::lenght($v)')).toBe(
      undefined,
    );
  });
});

describe('renamed functions: only a whole built-in path, called', () => {
  const renames = [...RENAMED_FUNCTIONS];

  it('covers every `::is::` and `::from::` function and the three renamed outright', () => {
    expect(renames.length).toBe(62);
    const outright: Record<string, string> = {
      'type::thing': 'type::record',
      'rand::guid': 'rand::id',
      'string::distance::osa_distance': 'string::distance::osa',
    };
    for (const [from, to] of renames) {
      const [, head, kind, last] = /^(.+)::(is|from)::([a-z0-9_]+)$/.exec(from) ?? [];
      expect([from, to]).toEqual([from, outright[from] ?? `${head}::${kind}_${last}`]);
    }
    expect(RENAMED_FUNCTIONS.get('string::is::ipv4')).toBe('string::is_ipv4');
  });

  /** Places a renamed name can stand in code without being a call of the built-in. */
  const notACall: [string, (name: string) => string][] = [
    ['a user function under fn::', (n) => `RETURN fn::${n}(1);`],
    ['a user function whose path ends with it', (n) => `RETURN fn::acl::${n}(1);`],
    ['a longer path', (n) => `RETURN ${n}::x(1);`],
    ['a module path before it', (n) => `RETURN mod::${n}(1);`],
    ['a word that contains the first segment', (n) => `RETURN my${n}(1);`],
    ['a word that contains the last segment', (n) => `RETURN ${n}s(1);`],
    ['a field of a value', (n) => `RETURN $v.${n}(1);`],
    ['a parameter', (n) => `RETURN $${n}(1);`],
    ['a record id', (n) => `RETURN person:${n}(1);`],
    ['no call', (n) => `RETURN ${n};`],
    ['a single-quoted string', (n) => `RETURN '${n}(1)';`],
    ['a double-quoted string', (n) => `RETURN "${n}(1)";`],
    ['a prefixed string', (n) => `RETURN s"${n}(1)";`],
    ['an escaped identifier', (n) => `RETURN \`${n}\`(1);`],
    ['an angle-escaped identifier', (n) => `RETURN ⟨${n}⟩(1);`],
    ['a -- comment', (n) => `-- ${n}(1)\nRETURN 1;`],
    ['a // comment', (n) => `// ${n}(1)\nRETURN 1;`],
    ['a # comment', (n) => `# ${n}(1)\nRETURN 1;`],
    ['a block comment', (n) => `/* ${n}(1) */ RETURN 1;`],
    ['a JavaScript body', (n) => `RETURN function() { return ${n}(1); };`],
    ['a JavaScript body with braces in its strings', (n) => `RETURN function() { let a = "}"; return ${n}(1); };`],
    ['spaces inside the path', (n) => `RETURN ${n.replace(/::/g, ' :: ')}(1);`],
  ];

  it.each(notACall)('never in %s', (_label, place) => {
    for (const [name] of renames) expect([name, candidates(place(name))]).toEqual([name, []]);
  });

  /** Places where it is a call of the built-in. */
  const aCall: [string, (name: string) => string][] = [
    ['a RETURN', (n) => `RETURN ${n}(1);`],
    ['an ASSERT', (n) => `DEFINE FIELD f ON t ASSERT ${n}($value);`],
    ['a function body', (n) => `DEFINE FUNCTION fn::f($v: any) { RETURN ${n}($v); };`],
    ['an argument', (n) => `RETURN array::len([${n}(1)]);`],
    ['a call with a blank before its parenthesis', (n) => `RETURN ${n} (1);`],
    ['SurrealQL after a JavaScript body', (n) => `RETURN [function() { return 1; }, ${n}(1)];`],
  ];

  it.each(aCall)('in %s', (_label, place) => {
    for (const [name, renamed] of renames) {
      expect([name, candidates(place(name))]).toEqual([name, [['renamed-function', name, renamed]]]);
    }
  });

  it('reads the path in any case, as SurrealDB does, and writes the new name', () => {
    expect(candidates('RETURN Type::IS::String(1);')).toEqual([
      ['renamed-function', 'Type::IS::String', 'type::is_string'],
    ]);
  });

  it('rewrites none of the issue examples', () => {
    const text =
      'DEFINE FUNCTION fn::acl::is::admin($u: string) { RETURN $u = "root"; };\n' +
      'RETURN fn::acl::is::admin("x") AND fn::legacy::type::thing("a");\n';
    expect(upgradeScript(text)).toEqual({ text, rules: [] });
    expect(upgradeHint('Something else', 'RETURN fn::acl::is::admin("x")')).toBeUndefined();
  });
});

describe('FLEXIBLE and SEARCH: keywords in keyword position only', () => {
  it.each([
    ['a field named flexible', 'DEFINE FIELD flexible ON t TYPE object;'],
    ['FLEXIBLE outside a DEFINE FIELD', 'SELECT flexible FROM t WHERE type = 1;'],
    ['FLEXIBLE on a type without object', 'DEFINE FIELD f ON t FLEXIBLE TYPE string | int;'],
    ['FLEXIBLE TYPE in a string', "DEFINE FIELD f ON t TYPE string DEFAULT 'FLEXIBLE TYPE object';"],
    ['FLEXIBLE as a field of a value', 'DEFINE FIELD f ON t VALUE $v.FLEXIBLE TYPE object;'],
    ['a field named search', 'DEFINE INDEX i ON t FIELDS search;'],
    ['SEARCH ANALYZER outside a DEFINE INDEX', 'SELECT * FROM t WHERE search ANALYZER;'],
    ['SEARCH ANALYZER in a comment', 'DEFINE INDEX i ON t FIELDS b; -- SEARCH ANALYZER a'],
    ['SEARCH ANALYZER in an escaped identifier', 'DEFINE INDEX i ON t FIELDS `SEARCH ANALYZER a`;'],
  ])('never %s', (_label, text) => {
    expect(candidates(text)).toEqual([]);
  });

  it.each([
    ['an object', 'DEFINE FIELD f ON t FLEXIBLE TYPE object;', 'TYPE object FLEXIBLE'],
    [
      'an optional object',
      'DEFINE FIELD f ON t FLEXIBLE TYPE option<object> DEFAULT {};',
      'TYPE option<object> FLEXIBLE',
    ],
    [
      'a union holding an object',
      'DEFINE FIELD f ON t FLEXIBLE TYPE object | string;',
      'TYPE object | string FLEXIBLE',
    ],
    ['an array of objects', 'DEFINE FIELD f ON t FLEXIBLE TYPE array<object, 5>;', 'TYPE array<object, 5> FLEXIBLE'],
    ['a comment between', 'DEFINE FIELD f ON t FLEXIBLE /* c */ TYPE object;', 'TYPE object /* c */ FLEXIBLE'],
    ['after a DEFAULT object', 'DEFINE FIELD f ON t DEFAULT {} FLEXIBLE TYPE object;', 'TYPE object FLEXIBLE'],
    ['lower case', 'define field f on t flexible type object;', 'type object flexible'],
  ])('move FLEXIBLE after the whole type: %s', (_label, text, replacement) => {
    expect(candidates(text).map(([rule, , to]) => [rule, to])).toEqual([['flexible-placement', replacement]]);
  });

  it('turn SEARCH into FULLTEXT and drop only its tuning options, up to the end of the statement', () => {
    const text =
      'DEFINE INDEX i ON t FIELDS b SEARCH ANALYZER s BM25(1.2,0.75) HIGHLIGHTS DOC_IDS_ORDER 100 POSTINGS_CACHE 5 CONCURRENTLY; RETURN 1;';
    expect(upgradeScript(text).text).toBe(
      'DEFINE INDEX i ON t FIELDS b FULLTEXT ANALYZER s BM25(1.2,0.75) HIGHLIGHTS CONCURRENTLY; RETURN 1;',
    );
  });
});
