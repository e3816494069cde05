/**
 * The mechanical SurrealDB 2 → 3 rewrites, found on the lexer's tokens: a built-in function that
 * SurrealDB 3 renamed, FLEXIBLE before an object type, and SEARCH (with its tuning options) where
 * SurrealDB 3 writes FULLTEXT. Nothing inside a string, a comment, an escaped identifier, a regex or
 * a JavaScript body is ever a candidate, nor a user's `fn::` name, a longer path, a record id, or a
 * word that merely contains the text.
 *
 * These are candidates only: `lint --fix` keeps one where the target engine refuses the statement
 * as written and accepts it rewritten (see v3-fix.ts).
 */
import { SurqlLexer, type SurqlToken } from './surql-lexer.js';

/** One candidate rewrite: `text.slice(start, end)` becomes `replacement`. */
export interface UpgradeRewrite {
  rule: 'renamed-function' | 'flexible-placement' | 'search-analyzer';
  start: number;
  end: number;
  replacement: string;
  /** What the rewrite changes, for the report: the function's name, or the clause, before and after. */
  from: string;
  to: string;
}

/**
 * Every SurrealDB 2 built-in function that SurrealDB 3 renamed, as SurrealDB 2 writes it. Asked of
 * both engines (test/integration/v3-renames.spec.ts): SurrealDB 2 knows each, SurrealDB 3 refuses
 * each and knows its new name.
 */
const RENAMED: readonly string[] = [
  ...[
    'array',
    'bool',
    'bytes',
    'collection',
    'datetime',
    'decimal',
    'duration',
    'float',
    'geometry',
    'int',
    'line',
    'multiline',
    'multipoint',
    'multipolygon',
    'none',
    'null',
    'number',
    'object',
    'point',
    'polygon',
    'range',
    'record',
    'string',
    'uuid',
  ].map((t) => `type::is::${t}`),
  ...[
    'alpha',
    'alphanum',
    'ascii',
    'datetime',
    'domain',
    'email',
    'hexadecimal',
    'ip',
    'ipv4',
    'ipv6',
    'latitude',
    'longitude',
    'numeric',
    'record',
    'semver',
    'ulid',
    'url',
    'uuid',
  ].map((t) => `string::is::${t}`),
  ...['days', 'hours', 'micros', 'millis', 'mins', 'nanos', 'secs', 'weeks'].map((u) => `duration::from::${u}`),
  ...['micros', 'millis', 'nanos', 'secs', 'ulid', 'unix', 'uuid'].map((u) => `time::from::${u}`),
  'time::is::leap_year',
  'geo::is::valid',
  'type::thing',
  'rand::guid',
  'string::distance::osa_distance',
];

const SPECIAL: Readonly<Record<string, string>> = {
  'type::thing': 'type::record',
  'rand::guid': 'rand::id',
  'string::distance::osa_distance': 'string::distance::osa',
};

/** SurrealDB 2's name (lower case) → SurrealDB 3's. */
export const RENAMED_FUNCTIONS: ReadonlyMap<string, string> = new Map(
  RENAMED.map((name) => [name, SPECIAL[name] ?? name.replace(/::(is|from)::(\w+)$/, '::$1_$2')]),
);

/** SEARCH's tuning options, which FULLTEXT does not take (each followed by a number). */
const SEARCH_OPTIONS = new Set([
  'DOC_IDS_ORDER',
  'DOC_LENGTHS_ORDER',
  'POSTINGS_ORDER',
  'TERMS_ORDER',
  'DOC_IDS_CACHE',
  'DOC_LENGTHS_CACHE',
  'POSTINGS_CACHE',
  'TERMS_CACHE',
]);

/** Every candidate rewrite of a script, in source order, none overlapping another. */
export function findRewrites(text: string): UpgradeRewrite[] {
  const tokens = codeTokens(text);
  const found: UpgradeRewrite[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const rewrite = renamedCall(text, tokens, i) ?? flexibleBeforeType(text, tokens, i) ?? searchIndex(text, tokens, i);
    if (!rewrite) continue;
    if (found.length === 0 || found.at(-1)!.end <= rewrite.start) found.push(rewrite);
  }
  return found;
}

/** `text` with `rewrites` (in source order, not overlapping) applied. */
export function applyRewrites(text: string, rewrites: readonly UpgradeRewrite[]): string {
  let out = '';
  let at = 0;
  for (const r of rewrites) {
    out += text.slice(at, r.start) + r.replacement;
    at = r.end;
  }
  return out + text.slice(at);
}

