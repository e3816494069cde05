/**
 * Known SurrealDB 2 → 3 changes: a hint for each problem that comes from one, and the purely
 * mechanical rewrites that `lint --fix` applies. A rule is recognised by SurrealDB 3's own message
 * where it says enough, and by the statement's tokens otherwise. The rewrites themselves are found
 * in v3-rewrites.ts (on tokens: never inside strings or comments, never a user's `fn::` name), and
 * `lint --fix` keeps one only where the target engine refuses the original (v3-fix.ts).
 */
import { applyRewrites, findRewrites, RENAMED_FUNCTIONS, type UpgradeRewrite } from './v3-rewrites.js';

export interface UpgradeRule {
  id: string;
  /** Whether a problem (SurrealDB's message, the failing statement's text) comes from this change. */
  matches(message: string, statement: string): boolean;
  hint: string;
  /** The mechanical rewrite, on a script's text; undefined when a person must decide. */
  rewrite?: (text: string) => string;
}

/** The v3 names the renames produce, as the engine suggests them ("did you maybe mean …"). */
const RENAMED_TO = new Set(RENAMED_FUNCTIONS.values());

/** Whether `statement` holds a candidate rewrite of `rule` (on its tokens: never in a string or comment). */
function hasRewrite(rule: UpgradeRewrite['rule'], statement: string): boolean {
  return findRewrites(statement).some((r) => r.rule === rule);
}

/** The script with the candidate rewrites of `rule` applied. */
function rewriteOf(rule: UpgradeRewrite['rule']): (text: string) => string {
  return (text) =>
    applyRewrites(
      text,
      findRewrites(text).filter((r) => r.rule === rule),
    );
}

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
      RENAMED_TO.has(/did you maybe mean `([^`]+)`/.exec(message)?.[1] ?? '') ||
      hasRewrite('renamed-function', statement),
    hint:
      'SurrealDB 3 renamed these functions: `type::is::x` is `type::is_x` (and every `::is::`), ' +
      '`duration::from::x` is `duration::from_x`, `time::from::x` is `time::from_x`, `type::thing` is ' +
      '`type::record`, `rand::guid` is `rand::id`, `string::distance::osa_distance` is `string::distance::osa`.',
    rewrite: rewriteOf('renamed-function'),
  },
  {
    id: 'flexible-placement',
    matches: (message, statement) =>
      /FLEXIBLE must be specified after TYPE/i.test(message) || hasRewrite('flexible-placement', statement),
    hint: 'In SurrealDB 3, FLEXIBLE follows the type, and only an object type: write `TYPE object FLEXIBLE`, not `FLEXIBLE TYPE object`.',
    // Only where the type holds an object: FLEXIBLE on another type is a decision, not a rewrite.
    rewrite: rewriteOf('flexible-placement'),
  },
  {
    id: 'search-analyzer',
    matches: (message, statement) => hasRewrite('search-analyzer', statement),
    hint:
      'SurrealDB 3 calls full-text indexes FULLTEXT and drops their tuning options: write ' +
      '`FULLTEXT ANALYZER name BM25`, without DOC_IDS_ORDER, POSTINGS_CACHE and the like.',
    rewrite: rewriteOf('search-analyzer'),
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
