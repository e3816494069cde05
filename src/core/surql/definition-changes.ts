/**
 * The definitions a script changes that can make rows already there invalid (issue 22, item 1):
 * a field's `TYPE`, `ASSERT` and `REFERENCE` (`DEFINE FIELD`), a field removed (`REMOVE FIELD`),
 * and a table's `SCHEMAFULL` (`DEFINE TABLE`, `ALTER TABLE`). Read on SurrealDB's own lexical rules
 * (surql-lexer.ts), statement by statement, at the top level of the script: a definition inside a
 * block or a function body is not listed. `ALTER FIELD` is listed as a change whose rules are not
 * read here (`kind: 'altered'`), so that its table is not taken as unchanged.
 */
import { shapeTokens, type ShapeToken as Token } from './surql-shapes.js';
import { surqlStatements } from './surql-splitter.js';

/** Where a change is written: its statement's index among the non-empty ones, and its line and column. */
interface Place {
  statement: number;
  line: number;
  column: number;
}

/** `DEFINE FIELD`: the rules it sets, as written (the kind after TYPE, the expression after ASSERT). */
export interface FieldDefinition extends Place {
  kind: 'field';
  table: string;
  /** The field as written (`a.b`, `tags[*]`, `a.*.b`), identifiers unescaped. */
  field: string;
  /** The field's path as an idiom that reads its value from a row (escapes kept). */
  idiom: string;
  type: string | undefined;
  assert: string | undefined;
  reference: boolean;
  /** `READONLY`: the engine does not judge the field again when a row is updated. */
  readonly: boolean;
  /** The expression after `DEFAULT ALWAYS`: what a NONE (or NULL) becomes on every write. */
  defaultAlways: string | undefined;
  /** A plain `DEFAULT` (not `DEFAULT ALWAYS`): what a missing field becomes when a record is created. */
  default: boolean;
  /** A `VALUE` or `COMPUTED` clause: what the field holds is computed on every write (or read). */
  computed: boolean;
  /** `COMPUTED` (SurrealDB 3): computed on every read, never stored; a value written to it is ignored. */
  computedOnRead: boolean;
  /** `FLEXIBLE`: an object field that keeps keys no field defines, even in a SCHEMAFULL table. */
  flexible: boolean;
  /** `IF NOT EXISTS`: it changes nothing where the field is already defined. */
  ifNotExists: boolean;
}

/** `REMOVE FIELD`. */
export interface FieldRemoval extends Place {
  kind: 'remove-field';
  table: string;
  field: string;
  idiom: string;
}

/** `DEFINE TABLE` or `ALTER TABLE`, with whether it makes the table SCHEMAFULL. */
export interface TableDefinition extends Place {
  kind: 'table';
  table: string;
  schemafull: boolean;
  /** `TYPE RELATION`: its records are edges, with `in` and `out`. */
  relation: boolean;
  /** `AS SELECT …`: a view, its records computed from other tables'. */
  view: boolean;
  /** `IF NOT EXISTS`: it changes nothing where the table is already defined. */
  ifNotExists: boolean;
}

/** `ALTER FIELD`: a change of a field whose rules are not read here. */
export interface FieldAlteration extends Place {
  kind: 'altered';
  table: string;
  field: string;
}

export type DefinitionChange = FieldDefinition | FieldRemoval | TableDefinition | FieldAlteration;

/** The clause keywords of `DEFINE FIELD` after its table. */
const FIELD_CLAUSES = new Set([
  'TYPE',
  'FLEXIBLE',
  'DEFAULT',
  'VALUE',
  'ASSERT',
  'READONLY',
  'PERMISSIONS',
  'COMMENT',
  'REFERENCE',
  'COMPUTED',
]);

