/**
 * A small, dependency-free SurrealQL statement splitter.
 *
 * It performs a single linear pass over the source (char-code comparisons
 * only) and cuts it at every top-level `;`, i.e. a `;` that is not inside a
 * string, an escaped identifier, a comment, a regex literal or a `{}`/`()`/`[]`
 * block. It never throws: an unterminated string, comment or block simply runs
 * to the end of the input and the server reports the parse error.
 *
 * Lexical rules (checked against the embedded SurrealDB engine):
 * - strings `'…'` / `"…"` with backslash escapes; prefixed strings such as
 *   `r"…"`, `d'…'`, `u"…"`, `s'…'`, `b"…"` are a word followed by a string;
 * - identifiers in backticks `` `…` `` and in `⟨…⟩` (U+27E8 / U+27E9), both
 *   with backslash escapes, so `person:⟨a;b⟩` and ``person:`a;b` `` stay whole;
 * - line comments `-- …`, `# …` and `// …` (`--` always starts a comment,
 *   even in `5--3`) ending at `\n`, `\r`, U+0085, U+2028 or U+2029, and
 *   non-nested block comments `/* … *\/`;
 * - regex literals `/…/`: a `/` in operand position (after an operator, an
 *   opening bracket, a `,`, or a keyword such as `RETURN`, `WHERE`, `AND`,
 *   `CONTAINS`) starts a regex when a closing unescaped `/` follows on the same
 *   line; anywhere else `/` is a division. (The engine also accepts regexes
 *   spanning lines; those are not recognised here, to keep a misread division
 *   from swallowing statements.)
 * - `{`, `(`, `[` and `}`, `)`, `]` are counted as one nesting depth (a stray
 *   closer at depth 0 is ignored); only a `;` at depth 0 splits.
 */

/** One chunk of a SurrealQL script, as returned by {@link splitSurql}. */
export interface SurqlStatement {
  /**
   * Raw source slice of this chunk, from the end of the previous chunk up to
   * and including its terminating `;` (or to the end of input). Joining every
   * chunk's `raw` in order gives back the input exactly.
   */
  raw: string;
  /**
   * The statement itself: the code from its first significant character up
   * to (excluding) the terminating `;`, with trailing whitespace trimmed.
   * Leading comments/whitespace are not part of it, but comments inside (and
   * trailing comments before the `;`) are kept. `''` for a chunk that holds
   * only whitespace/comments.
   */
  text: string;
  /** 0-based offset of `text`'s first character in the input (or of the chunk start if empty). */
  offset: number;
  /** 1-based line where `text` starts (lines are split on `\n` only). */
  line: number;
  /**
   * 1-based column where `text` starts, counted in UTF-16 code units (like
   * JavaScript string indices, so an astral character counts as 2). A `\r`
   * before `\n` ends the line and is never counted.
   */
  column: number;
  /** `true` when the chunk holds no statement (only whitespace and comments). */
  empty: boolean;
  /**
   * Upper-cased first keyword of the statement (e.g. `'DEFINE'`, `'BEGIN'`,
   * `'COMMIT'`, `'SELECT'`, `'LET'`, `'IF'`, `'FOR'`): the leading run of
   * `[A-Za-z0-9_]` when the statement starts with an ASCII letter or `_`.
   * `''` when empty, when the statement does not start with a word (`$a = 1`,
   * `(SELECT …)`, `{ … }`), or when that word is directly followed by `:` or a
   * quote, i.e. it is really a record id / function path / prefixed string
   * (`person:1`, `fn::x()`, `r"a:1"`).
   */
  keyword: string;
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34; // "
const HASH = 35; // #
const DOLLAR = 36; // $
const SQUOTE = 39; // '
const LPAREN = 40; // (
const RPAREN = 41; // )
const STAR = 42; // *
const MINUS = 45; // -
const DOT = 46; // .
const SLASH = 47; // /
const COLON = 58; // :
const SEMI = 59; // ;
const LBRACKET = 91; // [
const BACKSLASH = 92; // \
const RBRACKET = 93; // ]
const BACKTICK = 96; // `
const LBRACE = 123; // {
const RBRACE = 125; // }
const NEL = 0x85;
const LANGLE = 0x27e8; // ⟨
const RANGLE = 0x27e9; // ⟩
const LINE_SEP = 0x2028;
const PARA_SEP = 0x2029;
const BOM = 0xfeff;

/**
 * Whitespace as SurrealDB sees it (ASCII space, \t, \n, \v, \f, \r), plus a
 * byte-order mark so that a BOM at the very start is not taken for code.
 */
function isWhitespace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR) || c === BOM;
}

