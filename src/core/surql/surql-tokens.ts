/**
 * Reading tokens of a SurrealQL script: whether a word is a name rather than a keyword, whether a
 * token is a `.`, and an offset's line and column.
 */
import { isSurqlWhitespace, isWordChar, type SurqlToken } from './surql-lexer.js';

export function isDot(source: string, token: SurqlToken): boolean {
  return token.kind === 'punct' && source.charCodeAt(token.start) === 46;
}

/** A parameter's name: a word, or an escaped identifier. */
export function isNameStart(c: number): boolean {
  return isWordChar(c) || c === 96 || c === 0x27e8;
}

/**
 * A word that is a name, not a keyword: after `.`, `::`, `->` or `<-`, or followed by `:` (a record
 * id, an object key) or `::` (a function path).
 */
export function isName(source: string, prev: SurqlToken | undefined, after: number, statementStart: boolean): boolean {
  if (prev?.kind === 'punct') {
    const p = source.slice(prev.start, prev.end);
    if (p === '.' || p === '::') return true;
    if (p === '>' && source.charCodeAt(prev.start - 1) === 45) return true; // `->`
    if (p === '-' && source.charCodeAt(prev.start - 1) === 60) return true; // `<-`
  }
  let i = after;
  while (i < source.length && isSurqlWhitespace(source.charCodeAt(i))) i++;
  if (source.charCodeAt(i) !== 58) return false;
  // `fn::x`, `type::is_string`: a function path, whatever the first word is.
  return !statementStart || source.charCodeAt(i + 1) === 58;
}

/** Line and column of an offset; lines end at `\n` only, as SurrealDB's positions count them. */
export function locator(source: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (!starts) {
      starts = [0];
      for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}
