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

/** `type::is::string(` → `type::is_string(`, and the other `::is::`, `::from::` families. */
const PATH_RENAMES: readonly [RegExp, string][] = [
  [/\b(type|string)::is::([a-z_]+)\b/g, '$1::is_$2'],
  [/\b(duration|time)::from::([a-z_]+)\b/g, '$1::from_$2'],
  [/\btype::thing\b/g, 'type::record'],
];

export const UPGRADE_RULES: readonly UpgradeRule[] = [
  {
    id: 'renamed-function',
    matches: (message, statement) =>
      /did you maybe mean|Invalid function\/constant path/i.test(message) ||
      PATH_RENAMES.some(([re]) => new RegExp(re.source).test(statement)),
    hint:
      'SurrealDB 3 renamed these functions: `type::is::x` is `type::is_x`, `string::is::x` is `string::is_x`, ' +
      '`duration::from::x` is `duration::from_x`, `time::from::x` is `time::from_x`, `type::thing` is `type::record`.',
    rewrite: (text) =>
      outsideStringsAndComments(text, (code) => PATH_RENAMES.reduce((t, [re, to]) => t.replace(re, to), code)),
  },
  {
    id: 'flexible-placement',
    matches: (message, statement) => /\bFLEXIBLE\s+TYPE\b/i.test(statement),
    hint: 'In SurrealDB 3, FLEXIBLE follows the type: write `TYPE object FLEXIBLE`, not `FLEXIBLE TYPE object`.',
    rewrite: (text) =>
      outsideStringsAndComments(text, (code) =>
        code.replace(
          /\bFLEXIBLE(\s+)TYPE(\s+)((?:[A-Za-z_][\w]*)(?:<[^;>]*(?:<[^;>]*>[^;>]*)*>)?(?:\s*\|\s*[A-Za-z_][\w]*(?:<[^;>]*>)?)*)/gi,
          (_m, s1: string, s2: string, type: string) => `TYPE${s2}${type}${s1}FLEXIBLE`,
        ),
      ),
  },
  {
    id: 'search-analyzer',
    matches: (message, statement) => /\bSEARCH\s+ANALYZER\b/i.test(statement),
    hint: 'SurrealDB 3 calls full-text indexes FULLTEXT: write `FULLTEXT ANALYZER name`, not `SEARCH ANALYZER name`.',
    rewrite: (text) =>
      outsideStringsAndComments(text, (code) => code.replace(/\bSEARCH(\s+)ANALYZER\b/gi, 'FULLTEXT$1ANALYZER')),
  },
  {
    id: 'mtree',
    matches: (message, statement) => /\bMTREE\b/i.test(statement),
    hint: 'SurrealDB 3 removed MTREE vector indexes: define the index with HNSW (`HNSW DIMENSION n DIST …`).',
  },
  {
    id: 'future',
    matches: (message, statement) => /<\s*future\s*>/i.test(statement),
    hint: 'SurrealDB 3 removed `<future> { … }`: define the field as `COMPUTED <expression>` instead.',
  },
  {
    id: 'undefined-table',
    matches: (message) => /The table '[^']*' does not exist/i.test(message),
    hint:
      'Since SurrealDB 3, a SELECT, UPDATE or REMOVE on a table that was never defined is an error: define it ' +
      'first (`DEFINE TABLE IF NOT EXISTS t`), or write `REMOVE TABLE IF EXISTS t`.',
  },
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
 * Applies `rewrite` to the code between strings, escaped identifiers, regexes and comments, which
 * stay as written. Runs of code are cut at those tokens, so a rewrite never spans one.
 */
function outsideStringsAndComments(text: string, rewrite: (code: string) => string): string {
  const lexer = new SurqlLexer(text);
  const protectedRanges: [number, number][] = [];
  let expectValue = true;
  for (let token: SurqlToken | undefined; (token = lexer.next(expectValue));) {
    if (token.kind === 'string' || token.kind === 'ident' || token.kind === 'regex' || token.kind === 'js') {
      protectedRanges.push([token.start, token.end]);
    }
    expectValue = token.kind === 'punct' || token.kind === 'open' || token.kind === 'semi';
  }
  let out = '';
  let at = 0;
  for (const [start, end] of protectedRanges) {
    out += rewriteCode(text.slice(at, start), rewrite) + text.slice(start, end);
    at = end;
  }
  return out + rewriteCode(text.slice(at), rewrite);
}

/** Rewrites a run of code, leaving its comments as they are. */
function rewriteCode(run: string, rewrite: (code: string) => string): string {
  // Comments in a run of code: `-- …`, `// …`, `# …` to the end of the line, `/* … */`.
  const parts = run.split(
    /(--[^\n\r\u0085\u2028\u2029]*|\/\/[^\n\r\u0085\u2028\u2029]*|#[^\n\r\u0085\u2028\u2029]*|\/\*[\s\S]*?\*\/)/,
  );
  return parts.map((part, i) => (i % 2 === 1 ? part : rewrite(part))).join('');
}
