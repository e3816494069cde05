/**
 * Names as SurrealQL must read them, where the server wrote them otherwise: SurrealDB 2 writes
 * references to functions and params bare even where they need escaping, so the schema a shadow
 * reads is made readable here before anything compares or restates it.
 */
import { escapeSegment, quoteIdent } from '../support/identifiers.js';

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
      // The escaped writings are tried before the bare one, as for params: a name that starts
      // with a backtick is a prefix of its own escaped writing (both engines can define the
      // function `, SurrealDB 3 writes it fn::`\``, and so does SurrealDB 2's analyzer), and read
      // bare there it would be escaped a second time, into fn::`\``\`` which no version parses.
      // The escaped writings: SurrealDB 3's, segment by segment as functionName writes them
      // (copied as they are), and SurrealDB 2's analyzer's, the whole name in one pair of
      // backticks. A SurrealDB 2 bare writing that is also another function's escaped writing
      // (functions named ` and `\``) cannot be told apart in the text; it is read as escaped.
      const rest = i + 4;
      const v3 = functions.map(functionName).find((w) => definition.startsWith(w, i));
      if (v3 !== undefined) {
        out += v3;
        i += v3.length;
        continue;
      }
      const quoted = functions.find((n) => definition.startsWith(quoteIdent(n), rest));
      const found = quoted ?? functions.find((n) => definition.startsWith(n, rest) && ends(rest + n.length));
      if (found !== undefined) {
        out += functionName(found);
        i = rest + (quoted !== undefined ? quoteIdent(found).length : found.length);
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