/** The definition changes of `script`, in source order. */
export function definitionChanges(script: string): DefinitionChange[] {
  const found: DefinitionChange[] = [];
  surqlStatements(script)
    .filter((s) => !s.empty)
    .forEach((statement, index) => {
      const keyword = statement.keyword;
      if (keyword !== 'DEFINE' && keyword !== 'REMOVE' && keyword !== 'ALTER') return;
      const all = shapeTokens(statement.text);
      const what = all[1]?.upper;
      const place = { statement: index, line: statement.line, column: statement.column };
      let at = 2;
      const ifNotExists = all[at]?.upper === 'IF' && all[at + 1]?.upper === 'NOT' && all[at + 2]?.upper === 'EXISTS';
      if (all[at]?.upper === 'OVERWRITE') at++;
      else if (ifNotExists) at += 3;
      else if (all[at]?.upper === 'IF' && all[at + 1]?.upper === 'EXISTS') at += 2;
      if (what === 'TABLE') {
        const name = nameAt(all, at);
        if (name === undefined || keyword === 'REMOVE') return;
        const top = all.slice(at + 1).filter((t) => t.depth === 0);
        const schemafull = top.some((t) => t.upper === 'SCHEMAFULL');
        // ALTER TABLE … SCHEMALESS (or without either word) changes nothing rows are judged by.
        if (keyword === 'ALTER' && !schemafull) return;
        const relation = top.some((t, i) => t.upper === 'TYPE' && top[i + 1]?.upper === 'RELATION');
        const view = top.some((t, i) => t.upper === 'AS' && top[i + 1]?.upper === 'SELECT');
        found.push({ kind: 'table', table: name, schemafull, relation, view, ifNotExists, ...place });
        return;
      }
      if (what !== 'FIELD') return;
      const on = all.findIndex((t, i) => i >= at && t.depth === 0 && t.upper === 'ON');
      if (on <= at) return;
      const tableAt = all[on + 1]?.upper === 'TABLE' ? on + 2 : on + 1;
      const table = nameAt(all, tableAt);
      if (table === undefined) return;
      const pathTokens = all.slice(at, on);
      const field = pathTokens.map((t) => t.text).join('');
      const idiom = statement.text.slice(pathTokens[0]!.start, pathTokens.at(-1)!.end);
      if (keyword === 'REMOVE') found.push({ kind: 'remove-field', table, field, idiom, ...place });
      else if (keyword === 'ALTER') found.push({ kind: 'altered', table, field, ...place });
      else {
        const clauses = clausesOf(statement.text, all, tableAt + 1);
        const always = /^ALWAYS\s/i.test(clauses.get('DEFAULT') ?? '');
        found.push({
          kind: 'field',
          table,
          field,
          idiom,
          type: clauses.get('TYPE'),
          assert: clauses.get('ASSERT'),
          reference: clauses.has('REFERENCE'),
          readonly: clauses.has('READONLY'),
          computed: clauses.has('VALUE') || clauses.has('COMPUTED'),
          computedOnRead: clauses.has('COMPUTED'),
          flexible: clauses.has('FLEXIBLE'),
          default: clauses.has('DEFAULT') && !always,
          defaultAlways: always ? clauses.get('DEFAULT')!.replace(/^ALWAYS\s+/i, '') : undefined,
          ifNotExists,
          ...place,
        });
      }
    });
  return found;
}

/** The clauses of a `DEFINE FIELD` from `from` on: each keyword with its text, up to the next one. */
function clausesOf(text: string, all: readonly Token[], from: number): Map<string, string> {
  const clauses = new Map<string, string>();
  let current: { keyword: string; start: number; end: number } | undefined;
  const close = () => {
    if (current) clauses.set(current.keyword, text.slice(current.start, current.end).trim());
  };
  for (let i = from; i < all.length; i++) {
    const t = all[i]!;
    const param = all[i - 1]?.text === '$';
    if (t.depth === 0 && FIELD_CLAUSES.has(t.upper) && !param) {
      close();
      current = { keyword: t.upper, start: t.end, end: t.end };
      continue;
    }
    if (current) current.end = t.end;
  }
  close();
  return clauses;
}

/** A plain or escaped name at `at`, unescaped; undefined when there is none. */
function nameAt(all: readonly Token[], at: number): string | undefined {
  const t = all[at];
  return t && (t.kind === 'word' || t.kind === 'ident') ? t.text : undefined;
}
