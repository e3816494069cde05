/**
 * Known SurrealDB 2 → 3 changes: a hint for each problem that comes from one, and the purely
 * mechanical rewrites that `lint --fix` applies. A rule is recognised by SurrealDB 3's own message
 * where it says enough, and by the statement's text otherwise. Rewrites work on the lexer's tokens
 * (never inside strings or comments), and only where the v3 form is always the same meaning.
 */
import { SurqlLexer, type SurqlToken } from './surql-lexer.js';

export interface UpgradeRule {
  id: string;
  /** Whether a problem (SurrealDB's message, the failing statement's text) comes from this change. */
  matches(message: string, statement: string): boolean;
  hint: string;
  /** The mechanical rewrite, on a script's text; undefined when a person must decide. */
  rewrite?: (text: string) => string;
}

/** `type::is::string(` → `type::is_string(`, and the other renamed functions. */
const PATH_RENAMES: readonly [RegExp, string][] = [
  [/\b([a-z]+)::is::([a-z_]+)\b/g, '$1::is_$2'],
  [/\b(duration|time)::from::([a-z_]+)\b/g, '$1::from_$2'],
  [/\btype::thing\b/g, 'type::record'],
  [/\brand::guid\b/g, 'rand::id'],
  [/\bstring::distance::osa_distance\b/g, 'string::distance::osa'],
];

/** The v3 names the renames produce, as the engine suggests them ("did you maybe mean …"). */
const RENAMED_TO =
  /did you maybe mean `(?:[a-z]+::is_[a-z_]+|(?:duration|time)::from_[a-z_]+|type::record|rand::id|string::distance::osa)`/;

/** SEARCH's options that FULLTEXT no longer takes. */
const SEARCH_OPTIONS =
  /\s+(?:DOC_IDS_ORDER|DOC_LENGTHS_ORDER|POSTINGS_ORDER|TERMS_ORDER|DOC_IDS_CACHE|DOC_LENGTHS_CACHE|POSTINGS_CACHE|TERMS_CACHE)\s+\d+/gi;

/** Hints found by SurrealDB 3's own message alone: no rewrite, a person decides. */
const MESSAGE_HINTS: readonly [string, RegExp, string][] = [
  [
    'renamed-array-function',
    /Unknown function 'array::(?:every|some|includes|index_of)'/,
    'SurrealDB 3 renamed array functions: `array::every` is `array::all`, `array::some` and `array::includes` are `array::any`, `array::index_of` is `array::find_index`.',
  ],
  [
    'flexible-kind',
    /FLEXIBLE can only be used with types containing object/i,
    'In SurrealDB 3 FLEXIBLE applies only to object types: remove it, or write `TYPE object FLEXIBLE`.',
  ],
  [
    'flexible-table',
    /FLEXIBLE can only be used in SCHEMAFULL tables/i,
    'In SurrealDB 3 FLEXIBLE fields need a SCHEMAFULL table: remove FLEXIBLE, or define the table SCHEMAFULL first.',
  ],
  ['let', /Parameter declarations without `let`/i, 'SurrealDB 3 needs LET to declare a parameter: write `LET $x = …`.'],
  [
    'group-split',
    /SPLIT and GROUP are mutually exclusive/i,
    'SurrealDB 3 refuses SPLIT together with GROUP (it had no effect in v2): remove the SPLIT clause.',
  ],
  [
    'optional-chaining',
    /Unexpected token `\?`, expected `\?\?`/,
    'SurrealDB 3 writes optional chaining as `.?`: `$v.?.x`, not `$v?.x`.',
  ],
  ['parallel', /Unexpected token `PARALLEL`/, 'SurrealDB 3 removed the PARALLEL clause: remove it.'],
  [
    'field-delete-permission',
    /Can't define permission DELETE for fields/i,
    "SurrealDB 3 has no DELETE permission for fields: remove `delete` from the field's PERMISSIONS FOR.",
  ],
  [
    'scope',
    /Unexpected token `(?:an identifier|TOKEN)`, expected a define statement keyword/,
    'SurrealDB 3 replaced DEFINE SCOPE and DEFINE TOKEN with DEFINE ACCESS: `DEFINE ACCESS name ON DATABASE TYPE RECORD …` or `TYPE JWT ALGORITHM … KEY …`.',
  ],
  [
    'fuzzy-operators',
    /Unexpected token `~`/,
    'SurrealDB 3 removed the `~`, `!~`, `?~` and `*~` operators: use `string::similarity::fuzzy(a, b) > 0`.',
  ],
  [
    'knn',
    /KNN operators nested in OR\/NOT expressions or mixed with unsupported KNN variants/,
    'With an HNSW index SurrealDB 3 needs the EF value: write `<|k,EF|>`, not `<|k|>`.',
  ],
  [
    'undeclared-field',
    /Found field '[^']*', but no such field exists for table/,
    'SurrealDB 3 refuses writes to undeclared fields of a SCHEMAFULL table (v2 dropped them silently): define the field, or leave it out.',
  ],
  [
    'undefined-table',
    /The table '[^']*' does not exist/i,
    'Since SurrealDB 3, a SELECT, UPDATE, DELETE or REMOVE on a table that was never defined is an error: define it first (`DEFINE TABLE IF NOT EXISTS t`), or write `REMOVE TABLE IF EXISTS t`.',
  ],
];

