/**
 * Statements that delete data wholesale (issue 22, item 2): `REMOVE TABLE`, a `DELETE` of a whole
 * table (no `WHERE`, any spelling: `DELETE t`, `DELETE FROM t`, `DELETE ONLY t RETURN NONE`,
 * `DELETE a, b`), `REMOVE DATABASE` and `REMOVE NAMESPACE`. Found on SurrealDB's own lexical rules
 * (surql-lexer.ts), at the top level of a script and inside its blocks (`IF … { DELETE t }`).
 *
 * A `DELETE` of records (`t:1`, `t:1..9`), of a parameter or of a computed target (`$t`,
 * `type::table($x)`) is not a table-wide loss as written, and is not listed: what it deletes is
 * known only when it runs.
 */
import { shapeTokens, type ShapeToken as Token } from './surql-shapes.js';
import { surqlStatements } from './surql-splitter.js';

/** A statement that deletes data wholesale. */
export interface DataLossStatement {
  kind: 'remove-table' | 'delete-table' | 'remove-database' | 'remove-namespace';
  /** The table, database or namespace, as the server reads the name. */
  name: string;
  /** Index of the top-level statement that holds it, among the script's non-empty statements. */
  statement: number;
  /** 1-based line and column of its keyword. */
  line: number;
  column: number;
}

/** Clause words that end a DELETE's targets (END and ELSE: inside `IF … THEN … END`). */
const DELETE_CLAUSES = new Set(['WHERE', 'RETURN', 'TIMEOUT', 'PARALLEL', 'EXPLAIN', 'WITH', 'END', 'ELSE']);

/** The data-loss statements of `script`, in source order. */
export function dataLossStatements(script: string): DataLossStatement[] {
  const found: DataLossStatement[] = [];
  surqlStatements(script)
    .filter((s) => !s.empty)
    .forEach((statement, index) => {
      // A definition's bodies (an event's, a function's) run later, not when the script runs.
      if (statement.keyword === 'DEFINE' || statement.keyword === 'ALTER') return;
      const all = shapeTokens(statement.text);
      for (let i = 0; i < all.length; i++) {
        if (!startsStatement(all, i)) continue;
        const where = (t: Token) => place(statement.text, t.start, statement.line, statement.column);
        if (all[i]!.upper === 'REMOVE') {
          const loss = removal(all, i);
          if (loss) found.push({ ...loss, statement: index, ...where(all[i]!) });
        } else if (all[i]!.upper === 'DELETE') {
          for (const name of deletedTables(all, i)) {
            found.push({ kind: 'delete-table', name, statement: index, ...where(all[i]!) });
          }
        }
      }
    });
  return found;
}

/**
 * Whether the token at `i` starts a statement: the script's first, after `;`, `{` or `(`, THEN or
 * ELSE, and where a statement is a value (`LET $x = DELETE t`, `RETURN DELETE t`).
 */
function startsStatement(all: readonly Token[], i: number): boolean {
  const before = all[i - 1];
  if (!before) return true;
  if (before.kind === 'semi') return true;
  if (before.kind === 'open') return before.text === '{' || before.text === '(';
  if (before.kind === 'punct') return before.text === '=';
  return before.upper === 'THEN' || before.upper === 'ELSE' || before.upper === 'RETURN';
}

/** `REMOVE TABLE | DATABASE | DB | NAMESPACE | NS [IF EXISTS] <name>`. */
function removal(all: readonly Token[], i: number): Pick<DataLossStatement, 'kind' | 'name'> | undefined {
  const what = all[i + 1]?.upper;
  const kind =
    what === 'TABLE'
      ? 'remove-table'
      : what === 'DATABASE' || what === 'DB'
        ? 'remove-database'
        : what === 'NAMESPACE' || what === 'NS'
          ? 'remove-namespace'
          : undefined;
  if (!kind) return undefined;
  let at = i + 2;
  if (all[at]?.upper === 'IF' && all[at + 1]?.upper === 'EXISTS') at += 2;
  const name = all[at];
  if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return undefined;
  return { kind, name: name.text };
}

/** The tables a `DELETE` at `i` empties: none when it has a WHERE; only targets that are plain table names. */
function deletedTables(all: readonly Token[], i: number): string[] {
  const depth = all[i]!.depth;
  let at = i + 1;
  while (all[at]?.upper === 'FROM' || all[at]?.upper === 'ONLY') at++;
  const targets: Token[][] = [[]];
  for (; at < all.length; at++) {
    const t = all[at]!;
    if (t.depth < depth || (t.depth === depth && t.kind === 'semi')) break;
    if (t.depth === depth && DELETE_CLAUSES.has(t.upper)) {
      if (t.upper === 'WHERE') return [];
      break;
    }
    if (t.depth === depth && t.text === ',') targets.push([]);
    else targets.at(-1)!.push(t);
  }
  // A plain table name, or its whole range of records (`t:..`).
  const isName = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'ident');
  return targets
    .filter(([name, ...rest]) => isName(name) && (rest.length === 0 || rest.map((t) => t.text).join('') === ':..'))
    .map(([name]) => name!.text);
}

/** The line and column of `offset` in a statement that starts at `line`, `column`. */
function place(text: string, offset: number, line: number, column: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lines = before.split('\n');
  return lines.length === 1
    ? { line, column: column + offset }
    : { line: line + lines.length - 1, column: lines.at(-1)!.length + 1 };
}
