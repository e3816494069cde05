/**
 * Names in a schema, written as SurrealQL must read them. Where the server writes a name into its
 * own definition (`DEFINE TABLE \`my-table\` …`, `DEFINE PARAM $\`feature-flags\` …`,
 * `DEFINE FIELD \`x y\`.*.\`z-w\` ON …`), that writing is taken as it is: the server escapes what
 * its parser would not read bare (odd characters, a leading digit, its keywords, which differ from
 * one version to the next). A function's name is the exception: SurrealDB 2 writes its segments
 * bare even where they need escaping (`fn::a-b::c`), so it is rebuilt from its segments.
 */
import { escapeSegment, quoteIdent } from '../support/identifiers.js';
import { functionName } from '../shadow/readable-names.js';
import { SurqlLexer, type SurqlToken } from '../surql/surql-lexer.js';
import type { SchemaObject } from '../shadow/shadow.js';

/** A definition's tokens, with their text. */
export function definitionTokens(definition: string): { token: SurqlToken; text: string }[] {
  const lexer = new SurqlLexer(definition);
  const tokens: { token: SurqlToken; text: string }[] = [];
  for (let token = lexer.next(false); token; token = lexer.next(false)) {
    tokens.push({ token, text: definition.slice(token.start, token.end) });
  }
  return tokens;
}

/**
 * The name a definition gives its object and the table it is `ON`, both as the server wrote
 * them: `DEFINE FIELD \`a-b\`.c ON \`my-table\` …` → `\`a-b\`.c` and `` `my-table` ``.
 */
export function definitionHead(definition: string): { name: string; on: string | undefined } {
  const tokens = definitionTokens(definition);
  let i = 2; // DEFINE <KIND>
  const word = (at: number, w: string) => tokens[at]?.token.kind === 'word' && tokens[at]!.text.toUpperCase() === w;
  if (word(i, 'OVERWRITE')) i++;
  else if (word(i, 'IF') && word(i + 1, 'NOT') && word(i + 2, 'EXISTS')) i += 3;
  const start = tokens[i];
  if (!start) return { name: '', on: undefined };
  // The name runs to `ON` (a field's idiom has several tokens), `(` (a function's arguments) or
  // the first clause keyword; a param's is `$` and the token glued to it.
  let end = i + 1;
  if (start.text === '$') end = i + 2;
  else if (start.text === 'ml') {
    // ml::name<1.0.0>
    while (end < tokens.length && tokens[end - 1]!.text !== '>') end++;
  } else if (start.text === 'fn' || /^DEFINE\s+FIELD\b/i.test(definition)) {
    while (end < tokens.length && !word(end, 'ON') && tokens[end]!.text !== '(') end++;
  }
  const last = tokens[end - 1] ?? start;
  const name = definition.slice(start.token.start, last.token.end);
  let on: string | undefined;
  if (word(end, 'ON')) {
    const table = word(end + 1, 'TABLE') ? end + 2 : end + 1;
    const t = tokens[table];
    if (t && t.text.toUpperCase() !== 'DATABASE' && t.text.toUpperCase() !== 'NAMESPACE') on = t.text;
  }
  return { name, on };
}

/** `REMOVE <KIND> IF EXISTS <name> [ON <table> | ON DATABASE]`, every name escaped as the server writes it. */
export function removeStatement(o: Pick<SchemaObject, 'kind' | 'table' | 'name' | 'definition'>): string {
  const head = definitionHead(o.definition);
  const name = o.kind === 'function' ? functionName(o.name) : head.name || escapeSegment(o.name);
  const table = o.table === undefined ? undefined : (head.on ?? quoteIdent(o.table));
  const on = table !== undefined ? ` ON ${table}` : o.kind === 'user' || o.kind === 'access' ? ' ON DATABASE' : '';
  return `REMOVE ${o.kind.toUpperCase()} IF EXISTS ${name}${on}`;
}