/**
 * The script's tokens, with each JavaScript body (`function(…) { … }`) as one `js` token, so that
 * nothing inside it is read as SurrealQL.
 */
function codeTokens(text: string): SurqlToken[] {
  const lexer = new SurqlLexer(text);
  const tokens: SurqlToken[] = [];
  let expectValue = true;
  /** Depth of the `(` after `function`, while its parameters are read. */
  let javaScriptDepth = -1;
  for (let token: SurqlToken | undefined; (token = lexer.next(expectValue));) {
    tokens.push(token);
    const prev = tokens.at(-2);
    if (token.kind === 'open' && text[token.start] === '(') {
      if (javaScriptDepth >= 0) javaScriptDepth++;
      else if (prev?.kind === 'word' && wordIs(text, prev, 'FUNCTION') && !isNameAt(text, tokens, tokens.length - 2))
        javaScriptDepth = 1;
    } else if (token.kind === 'open' && javaScriptDepth >= 0) javaScriptDepth++;
    else if (token.kind === 'close' && javaScriptDepth > 0 && --javaScriptDepth === 0) {
      javaScriptDepth = -1;
      const body = lexer.javaScriptBody();
      if (body) tokens.push(body);
    }
    const last = tokens.at(-1)!;
    expectValue = last.kind === 'punct' || last.kind === 'open' || last.kind === 'semi';
  }
  return tokens;
}

function wordIs(text: string, token: SurqlToken | undefined, word: string): boolean {
  return token?.kind === 'word' && text.slice(token.start, token.end).toUpperCase() === word;
}

function punctIs(text: string, token: SurqlToken | undefined, punct: string): boolean {
  return token?.kind === 'punct' && text.slice(token.start, token.end) === punct;
}

/**
 * Whether the word at `i` is a name rather than a keyword or the start of a path: after `.`, `:`,
 * `::` or `$` (a field, a record id, a path's later part, a parameter), or followed by `:` or `::`.
 */
function isNameAt(text: string, tokens: readonly SurqlToken[], i: number): boolean {
  const prev = tokens[i - 1];
  if (prev?.kind === 'punct' && ['.', ':', '::', '$'].includes(text.slice(prev.start, prev.end))) return true;
  const next = tokens[i + 1];
  return next?.kind === 'punct' && (text[next.start] === ':' || text.slice(next.start, next.end) === '::');
}

/**
 * A call of a renamed built-in at `i`: the WHOLE path (every `a::b::c` segment a word, written
 * without spaces) is a SurrealDB 2 name SurrealDB 3 renamed, it does not continue a path, a field,
 * a record id or a parameter, and a `(` follows it.
 */
function renamedCall(text: string, tokens: readonly SurqlToken[], i: number): UpgradeRewrite | undefined {
  const first = tokens[i]!;
  if (first.kind !== 'word') return undefined;
  const prev = tokens[i - 1];
  if (prev?.kind === 'punct' && ['.', ':', '::', '$'].includes(text.slice(prev.start, prev.end))) return undefined;
  let j = i;
  while (
    punctIs(text, tokens[j + 1], '::') &&
    tokens[j + 2]?.kind === 'word' &&
    tokens[j + 1]!.start === tokens[j]!.end &&
    tokens[j + 2]!.start === tokens[j + 1]!.end
  ) {
    j += 2;
  }
  if (j === i) return undefined;
  const next = tokens[j + 1];
  if (next?.kind !== 'open' || text[next.start] !== '(') return undefined;
  const written = text.slice(first.start, tokens[j]!.end);
  const renamed = RENAMED_FUNCTIONS.get(written.toLowerCase());
  if (!renamed) return undefined;
  return {
    rule: 'renamed-function',
    start: first.start,
    end: tokens[j]!.end,
    replacement: renamed,
    from: written,
    to: renamed,
  };
}

/** The first two words of the statement (or block statement) the token at `i` is in, upper case. */
function statementHead(text: string, tokens: readonly SurqlToken[], i: number): string {
  let k = i;
  // Back to the `;` or the unclosed bracket before the statement, over whole `( … )`, `[ … ]`, `{ … }`.
  for (let depth = 0; k > 0; k--) {
    const t = tokens[k - 1]!;
    if (t.kind === 'close') depth++;
    else if (t.kind === 'open' && depth > 0) depth--;
    else if (depth === 0 && (t.kind === 'open' || t.kind === 'semi')) break;
  }
  const words = tokens.slice(k, k + 2).map((t) => (t.kind === 'word' ? text.slice(t.start, t.end).toUpperCase() : ''));
  return words.join(' ');
}

