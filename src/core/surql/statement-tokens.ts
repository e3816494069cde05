/**
 * A statement's tokens, each with its bracket depth: what the readers of statements
 * (data-loss.ts, definition-changes.ts) walk. Read with SurrealDB's own lexical rules
 * (surql-lexer.ts).
 */
import { SurqlLexer, identifierText, type SurqlToken } from './surql-lexer.js';

export interface StatementToken {
  token: SurqlToken;
  /** The token's source text; an escaped identifier's name unescaped. */
  text: string;
  /** A word's text upper-cased; '' for any other token. */
  upper: string;
  /** Brackets open before it (a closing bracket is at the depth of its opening one). */
  depth: number;
}

/** The tokens of `text`, in order. */
export function statementTokens(text: string): StatementToken[] {
  const lexer = new SurqlLexer(text);
  const result: StatementToken[] = [];
  let depth = 0;
  let token = lexer.next(true);
  while (token) {
    const raw = text.slice(token.start, token.end);
    if (token.kind === 'close') depth = Math.max(0, depth - 1);
    const upper = token.kind === 'word' ? raw.toUpperCase() : '';
    result.push({ token, text: token.kind === 'ident' ? identifierText(text, token) : raw, upper, depth });
    if (token.kind === 'open') depth++;
    const value = ['word', 'number', 'string', 'ident', 'close'].includes(token.kind);
    token = lexer.next(!value);
  }
  return result;
}
