/**
 * SurrealDB 3.0 stores a field's name as text and parses it again each time it reads the table's
 * definitions. A name that its parser takes for a keyword (`select`, `true`, …) then fails that
 * parse: once such a field exists, every statement about its table fails with "A user generated
 * conversion error occured: Conversion(SyntaxError …)" (INFO FOR TABLE, DEFINE FIELD, CREATE, even
 * REMOVE FIELD), and a view's such field fails INFO FOR DB too. SurrealDB 2 reads them back fine.
 *
 * The names were measured on the engine (see test/integration/v3-keyword-names.spec.ts, which
 * checks them against it again): every word of SurrealDB's keyword table, in each position where a
 * name is stored, in either case. No spelling avoids it: the stored text is the name itself.
 */
import { afterDefineModifiers, isName, onTable, readIdiom, shapeTokens, type ShapeToken } from './surql-shapes.js';
import type { SurqlStatement } from './surql-splitter.js';

/** Measured on SurrealDB 3.0.2; matched case-insensitively. */
export const V3_UNREADABLE_NAMES = {
  /** A name of one part (`` `select` ``): a field, an index's field, a view's alias. */
  alone: [
    'alter',
    'break',
    'continue',
    'create',
    'define',
    'delete',
    'explain',
    'false',
    'for',
    'function',
    'if',
    'info',
    'insert',
    'let',
    'none',
    'null',
    'rebuild',
    'relate',
    'remove',
    'return',
    'select',
    'sleep',
    'throw',
    'true',
    'update',
    'upsert',
  ],
  /** The first part of a longer path (`` `select`.a ``, `` `select`[*] ``). Later parts are fine. */
  first: [
    'alter',
    'create',
    'define',
    'delete',
    'explain',
    'for',
    'function',
    'if',
    'info',
    'insert',
    'let',
    'rebuild',
    'relate',
    'remove',
    'return',
    'select',
    'sleep',
    'throw',
    'update',
    'upsert',
  ],
  /** A view's `GROUP BY` field. */
  groupBy: [
    'alter',
    'break',
    'continue',
    'create',
    'define',
    'delete',
    'false',
    'for',
    'function',
    'if',
    'info',
    'insert',
    'let',
    'none',
    'null',
    'rebuild',
    'relate',
    'remove',
    'return',
    'select',
    'sleep',
    'throw',
    'true',
    'update',
    'upsert',
  ],
} as const;

const SETS = {
  alone: new Set<string>(V3_UNREADABLE_NAMES.alone),
  first: new Set<string>(V3_UNREADABLE_NAMES.first),
  groupBy: new Set<string>(V3_UNREADABLE_NAMES.groupBy),
};

/** A name SurrealDB 3 cannot read back, where a statement stores it. */
export interface UnreadableName {
  /** The table whose definitions break (a view's own, for a view). */
  table: string;
  /** The name (`select`), or the path as written (`` `select`.a ``). */
  field: string;
  where: 'field' | 'index' | 'view';
  /** 1-based, in the script. */
  line: number;
  column: number;
  statement: string;
}

