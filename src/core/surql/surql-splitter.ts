/**
 * Cuts a SurrealQL script into statements at its top-level `;`, on the tokens of
 * {@link SurqlLexer}, which follows SurrealDB's own lexer. Linear in the input; never throws.
 *
 * Besides the cut, one pass follows just enough of the grammar to tell what the runner must know
 * before it sends anything:
 * - whether a `/` is a regex or a division (a regex only where a value is expected, so
 *   `VALUE /a;b/` is a regex and `half = outside / 2` a division);
 * - where a statement starts, at the top level and inside blocks, and with which keyword;
 * - which RETURNs would end the whole request (see {@link SurqlHazard});
 * - which `DEFINE INDEX … CONCURRENTLY` statements build an index in the background.
 *
 * The engine stays the judge of what the text means: the runner reads its answers by their place
 * counted from the end, and this split only names statements in messages.
 *
 * The nesting it follows is in surql-frames.ts; reading single tokens, in surql-tokens.ts.
 */
import { SurqlLexer, identifierText, isSurqlWhitespace, type SurqlToken } from './surql-lexer.js';
import {
  CLOSE_BRACE,
  CLOSE_BRACKET,
  CLOSE_PAREN,
  CLOSURE,
  EXPRESSION_STARTS,
  HAZARD_STATEMENTS,
  INLINE,
  SELECT_CATCHING_CLAUSES,
  TOP,
  TOP_LEVEL_STATEMENTS,
  frame,
  inlineStatement,
  startStatement,
  type Frame,
} from './surql-frames.js';
import { isDot, isName, isNameStart, locator } from './surql-tokens.js';

/** A statement keyword found where it changes how the request runs, with its place in the source. */
export interface SurqlHazard {
  /**
   * `RETURN`: a RETURN that ends the whole request. SurrealDB then commits the transaction with
   * what ran before it. That is any RETURN reached by the request's own control flow: at the top
   * level, in a LET, RETURN, THROW, IF or FOR (condition, range and body), in a SELECT's FROM, and
   * in any block, `( … )` or array among those. A RETURN inside a function body, a closure, a
   * DEFINE, or a per-record clause of a data statement (SET, WHERE, a projection, a target) only
   * ends that body.
   *
   * `BEGIN`, `COMMIT`, `CANCEL`, `USE`: such a statement at the start of any statement, at the top
   * level or inside a block.
   */
  keyword: 'RETURN' | 'BEGIN' | 'COMMIT' | 'CANCEL' | 'USE';
  offset: number;
  line: number;
  column: number;
}

/** A `DEFINE INDEX … CONCURRENTLY` statement: its index builds after the statement returns. */
export interface ConcurrentIndex {
  name: string;
  table: string;
}

/** One chunk of a SurrealQL script, as returned by {@link splitSurql}. */
export interface SurqlStatement {
  /**
   * Raw source slice of this chunk, from the end of the previous chunk up to and including its
   * terminating `;` (or to the end of input). Joining every chunk's `raw` in order gives back the
   * input exactly.
   */
  raw: string;
  /**
   * The statement itself: from its first token up to (excluding) the terminating `;`, with
   * trailing whitespace trimmed. Leading comments and whitespace are not part of it. `''` for a
   * chunk that holds only whitespace and comments.
   */
  text: string;
  /** 0-based offset of `text`'s first character in the input (or of the chunk start if empty). */
  offset: number;
  /** 1-based line where `text` starts (lines are split on `\n` only, as SurrealDB counts them). */
  line: number;
  /** 1-based column where `text` starts, in UTF-16 code units; a `\r` before `\n` is not counted. */
  column: number;
  /** `true` when the chunk holds no statement (only whitespace and comments). */
  empty: boolean;
  /**
   * Upper-cased first keyword (`'DEFINE'`, `'BEGIN'`, `'LET'`, …): the statement's first token when
   * it is a word that is not a record id, a function path, an object key or a string prefix
   * (`person:1`, `fn::x()`, `r"a:1"`). `''` otherwise.
   */
  keyword: string;
  /** Keywords in it that change how the whole request runs, in source order. */
  hazards: SurqlHazard[];
  /** Set when the statement is `DEFINE INDEX … CONCURRENTLY`. */
  concurrentIndex: ConcurrentIndex | undefined;
  /** On the last chunk only: the outermost bracket still open at the end of the input. */
  unclosed: { line: number; column: number } | undefined;
}