/** The index just past the type expression that starts at token `i`: `a<…> | b | "x" | { … }`. */
function typeEnd(text: string, tokens: readonly SurqlToken[], i: number): number | undefined {
  let k = i;
  for (;;) {
    const t = tokens[k];
    if (!t) return undefined;
    if (t.kind === 'word') {
      k++;
      if (punctIs(text, tokens[k], '<')) {
        let depth = 0;
        for (; tokens[k]; k++) {
          if (punctIs(text, tokens[k], '<')) depth++;
          else if (punctIs(text, tokens[k], '>') && --depth === 0) break;
          else if (tokens[k]!.kind === 'semi') return undefined;
        }
        if (!tokens[k]) return undefined;
        k++;
      }
    } else if (t.kind === 'string' || t.kind === 'number') {
      k++;
    } else if (t.kind === 'open') {
      let depth = 0;
      for (; tokens[k]; k++) {
        if (tokens[k]!.kind === 'open') depth++;
        else if (tokens[k]!.kind === 'close' && --depth === 0) break;
      }
      if (!tokens[k]) return undefined;
      k++;
    } else {
      return undefined;
    }
    if (!punctIs(text, tokens[k], '|')) return k;
    k++;
  }
}

/**
 * `FLEXIBLE TYPE <type>` in a DEFINE FIELD, where the type holds `object`: SurrealDB 3 wants
 * `TYPE <type> FLEXIBLE`. (FLEXIBLE on a type without an object is a person's decision.)
 */
function flexibleBeforeType(text: string, tokens: readonly SurqlToken[], i: number): UpgradeRewrite | undefined {
  if (!wordIs(text, tokens[i], 'FLEXIBLE') || !wordIs(text, tokens[i + 1], 'TYPE')) return undefined;
  if (isNameAt(text, tokens, i) || statementHead(text, tokens, i) !== 'DEFINE FIELD') return undefined;
  const end = typeEnd(text, tokens, i + 2);
  if (end === undefined || end === i + 2) return undefined;
  const type = tokens.slice(i + 2, end);
  if (!type.some((t) => wordIs(text, t, 'OBJECT'))) return undefined;
  const flexible = tokens[i]!;
  const typeKeyword = tokens[i + 1]!;
  const stop = tokens[end - 1]!.end;
  const typed = text.slice(typeKeyword.start, stop);
  const replacement = `${typed}${text.slice(flexible.end, typeKeyword.start)}${text.slice(flexible.start, flexible.end)}`;
  return {
    rule: 'flexible-placement',
    start: flexible.start,
    end: stop,
    replacement,
    from: text.slice(flexible.start, stop),
    to: replacement,
  };
}

/**
 * `SEARCH ANALYZER …` in a DEFINE INDEX: SurrealDB 3's `FULLTEXT ANALYZER …`, without the tuning
 * options it no longer takes (`DOC_IDS_ORDER 100` and the like).
 */
function searchIndex(text: string, tokens: readonly SurqlToken[], i: number): UpgradeRewrite | undefined {
  if (!wordIs(text, tokens[i], 'SEARCH') || !wordIs(text, tokens[i + 1], 'ANALYZER')) return undefined;
  if (isNameAt(text, tokens, i) || statementHead(text, tokens, i) !== 'DEFINE INDEX') return undefined;
  const search = tokens[i]!;
  let end = tokens[i + 1]!.end;
  let replacement = `FULLTEXT${text.slice(search.end, end)}`;
  let depth = 0;
  for (let k = i + 2; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'semi' || (t.kind === 'close' && depth === 0)) break;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    if (depth === 0 && t.kind === 'word' && SEARCH_OPTIONS.has(text.slice(t.start, t.end).toUpperCase())) {
      if (tokens[k + 1]?.kind !== 'number') continue;
      // Cut from the end of what precedes the option, so that no blank is left behind.
      replacement += text.slice(end, tokens[k - 1]!.end);
      end = tokens[k + 1]!.end;
      k++;
    }
  }
  return {
    rule: 'search-analyzer',
    start: search.start,
    end,
    replacement,
    from: text.slice(search.start, end),
    to: replacement,
  };
}