/** Every name in `statements` that SurrealDB 3 could not read back. */
export function unreadableNames(statements: readonly SurqlStatement[]): UnreadableName[] {
  const found: UnreadableName[] = [];
  for (const statement of statements) {
    if (statement.keyword !== 'DEFINE' || !/`|⟨|\bAS\b/i.test(statement.text)) continue;
    const tokens = shapeTokens(statement.text);
    const at = (token: ShapeToken, table: string, field: string, where: UnreadableName['where']) => {
      const before = statement.text.slice(0, token.start).split('\n');
      found.push({
        table,
        field,
        where,
        line: statement.line + before.length - 1,
        column: before.length === 1 ? statement.column + token.start : before.at(-1)!.length + 1,
        statement: statement.text,
      });
    };
    const check = (i: number, table: string, where: UnreadableName['where'], set: 'alone' | 'groupBy' = 'alone') => {
      const idiom = readIdiom(tokens, i, statement.text);
      if (!idiom) return undefined;
      const name = idiom.first.text.toLowerCase();
      if (idiom.nested ? SETS.first.has(name) : SETS[set].has(name)) {
        const path = idiom.nested
          ? statement.text.slice(idiom.first.start, tokens[idiom.next - 1]!.end)
          : idiom.first.text;
        at(idiom.first, table, path, where);
      }
      return idiom.next;
    };
    const kind = tokens[1]?.upper;
    const start = afterDefineModifiers(tokens, 2);
    if (kind === 'FIELD') {
      const table = onTable(tokens, start);
      if (table) check(start, table.name, 'field');
    } else if (kind === 'INDEX') {
      const table = onTable(tokens, start);
      const fields = tokens.findIndex(
        (t, k) => k > (table?.index ?? 0) && t.depth === 0 && /^(FIELDS|COLUMNS)$/.test(t.upper),
      );
      if (!table || fields < 0) continue;
      for (let i = fields + 1; i !== undefined && i < tokens.length;) {
        const next = check(i, table.name, 'index');
        if (next === undefined || tokens[next]?.text !== ',') break;
        i = next + 1;
      }
    } else if (kind === 'TABLE' && isName(tokens[start])) {
      viewNames(tokens, start, (i, set) => check(i, tokens[start]!.text, 'view', set));
    }
  }
  return found;
}

/** In `DEFINE TABLE v … AS SELECT …`: each projection's alias, and each GROUP BY field. */
function viewNames(
  tokens: readonly ShapeToken[],
  from: number,
  check: (i: number, set: 'alone' | 'groupBy') => number | undefined,
): void {
  const select = tokens.findIndex((t, k) => k > from && t.upper === 'SELECT' && tokens[k - 1]?.upper === 'AS');
  if (select < 0) return;
  const depth = tokens[select]!.depth;
  let projections = true;
  for (let i = select + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.depth < depth) return;
    if (t.depth !== depth) continue;
    if (t.upper === 'FROM') projections = false;
    else if (projections && t.upper === 'AS') check(i + 1, 'alone');
    else if (!projections && t.upper === 'GROUP') {
      let k = tokens[i + 1]?.upper === 'BY' ? i + 2 : i + 1;
      while (k < tokens.length) {
        const next = check(k, 'groupBy');
        if (next === undefined || tokens[next]?.text !== ',') break;
        k = next + 1;
      }
    }
  }
}

/** The one sentence that says what SurrealDB 3 does with `name`, and what to do. */
export function unreadableNameReason(name: Pick<UnreadableName, 'table' | 'field' | 'where'>): string {
  const field = name.field.includes('`') ? name.field : `\`${name.field}\``;
  const what =
    name.where === 'field'
      ? `field ${field} on table \`${name.table}\``
      : name.where === 'index'
        ? `the index field ${field} on table \`${name.table}\``
        : `the field ${field} of view \`${name.table}\``;
  return (
    `SurrealDB 3 cannot read back ${what}, whose name is a SurrealQL keyword: once it is defined, every ` +
    `statement about \`${name.table}\`${name.where === 'view' ? ' (and INFO FOR DB)' : ''} fails with a ` +
    '"Conversion(SyntaxError" error (SurrealDB 2 is not affected)'
  );
}

export const UNREADABLE_NAME_HINT =
  'Rename it (`select_`, `selected`): no spelling of the keyword avoids the limit, since SurrealDB 3 parses the ' +
  'stored name. A SCHEMALESS table, or an object field defined FLEXIBLE, can still hold the key in its data ' +
  'without defining it as a field.';

/** SurrealDB 3's raw error for a definition it cannot read back. */
export function isUnreadableNameError(message: string): boolean {
  return /conversion error occured: Conversion\((?:"SyntaxError|"Expected an idiom)/.test(message);
}

/**
 * The raw conversion error said in one sentence: the table (from the statement that met it, or
 * given), the field (from `known`, the definitions a folder makes, when one is on that table),
 * and the limit. The raw message names neither.
 */
export function explainUnreadableName(table: string | undefined, known: readonly UnreadableName[]): string {
  const match = known.find((k) => table === undefined || k.table === table);
  if (match) return `${unreadableNameReason(match)}; rename the field and recreate the table`;
  return (
    `SurrealDB 3 cannot read back the definitions of ${table ? `table \`${table}\`` : 'a table of this database'}: ` +
    'one of its fields (or index fields, or a view’s) is named after a SurrealQL keyword such as `select`, which ' +
    'SurrealDB 3 parses as a statement (SurrealDB 2 is not affected); remove the table, or rename the field on ' +
    'SurrealDB 2, and define it again'
  );
}

/** The table a statement is about: `ON t`, `INFO FOR TABLE t`, `CREATE t`, `UPDATE t:1`, `FROM t`. */
export function statementTable(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const tokens = shapeTokens(text);
  const on = onTable(tokens, 0);
  if (on) return on.name;
  const verbs = new Set(['CREATE', 'UPDATE', 'UPSERT', 'DELETE', 'INSERT', 'TABLE', 'FROM', 'INTO']);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!verbs.has(t.upper)) continue;
    let k = i + 1;
    while (/^(ONLY|OVERWRITE|IF|NOT|EXISTS)$/.test(tokens[k]?.upper ?? '')) k++;
    if (isName(tokens[k])) return tokens[k]!.text;
  }
  return undefined;
}