/** What the next token may be, to tell a regex from a division and a keyword from a name. */
const enum Expect {
  /** After an operand: an operator or a clause keyword follows, so `/` divides. */
  Operator,
  /** Where an operand starts: a `/` is a regex, and a word is a name unless it starts an expression. */
  Value,
  /** Right after a keyword that the grammar eats: a value, or one of a few modifiers (`SELECT VALUE`). */
  Clause,
}

/**
 * Splits a SurrealQL script into chunks at top-level `;`.
 *
 * Every part of the input belongs to exactly one chunk, so joining the chunks' `raw` in order
 * gives back the input. A chunk ends with its `;`; the last chunk runs to the end of input (it is
 * omitted when the input ends right after a `;`). Chunks holding only whitespace and comments,
 * including `;;` and trailing comments, are returned with `empty: true`. An empty input yields
 * `[]`.
 */
export function splitSurql(source: string): SurqlStatement[] {
  const chunks: SurqlStatement[] = [];
  const locate = locator(source);
  const lexer = new SurqlLexer(source);

  let chunkStart = 0;
  let textStart = -1;
  let keyword = '';
  let hazards: SurqlHazard[] = [];
  // The statement's own top-level tokens, to recognise DEFINE INDEX … CONCURRENTLY.
  let head: SurqlToken[] = [];
  let concurrently = false;

  const topFrame = (): Frame => ({ ...frame(TOP, undefined), statementLevel: true });
  const stack: Frame[] = [topFrame()];
  const top = (): Frame => stack[stack.length - 1]!;
  let expect: Expect = Expect.Value;
  let prev: SurqlToken | undefined;
  let prevWord = '';
  /** The last word was `function`: a `(` now opens the parameters of a JavaScript function. */
  let javaScriptNext = false;

  const pushChunk = (textEnd: number, chunkEnd: number): void => {
    const offset = textStart >= 0 ? textStart : chunkStart;
    let end = textEnd;
    while (end > offset && isSurqlWhitespace(source.charCodeAt(end - 1))) end--;
    const text = textStart >= 0 ? source.slice(textStart, end) : '';
    const { line, column } = locate(offset);
    chunks.push({
      raw: source.slice(chunkStart, chunkEnd),
      text,
      offset,
      line,
      column,
      empty: text === '',
      keyword,
      hazards,
      concurrentIndex: concurrently ? concurrentIndex(source, head) : undefined,
      unclosed: undefined,
    });
    chunkStart = chunkEnd;
    textStart = -1;
    keyword = '';
    hazards = [];
    head = [];
    concurrently = false;
  };

  for (;;) {
    const token = lexer.next(expect !== Expect.Operator);
    if (!token) break;
    const c = source.charCodeAt(token.start);
    // A closure's body and an inline statement end where their parent's expression ends.
    for (let f = top(); ; f = top()) {
      const ends = token.kind === 'semi' || token.kind === 'close' || (c === 44 && f.closer === CLOSURE);
      if ((f.closer === CLOSURE || f.closer === INLINE) && ends) stack.pop();
      else break;
    }

    if (token.kind === 'semi' && stack.length === 1) {
      pushChunk(token.start, token.end);
      stack[0] = topFrame();
      expect = Expect.Value;
      prev = undefined;
      prevWord = '';
      continue;
    }
    if (textStart < 0) textStart = token.start;
    const level = stack.length === 1;
    if (level) head.push(token);
    const current = top();
    const opensJavaScript = javaScriptNext && token.kind === 'open' && c === 40;
    javaScriptNext = false;
    let word = '';

    switch (token.kind) {
      case 'word': {
        word = source.slice(token.start, token.end).toUpperCase();
        // At the start of a top-level statement, a statement keyword is one even before a `:`
        // (`define:1` is a DEFINE, and an error); elsewhere `word:` is an object key or a record id.
        const startsTop = level && current.atStart && (EXPRESSION_STARTS.has(word) || TOP_LEVEL_STATEMENTS.has(word));
        const name = isName(source, prev, lexer.position, startsTop);
        const keywordHere = !name && (expect !== Expect.Operator || current.typeDepth >= 0);
        if (current.atStart) {
          const topLevel = level && TOP_LEVEL_STATEMENTS.has(word);
          const starts = keywordHere && (topLevel || EXPRESSION_STARTS.has(word));
          startStatement(current, starts ? word : '', level);
          current.hazardMark = hazards.length;
          // `person:1`, `fn::x()`: a record id or a path, glued to the word.
          if (level) keyword = name && source.charCodeAt(token.end) === 58 ? '' : word;
          if (topLevel && !name && HAZARD_STATEMENTS.has(word)) {
            hazards.push({ keyword: word as SurqlHazard['keyword'], offset: token.start, ...locate(token.start) });
          }
        } else if (keywordHere && expect !== Expect.Operator && current.typeDepth < 0 && inlineStatement(word)) {
          // `LET $x = SELECT …`, `RETURN CREATE …`: a statement inside an expression.
          const inline = frame(INLINE, current);
          startStatement(inline, word, false);
          inline.hazardMark = hazards.length;
          stack.push(inline);
        } else if (!name && expect === Expect.Operator && current.statement === 'SELECT' && !current.letValue) {
          if (word === 'FROM' || word === 'WHERE') current.passes = current.propagates;
          else if (SELECT_CATCHING_CLAUSES.has(word)) current.passes = false;
          // SELECT … EXPLAIN: a RETURN in it is evaluated but does not end the request (measured on
          // the engine; other statements in it, a CREATE in FROM, do run).
          if (word === 'EXPLAIN') hazards.length = Math.min(hazards.length, current.hazardMark);
        }
        const inner = top();
        if (!name && word === 'RETURN' && inner.propagates && inner.passes && !(prev && isDot(source, prev))) {
          hazards.push({ keyword: 'RETURN', offset: token.start, ...locate(token.start) });
        }
        if (level && !name && word === 'CONCURRENTLY') concurrently = true;
        if (!name && word === 'FUNCTION' && expect !== Expect.Operator) javaScriptNext = true;

        if (current.typeDepth === 0 && expect === Expect.Operator) {
          // A word after a complete type is the next clause.
          current.typeDepth = -1;
          expect = Expect.Clause;
        } else if (current.typeDepth >= 0) {
          expect = Expect.Operator;
        } else if (!name && word === 'TYPE' && expect !== Expect.Value) {
          current.typeDepth = 0;
          expect = Expect.Value;
        } else if (name) {
          expect = Expect.Operator;
        } else if (expect === Expect.Operator) {
          // After an operand, a word is an infix keyword or a clause: a value may follow.
          expect = Expect.Clause;
        } else if (EXPRESSION_STARTS.has(word) || (inner.statement === word && TOP_LEVEL_STATEMENTS.has(word))) {
          expect = Expect.Clause;
        } else if (expect === Expect.Clause && ((word === 'VALUE' && prevWord === 'SELECT') || word === 'ONLY')) {
          expect = Expect.Clause;
        } else {
          expect = Expect.Operator;
        }
        break;
      }
      case 'open': {
        const opened = frame(c === 40 ? CLOSE_PAREN : c === 91 ? CLOSE_BRACKET : CLOSE_BRACE, current);
        opened.javaScript = opensJavaScript;
        opened.openedAt = token.start;
        // `{ … }` as a statement, or as a block of a statement-level IF or FOR.
        opened.statementLevel =
          c === 123 &&
          current.statementLevel &&
          (current.atStart || current.statement === 'IF' || current.statement === 'FOR');
        current.atStart = false;
        stack.push(opened);
        expect = Expect.Value;
        break;
      }
      case 'close': {
        current.atStart = false;
        if (stack.length > 1) stack.pop();
        expect = Expect.Operator;
        if (current.javaScript) {
          // `function(…)` is followed by its JavaScript body, read raw.
          const body = lexer.javaScriptBody();
          if (body && stack.length === 1) head.push(body);
        }
        break;
      }
      case 'punct':
        current.atStart = false;
        expect = punctuation(source, token, current, stack, lexer, expect, level ? head : undefined);
        break;
      case 'semi':
        // The end of a statement inside a block or subquery.
        Object.assign(current, { atStart: true, statement: '', passes: true, typeDepth: -1 });
        expect = Expect.Value;
        break;
      default:
        // strings, identifiers, numbers, regexes and JavaScript bodies are operands.
        if (current.atStart) startStatement(current, '', level);
        expect = Expect.Operator;
    }
    prev = token;
    prevWord = word;
  }

  if (chunkStart < source.length) pushChunk(source.length, source.length);
  const open = stack.find((f) => f.openedAt >= 0);
  const last = chunks.at(-1);
  if (open && last) last.unclosed = locate(open.openedAt);
  return chunks;
}

