/**
 * SurrealQL tokens, as SurrealDB's own lexer (`syn/lexer` in the `surrealdb` core crate) cuts them,
 * to the extent a statement splitter needs: whitespace, comments, strings, escaped identifiers,
 * regexes, embedded JavaScript bodies, words, numbers and punctuation.
 *
 * One forward pass, never backtracking: linear in the input on any input. It never throws; an
 * unterminated string, comment or regex runs to the end, where the server reports it.
 *
 * Rules that matter, all from SurrealDB's lexer:
 * - whitespace is ASCII space, \t, \n, \v, \f, \r and the Unicode spaces U+00A0, U+1680,
 *   U+2000–U+200A, U+202F, U+205F and U+3000 (not U+0085, U+2028 or U+2029, which only end line
 *   comments, and not a BOM: elsewhere the engine rejects them as invalid tokens);
 * - `--`, `//` and `#` start a line comment that ends at \n, \r, U+0085, U+2028 or U+2029;
 *   `/*` starts a block comment that ends at the first `*\/` (they do not nest);
 * - `'…'` and `"…"` are strings, and a backslash escapes the next character; a one-letter
 *   prefix (`r`, `d`, `u`, `s`, `b`, `f`) glued to the quote belongs to the string, but any
 *   other word glued to a quote is a word of its own (`RETURN"x"` is RETURN, then a string);
 * - `` `…` `` and `⟨…⟩` are escaped identifiers, with backslash escapes;
 * - a `/` is a regex only where the parser expects a value (the caller says so), and then runs
 *   to the next unescaped `/`;
 * - the body of `function(…) { … }` is JavaScript, read raw up to its matching brace with
 *   JavaScript's own strings and comments skipped.
 */

export type SurqlTokenKind =
  'word' | 'number' | 'string' | 'ident' | 'regex' | 'js' | 'open' | 'close' | 'semi' | 'punct';

export interface SurqlToken {
  kind: SurqlTokenKind;
  /** Offsets into the source, `end` exclusive. */
  start: number;
  end: number;
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34;
const HASH = 35;
const SQUOTE = 39;
const STAR = 42;
const MINUS = 45;
const SLASH = 47;
const BACKSLASH = 92;
const BACKTICK = 96;
const LANGLE = 0x27e8; // ⟨
const RANGLE = 0x27e9; // ⟩

/** Whitespace as SurrealDB's lexer lists it (`syn/lexer/byte.rs`, `eat_whitespace`). */
export function isSurqlWhitespace(c: number): boolean {
  if (c <= SPACE) return c === SPACE || (c >= TAB && c <= CR);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Characters that end a line comment. */
export function isLineCommentEnd(c: number): boolean {
  return c === LF || c === CR || c === 0x85 || c === 0x2028 || c === 0x2029;
}

export function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

export function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** String prefixes: record id, datetime, uuid, string, bytes, file. */
function isStringPrefix(src: string, start: number, end: number): boolean {
  if (end - start !== 1) return false;
  const c = src.charCodeAt(start);
  return c === 114 || c === 100 || c === 117 || c === 115 || c === 98 || c === 102; // r d u s b f
}

/** Length of the comment opener at `i` (`--`, `//` → 2, `#` → 1), else 0. */
export function lineCommentMarker(src: string, i: number): number {
  const c = src.charCodeAt(i);
  if (c === HASH) return 1;
  if ((c === MINUS || c === SLASH) && src.charCodeAt(i + 1) === c) return 2;
  return 0;
}

/** Index of the character that ends a line comment whose body starts at `i` (or the input length). */
export function endOfLineComment(src: string, i: number): number {
  const n = src.length;
  while (i < n && !isLineCommentEnd(src.charCodeAt(i))) i++;
  return i;
}

/** Index just past the `*\/` closing a block comment whose body starts at `i` (or the input length). */
export function endOfBlockComment(src: string, i: number): number {
  const end = src.indexOf('*/', i);
  return end < 0 ? src.length : end + 2;
}

/** Index just past the `close` char ending a backslash-escaped literal whose body starts at `i`. */
function endOfQuoted(src: string, i: number, close: number): number {
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === close) return i + 1;
    else i++;
  }
  return n;
}

/**
 * Index just past the `}` that closes a JavaScript body whose `{` is at `open`. JavaScript's
 * strings, template literals and comments are skipped, so a brace inside them does not count.
 */
function endOfJavaScript(src: string, open: number): number {
  const n = src.length;
  let depth = 0;
  let i = open;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125) {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === SQUOTE || c === DQUOTE || c === BACKTICK) {
      i = endOfQuoted(src, i + 1, c);
      continue;
    } else if (c === SLASH && src.charCodeAt(i + 1) === SLASH) {
      i = endOfLineComment(src, i + 2);
      continue;
    } else if (c === SLASH && src.charCodeAt(i + 1) === STAR) {
      i = endOfBlockComment(src, i + 2);
      continue;
    }
    i++;
  }
  return n;
}