export const UPGRADE_RULES: readonly UpgradeRule[] = [
  {
    id: 'renamed-function',
    // A typo also gets "did you maybe mean"; only a suggestion that is one of the renames counts.
    matches: (message, statement) =>
      RENAMED_TO.test(message) || PATH_RENAMES.some(([re]) => new RegExp(re.source).test(statement)),
    hint:
      'SurrealDB 3 renamed these functions: `type::is::x` is `type::is_x` (and every `::is::`), ' +
      '`duration::from::x` is `duration::from_x`, `time::from::x` is `time::from_x`, `type::thing` is ' +
      '`type::record`, `rand::guid` is `rand::id`.',
    rewrite: (text) =>
      outsideStringsAndComments(text, (code) => PATH_RENAMES.reduce((t, [re, to]) => t.replace(re, to), code)),
  },
  {
    id: 'flexible-placement',
    matches: (message, statement) =>
      /\bFLEXIBLE\s+TYPE\b/i.test(statement) || /FLEXIBLE must be specified after TYPE/i.test(message),
    hint: 'In SurrealDB 3, FLEXIBLE follows the type, and only an object type: write `TYPE object FLEXIBLE`, not `FLEXIBLE TYPE object`.',
    // Only where the type is an object: FLEXIBLE on another type is a decision, not a rewrite.
    rewrite: (text) =>
      outsideStringsAndComments(text, (code) =>
        code.replace(
          /\bFLEXIBLE(\s+)TYPE(\s+)((?:option<\s*)?object(?:\s*>)?)/gi,
          (_m, s1: string, s2: string, type: string) => `TYPE${s2}${type}${s1}FLEXIBLE`,
        ),
      ),
  },
  {
    id: 'search-analyzer',
    matches: (message, statement) => /\bSEARCH\s+ANALYZER\b/i.test(statement),
    hint:
      'SurrealDB 3 calls full-text indexes FULLTEXT and drops their tuning options: write ' +
      '`FULLTEXT ANALYZER name BM25`, without DOC_IDS_ORDER, POSTINGS_CACHE and the like.',
    rewrite: (text) =>
      outsideStringsAndComments(text, (code) =>
        code.replace(
          /\bSEARCH(\s+)ANALYZER\b([^;]*)/gi,
          (_m, space: string, rest: string) => `FULLTEXT${space}ANALYZER${rest.replace(SEARCH_OPTIONS, '')}`,
        ),
      ),
  },
  {
    id: 'mtree',
    matches: (message, statement) => /\bMTREE\b/i.test(statement),
    hint: 'SurrealDB 3 removed MTREE vector indexes: define the index with HNSW (`HNSW DIMENSION n DIST …`), without CAPACITY and the MTREE options.',
  },
  {
    id: 'future',
    matches: (message, statement) => /<\s*future\s*>/i.test(statement),
    hint: 'SurrealDB 3 removed `<future> { … }`: define the field as `COMPUTED <expression>` (on a top-level field, without DEFAULT, ASSERT, READONLY or FLEXIBLE).',
  },
  ...MESSAGE_HINTS.map(([id, pattern, hint]) => ({ id, matches: (message: string) => pattern.test(message), hint })),
];

/** The hint for a problem, when it comes from a known 2 → 3 change. */
export function upgradeHint(message: string, statement: string): string | undefined {
  return UPGRADE_RULES.find((rule) => rule.matches(message, statement))?.hint;
}

/** A script with every mechanical 2 → 3 rewrite applied, and which rules changed it. */
export function upgradeScript(text: string): { text: string; rules: string[] } {
  let out = text;
  const rules: string[] = [];
  for (const rule of UPGRADE_RULES) {
    if (!rule.rewrite) continue;
    const next = rule.rewrite(out);
    if (next !== out) rules.push(rule.id);
    out = next;
  }
  return { text: out, rules };
}

/**
 * Applies `rewrite` to the code between strings, escaped identifiers, regexes, JavaScript bodies
 * and comments, which stay as written. The lexer finds all of them: a comment is trivia between
 * two tokens that is not only whitespace. Runs of code are cut there, so a rewrite never spans one.
 */
function outsideStringsAndComments(text: string, rewrite: (code: string) => string): string {
  const lexer = new SurqlLexer(text);
  const protectedRanges: [number, number][] = [];
  const protectComments = (from: number, to: number) => {
    if (/[^\s]/.test(text.slice(from, to))) protectedRanges.push([from, to]);
  };
  let expectValue = true;
  let end = 0;
  for (let token: SurqlToken | undefined; (token = lexer.next(expectValue));) {
    protectComments(end, token.start);
    if (token.kind === 'string' || token.kind === 'ident' || token.kind === 'regex' || token.kind === 'js') {
      protectedRanges.push([token.start, token.end]);
    }
    expectValue = token.kind === 'punct' || token.kind === 'open' || token.kind === 'semi';
    end = token.end;
  }
  protectComments(end, text.length);
  let out = '';
  let at = 0;
  for (const [start, stop] of protectedRanges) {
    out += rewrite(text.slice(at, start)) + text.slice(start, stop);
    at = stop;
  }
  return out + rewrite(text.slice(at));
}