/** What follows a punctuation token; opens closures and reads `$name` and type brackets. */
function punctuation(
  source: string,
  token: SurqlToken,
  current: Frame,
  stack: Frame[],
  lexer: SurqlLexer,
  expect: Expect,
  head: SurqlToken[] | undefined,
): Expect {
  const c = source.charCodeAt(token.start);
  if (current.typeDepth >= 0) {
    if (c === 60) current.typeDepth++;
    else if (c === 62 && current.typeDepth > 0) {
      current.typeDepth--;
      return Expect.Operator;
    } else if (c !== 124 && !(c === 44 && current.typeDepth > 0)) current.typeDepth = -1;
    if (current.typeDepth >= 0) return Expect.Value;
  }
  if (c === 124) {
    // `|`: a closure's parameters where a value is expected, and their end after them.
    if (current.closureParams) {
      current.closureParams = false;
      stack.push({ ...frame(CLOSURE, current), propagates: false, atStart: false });
      return Expect.Value;
    }
    if (expect !== Expect.Operator) {
      if (source.charCodeAt(token.end) === 124) {
        // `||` where a value is expected: a closure without parameters.
        lexer.next(false);
        stack.push({ ...frame(CLOSURE, current), propagates: false, atStart: false });
      } else {
        current.closureParams = true;
      }
      return Expect.Value;
    }
  }
  if (c === 36) {
    // `$name`, `` $`a b` ``, `$⟨a b⟩`: one operand.
    if (isNameStart(source.charCodeAt(token.end))) {
      const name = lexer.next(false);
      if (head && name) head.push(name);
    }
    return Expect.Operator;
  }
  // `*` where a value is expected is the wildcard (`SELECT *`, `a.*`), and `..` may end a range.
  if (c === 42 && expect !== Expect.Operator) return Expect.Operator;
  return Expect.Value;
}

/** Only the non-empty statements of {@link splitSurql}. */
export function surqlStatements(source: string): SurqlStatement[] {
  return splitSurql(source).filter((chunk) => !chunk.empty);
}

/** `DEFINE INDEX [OVERWRITE | IF NOT EXISTS] name ON [TABLE] table …`: the name and table. */
function concurrentIndex(source: string, tokens: readonly SurqlToken[]): ConcurrentIndex | undefined {
  const words = tokens.map((t) => (t.kind === 'word' ? source.slice(t.start, t.end).toUpperCase() : ''));
  if (words[0] !== 'DEFINE' || words[1] !== 'INDEX') return undefined;
  let i = 2;
  if (words[i] === 'OVERWRITE') i++;
  else if (words[i] === 'IF' && words[i + 1] === 'NOT' && words[i + 2] === 'EXISTS') i += 3;
  const name = tokens[i];
  if (!name || words[i + 1] !== 'ON') return undefined;
  i += 2;
  if (words[i] === 'TABLE') i++;
  const table = tokens[i];
  if (!table) return undefined;
  return { name: identifierText(source, name), table: identifierText(source, table) };
}