function isLineTerminator(c: number): boolean {
  return c === LF || c === CR || c === NEL || c === LINE_SEP || c === PARA_SEP;
}

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

/** Words after which a `/` begins a regex literal rather than a division. */
const REGEX_PRECEDING_KEYWORDS: ReadonlySet<string> = new Set([
  'RETURN',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IS',
  'THEN',
  'ELSE',
  'IF',
  'WHEN',
  'ASSERT',
  'THROW',
  'CONTAINS',
  'CONTAINSALL',
  'CONTAINSANY',
  'CONTAINSNONE',
  'CONTAINSNOT',
  'INSIDE',
  'ALLINSIDE',
  'ANYINSIDE',
  'NONEINSIDE',
  'NOTINSIDE',
  'OUTSIDE',
  'INTERSECTS',
]);

/** Length of the line-comment marker at `i` (`--`, `//` → 2, `#` → 1), else 0. */
function lineCommentMarker(src: string, i: number): number {
  const c = src.charCodeAt(i);
  if (c === HASH) return 1;
  if (c === MINUS || c === SLASH) return src.charCodeAt(i + 1) === c ? 2 : 0;
  return 0;
}

/** Index of the line terminator ending a line comment whose body starts at `i` (or the input length). */
function endOfLineComment(src: string, i: number): number {
  const n = src.length;
  while (i < n && !isLineTerminator(src.charCodeAt(i))) i++;
  return i;
}

/** Index just past the `*\/` closing a block comment whose body starts at `i` (or the input length). */
function endOfBlockComment(src: string, i: number): number {
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

/** Index just past a regex literal whose body starts at `i`, or -1 if it is not closed on this line. */
function endOfRegex(src: string, i: number): number {
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === SLASH) return i + 1;
    if (c === LF || c === CR) return -1;
    if (c === BACKSLASH) {
      const next = src.charCodeAt(i + 1);
      if (next === LF || next === CR) return -1;
      i += 2;
    } else i++;
  }
  return -1;
}

/** Whether the word `src[start, end)` is a keyword after which a value (and thus a regex) is expected. */
function isRegexPrecedingKeyword(src: string, start: number, end: number): boolean {
  const before = start > 0 ? src.charCodeAt(start - 1) : -1;
  // `$and`, `a.or`, `t:where` are names, not keywords.
  if (before === DOLLAR || before === DOT || before === COLON) return false;
  const len = end - start;
  if (len < 2 || len > 12) return false;
  return REGEX_PRECEDING_KEYWORDS.has(src.slice(start, end).toUpperCase());
}

function leadingKeyword(text: string): string {
  if (!isWordStart(text.charCodeAt(0))) return '';
  let end = 1;
  while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
  const next = text.charCodeAt(end);
  if (next === COLON || next === SQUOTE || next === DQUOTE || next === BACKTICK || next === LANGLE) {
    return '';
  }
  return text.slice(0, end).toUpperCase();
}

/** What the previous significant token was, to tell a regex `/` from a division. */
const PREV_OPERATOR = 0; // start, operator, opening bracket, `,`, `;` …: a value is expected
const PREV_OPERAND = 1; // literal, name, closing bracket: an operator is expected
const PREV_WORD = 2; // bare word: a keyword (value expected) or a name (operator expected)

/**
 * Splits a SurrealQL script into chunks at top-level `;`.
 *
 * Every part of the input belongs to exactly one chunk, so joining the chunks'
 * `raw` in order gives back the input. A chunk ends with its `;`; the last
 * chunk runs to the end of input (it is omitted when the input ends right
 * after a `;`). Chunks holding only whitespace/comments — including `;;` and
 * trailing comments — are returned with `empty: true`. An empty input yields
 * `[]`. Never throws.
 */
