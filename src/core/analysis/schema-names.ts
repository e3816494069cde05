/**
 * Names in a schema, written as SurrealQL must read them. Where the server writes a name into its
 * own definition (`DEFINE TABLE \`my-table\` …`, `DEFINE PARAM $\`feature-flags\` …`,
 * `DEFINE FIELD \`x y\`.*.\`z-w\` ON …`), that writing is taken as it is: the server escapes what
 * its parser would not read bare (odd characters, a leading digit, its keywords, which differ from
 * one version to the next). A function's name is the exception: SurrealDB 2 writes its segments
 * bare even where they need escaping (`fn::a-b::c`), so it is rebuilt from its segments.
 */
import { quoteIdent } from '../db/embedded-engine.js';
import { SurqlLexer, type SurqlToken } from '../surql/surql-lexer.js';
import type { SchemaObject } from '../shadow/shadow.js';

/** A segment of a function's name: bare when it is a plain word, else escaped. */
export function escapeSegment(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}

/** `fn::a::b` from the name `a::b` that `INFO` lists, each segment escaped as needed. */
export function functionName(name: string): string {
  return `fn::${name.split('::').map(escapeSegment).join('::')}`;
}

/**
 * A definition with its references to the schema's functions and params escaped. SurrealDB 2
 * writes them bare, even where they need escaping: `DEFINE FUNCTION fn::a-b::c(`, `THEN
 * fn::ünï('x')`, `WHEN $feature-flags`, and an analyzer's `FUNCTION fn::\`a::b\`` as one segment,
 * none of which any version parses back. Text in quotes is left alone; SurrealDB 3's escaped
 * writing is left as it is.
 */
export function readableDefinition(
  definition: string,
  names: { functions: readonly string[]; params: readonly string[] },
): string {
  const functions = names.functions.filter((n) => functionName(n) !== `fn::${n}`).sort((a, b) => b.length - a.length);
  const params = names.params.filter((n) => escapeSegment(n) !== n).sort((a, b) => b.length - a.length);
  if (functions.length === 0 && params.length === 0) return definition;
  let out = '';
  let i = 0;
  const ends = (at: number) => at >= definition.length || !/[A-Za-z0-9_]/.test(definition[at]!);
  while (i < definition.length) {
    const c = definition[i]!;
    // Strings, and names already escaped (`…`, ⟨…⟩), are copied as written.
    const close = c === "'" || c === '"' || c === '`' ? c : c === '⟨' ? '⟩' : undefined;
    if (close !== undefined) {
      let j = i + 1;
      while (j < definition.length && definition[j] !== close) j += definition[j] === '\\' ? 2 : 1;
      out += definition.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (definition.startsWith('fn::', i)) {
      const rest = i + 4;
      const bare = functions.find((n) => definition.startsWith(n, rest) && ends(rest + n.length));
      const quoted = functions.find((n) => definition.startsWith(quoteIdent(n), rest));
      const found = bare ?? quoted;
      if (found !== undefined) {
        out += functionName(found);
        i = rest + (bare !== undefined ? found.length : quoteIdent(found).length);
        continue;
      }
    }
    if (c === '$') {
      // Escaped as SurrealDB 3 writes it, or bare as SurrealDB 2 does (`$\`` is both, for a param
      // named with one backtick: the escaped writing is tried first).
      const escaped = params.find((n) => definition.startsWith(quoteIdent(n), i + 1));
      const found = escaped ?? params.find((n) => definition.startsWith(n, i + 1) && ends(i + 1 + n.length));
      if (found !== undefined) {
        out += `$${quoteIdent(found)}`;
        i += 1 + (escaped !== undefined ? quoteIdent(found).length : found.length);
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

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
