/**
 * Names written into SurrealQL: the one identifier quoter.
 */

/**
 * An identifier as SurrealQL writes it in backticks (a backtick or backslash in it escaped), so
 * that any name, also one that is a keyword (`select`, `none`), names what it names.
 * @internal
 */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/[\\`]/g, '\\$&')}\``;
}

/** A name's segment (of `fn::a::b`, a `$param`, a table): bare when it is a plain word, else escaped. */
export function escapeSegment(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}
