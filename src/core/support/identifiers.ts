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