/**
 * A cursor over the tokens of `src`. The caller drives it, because one token depends on the
 * parser's state: `next(valueExpected)` reads a `/` as a regex only when a value is expected.
 * `javaScriptBody()` reads the next `{ … }` raw, for `function(…) { … }`.
 */
export class SurqlLexer {
  readonly #src: string;
  #i = 0;

  constructor(source: string) {
    this.#src = source;
    // A leading byte-order mark belongs to the file, not to the script (discovery strips it too).
    if (source.charCodeAt(0) === 0xfeff) this.#i = 1;
  }

  /** Offset of the next character not yet read. */
  get position(): number {
    return this.#i;
  }

  /** Skips whitespace and comments; returns the offset of the next token (or the input length). */
  skipTrivia(): number {
    const src = this.#src;
    const n = src.length;
    let i = this.#i;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (isSurqlWhitespace(c)) {
        i++;
        continue;
      }
      const marker = lineCommentMarker(src, i);
      if (marker > 0) {
        i = endOfLineComment(src, i + marker);
        // The comment eats its terminator: U+0085, U+2028 and U+2029 are not whitespace after it.
        if (i < n) i++;
        continue;
      }
      if (c === SLASH && src.charCodeAt(i + 1) === STAR) {
        i = endOfBlockComment(src, i + 2);
        continue;
      }
      break;
    }
    this.#i = i;
    return i;
  }

  /** The next token, or undefined at the end of the input. */
  next(valueExpected: boolean): SurqlToken | undefined {
    const src = this.#src;
    const start = this.skipTrivia();
    const n = src.length;
    if (start >= n) return undefined;
    const c = src.charCodeAt(start);
    let end = start + 1;
    let kind: SurqlTokenKind;
    if (isWordStart(c)) {
      while (end < n && isWordChar(src.charCodeAt(end))) end++;
      const after = src.charCodeAt(end);
      if ((after === SQUOTE || after === DQUOTE) && isStringPrefix(src, start, end)) {
        end = endOfQuoted(src, end + 1, after);
        kind = 'string';
      } else {
        kind = 'word';
      }
    } else if (isDigit(c)) {
      // Numbers, durations (1h30m), decimals and exponents: digits, letters and `_`, and a `.`
      // followed by a digit (`1..5` is a range, `1.5` a number).
      for (;;) {
        while (end < n && (isWordChar(src.charCodeAt(end)) || src.charCodeAt(end) === 0xb5)) end++;
        if (src.charCodeAt(end) === 46 && isDigit(src.charCodeAt(end + 1))) end += 2;
        else break;
      }
      kind = 'number';
    } else {
      switch (c) {
        case SQUOTE:
        case DQUOTE:
          end = endOfQuoted(src, start + 1, c);
          kind = 'string';
          break;
        case BACKTICK:
          end = endOfQuoted(src, start + 1, BACKTICK);
          kind = 'ident';
          break;
        case LANGLE:
          end = endOfQuoted(src, start + 1, RANGLE);
          kind = 'ident';
          break;
        case 40: // (
        case 91: // [
        case 123: // {
          kind = 'open';
          break;
        case 41: // )
        case 93: // ]
        case 125: // }
          kind = 'close';
          break;
        case 59: // ;
          kind = 'semi';
          break;
        case SLASH:
          if (valueExpected) {
            end = endOfQuoted(src, start + 1, SLASH);
            kind = 'regex';
          } else {
            kind = 'punct';
          }
          break;
        case 58: // : and ::
          if (src.charCodeAt(end) === 58) end++;
          kind = 'punct';
          break;
        default:
          kind = 'punct';
      }
    }
    this.#i = end;
    return { kind, start, end };
  }

  /**
   * When the next token is `{`, reads it and its JavaScript body raw, as one `js` token.
   * Otherwise reads nothing and returns undefined.
   */
  javaScriptBody(): SurqlToken | undefined {
    const start = this.skipTrivia();
    if (this.#src.charCodeAt(start) !== 123) return undefined;
    const end = endOfJavaScript(this.#src, start);
    this.#i = end;
    return { kind: 'js', start, end };
  }
}

/** The text of an identifier token: a word as is, `` `a b` `` and `⟨a b⟩` unescaped. */
export function identifierText(src: string, token: SurqlToken): string {
  const raw = src.slice(token.start, token.end);
  if (token.kind !== 'ident') return raw;
  const closed =
    raw.length >= 2 && raw.charCodeAt(raw.length - 1) === (raw.charCodeAt(0) === LANGLE ? RANGLE : BACKTICK);
  return raw.slice(1, closed ? -1 : undefined).replace(/\\(.)/gsu, '$1');
}
