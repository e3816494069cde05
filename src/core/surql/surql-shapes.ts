/**
 * The shape of a single SurrealQL statement, read from its tokens: its words at their bracket
 * depth, and the idioms (field paths) written in it. Enough to find what a statement defines and
 * where, for checks that run before anything is sent; the engine stays the judge of the rest.
 */
import { SurqlLexer, identifierText, type SurqlTokenKind } from './surql-lexer.js';

export interface ShapeToken {
  kind: SurqlTokenKind;
  /** Offsets in the statement's text. */
  start: number;
  end: number;
  /** A name's text: a word as written, an escaped identifier unescaped. */
  text: string;
  /** A word upper-cased; '' for any other token. */
  upper: string;
  /** Brackets open before this token. */
  depth: number;
}

/** The tokens of one statement (its `text`, as the splitter gives it). */
export function shapeTokens(text: string): ShapeToken[] {
  const lexer = new SurqlLexer(text);
  const tokens: ShapeToken[] = [];
  let depth = 0;
  let expectValue = true;
  for (let token = lexer.next(expectValue); token; token = lexer.next(expectValue)) {
    if (token.kind === 'close') depth = Math.max(0, depth - 1);
    tokens.push({
      kind: token.kind,
      start: token.start,
      end: token.end,
      text: identifierText(text, token),
      upper: token.kind === 'word' ? text.slice(token.start, token.end).toUpperCase() : '',
      depth,
    });
    if (token.kind === 'open') depth++;
    expectValue = token.kind === 'punct' || token.kind === 'open' || token.kind === 'semi';
  }
  return tokens;
}

/** A name: a word or an escaped identifier. */
export function isName(token: ShapeToken | undefined): token is ShapeToken {
  return token?.kind === 'word' || token?.kind === 'ident';
}

/** An idiom (`a`, `a.b`, `` `a`[*].b ``) read from `at`: its first part and whether more follow. */
export interface Idiom {
  first: ShapeToken;
  /** More than one part: `a.b`, `a[*]`. */
  nested: boolean;
  /** The index after the idiom. */
  next: number;
}

export function readIdiom(tokens: readonly ShapeToken[], at: number, text: string): Idiom | undefined {
  const first = tokens[at];
  if (!isName(first)) return undefined;
  let i = at + 1;
  for (;;) {
    const t = tokens[i];
    if (!t || t.start !== tokens[i - 1]!.end) break;
    if (t.kind === 'punct' && text.slice(t.start, t.end) === '.') {
      i += 2;
      continue;
    }
    if (t.kind === 'open' && text[t.start] === '[') {
      const closing = tokens.findIndex((c, k) => k > i && c.kind === 'close' && c.depth === t.depth);
      if (closing < 0) break;
      i = closing + 1;
      continue;
    }
    break;
  }
  return { first, nested: i > at + 1, next: i };
}

/** After `DEFINE <KIND>` (or `REBUILD`, `REMOVE`): the index past `OVERWRITE`, `IF NOT EXISTS` or `IF EXISTS`. */
export function afterDefineModifiers(tokens: readonly ShapeToken[], at: number): number {
  if (tokens[at]?.upper === 'OVERWRITE') return at + 1;
  if (tokens[at]?.upper !== 'IF') return at;
  if (tokens[at + 1]?.upper === 'NOT' && tokens[at + 2]?.upper === 'EXISTS') return at + 3;
  return tokens[at + 1]?.upper === 'EXISTS' ? at + 2 : at;
}

/** The table after `ON [TABLE]` from `at`; its index and name. */
export function onTable(tokens: readonly ShapeToken[], from: number): { index: number; name: string } | undefined {
  const on = tokens.findIndex((t, k) => k >= from && t.depth === 0 && t.upper === 'ON');
  if (on < 0) return undefined;
  const at = tokens[on + 1]?.upper === 'TABLE' && isName(tokens[on + 2]) ? on + 2 : on + 1;
  const table = tokens[at];
  return isName(table) ? { index: at, name: table.text } : undefined;
}