export function splitSurql(source: string): SurqlStatement[] {
  const n = source.length;
  const chunks: SurqlStatement[] = [];

  // Incremental line/column locator; offsets are requested in increasing order.
  let locLine = 1;
  let locLineStart = 0;
  let nextNewline = source.indexOf('\n');
  const locate = (offset: number): void => {
    while (nextNewline >= 0 && nextNewline < offset) {
      locLine++;
      locLineStart = nextNewline + 1;
      nextNewline = source.indexOf('\n', locLineStart);
    }
  };

  let chunkStart = 0;
  let textStart = -1;
  let depth = 0;
  let prev = PREV_OPERATOR;
  let wordStart = 0;
  let wordEnd = 0;

  const pushChunk = (textEnd: number, chunkEnd: number): void => {
    let text = '';
    let offset = chunkStart;
    if (textStart >= 0) {
      let end = textEnd;
      while (end > textStart && isWhitespace(source.charCodeAt(end - 1))) end--;
      text = source.slice(textStart, end);
      offset = textStart;
    }
    locate(offset);
    chunks.push({
      raw: source.slice(chunkStart, chunkEnd),
      text,
      offset,
      line: locLine,
      column: offset - locLineStart + 1,
      empty: text === '',
      keyword: leadingKeyword(text),
    });
    chunkStart = chunkEnd;
    textStart = -1;
  };

  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (isWhitespace(c)) {
      i++;
      continue;
    }

    const marker = lineCommentMarker(source, i);
    if (marker > 0) {
      i = endOfLineComment(source, i + marker);
      continue;
    }
    if (c === SLASH && source.charCodeAt(i + 1) === STAR) {
      i = endOfBlockComment(source, i + 2);
      continue;
    }

    if (c === SEMI && depth === 0) {
      pushChunk(i, i + 1);
      prev = PREV_OPERATOR;
      i++;
      continue;
    }

    if (textStart < 0) textStart = i;

    if (isWordChar(c)) {
      const start = i;
      i++;
      while (i < n && isWordChar(source.charCodeAt(i))) i++;
      if (isWordStart(c)) {
        prev = PREV_WORD;
        wordStart = start;
        wordEnd = i;
      } else {
        prev = PREV_OPERAND; // a number or duration
      }
      continue;
    }

    switch (c) {
      case SQUOTE:
      case DQUOTE:
      case BACKTICK:
        i = endOfQuoted(source, i + 1, c);
        prev = PREV_OPERAND;
        continue;
      case LANGLE:
        i = endOfQuoted(source, i + 1, RANGLE);
        prev = PREV_OPERAND;
        continue;
      case LBRACE:
      case LPAREN:
      case LBRACKET:
        depth++;
        prev = PREV_OPERATOR;
        break;
      case RBRACE:
      case RPAREN:
      case RBRACKET:
        if (depth > 0) depth--;
        prev = PREV_OPERAND;
        break;
      case SLASH: {
        const valueExpected =
          prev === PREV_OPERATOR || (prev === PREV_WORD && isRegexPrecedingKeyword(source, wordStart, wordEnd));
        const end = valueExpected ? endOfRegex(source, i + 1) : -1;
        if (end >= 0) {
          i = end;
          prev = PREV_OPERAND;
          continue;
        }
        prev = PREV_OPERATOR; // division
        break;
      }
      default:
        // ASCII punctuation is an operator; anything else (non-ASCII) is taken as part of a name.
        prev = c < 128 ? PREV_OPERATOR : PREV_OPERAND;
    }
    i++;
  }

  if (chunkStart < n) pushChunk(n, n);
  return chunks;
}

/** Only the non-empty statements of {@link splitSurql}. */
export function surqlStatements(source: string): SurqlStatement[] {
  return splitSurql(source).filter((chunk) => !chunk.empty);
}

/**
 * Whether the source's leading comments (before its first statement) contain
 * a line comment whose content is exactly `directive`, e.g.
 * `-- migrate:no-transaction`, `# migrate:no-transaction` or
 * `// MIGRATE:NO-TRANSACTION`. Surrounding whitespace is ignored and the match
 * is case-insensitive. `directive` may be given with or without a comment
 * marker (`'migrate:no-transaction'` or `'-- migrate:no-transaction'`). Block
 * comments are skipped but not inspected; scanning stops at the first
 * character that is neither whitespace nor comment (including a `;`).
 */
export function hasLeadingDirective(source: string, directive: string): boolean {
  let wanted = directive.trim();
  wanted = wanted.slice(lineCommentMarker(wanted, 0)).trim().toLowerCase();
  if (wanted === '') return false;

  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    const marker = lineCommentMarker(source, i);
    if (marker > 0) {
      const end = endOfLineComment(source, i + marker);
      if (
        source
          .slice(i + marker, end)
          .trim()
          .toLowerCase() === wanted
      )
        return true;
      i = end;
      continue;
    }
    if (c === SLASH && source.charCodeAt(i + 1) === STAR) {
      i = endOfBlockComment(source, i + 2);
      continue;
    }
    return false;
  }
  return false;
}
