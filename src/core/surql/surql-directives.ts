/** Directives in a script's leading comments (`-- migrate:no-transaction`). */
import { endOfBlockComment, endOfLineComment, isSurqlWhitespace, lineCommentMarker } from './surql-lexer.js';

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
    if (isSurqlWhitespace(c) || c === 0xfeff) {
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
    if (c === 47 && source.charCodeAt(i + 1) === 42) {
      i = endOfBlockComment(source, i + 2);
      continue;
    }
    return false;
  }
  return false;
}
