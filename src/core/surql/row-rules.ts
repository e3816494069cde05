/**
 * The rules a run's new or changed definitions set that rows already there may break (issue 22,
 * item 1), each as a SurrealQL condition over a row that is true when the engine would refuse the
 * row's next write: a field's `TYPE` (kind-predicate.ts), its `ASSERT`, its `REFERENCE`, a field
 * removed from a SCHEMAFULL table that rows still hold, and a table made SCHEMAFULL over rows with
 * fields it does not declare. Each script's rules are judged right after it. Pure: what the
 * database holds before the run comes in as `before` (row-check.ts reads it).
 */
import { definitionChanges, type DefinitionChange, type TableDefinition } from './definition-changes.js';
import { kindAccepts } from './kind-predicate.js';
import { shapeTokens } from './surql-shapes.js';
import type { InvalidRowsEntry } from '../support/data-errors.js';

/** One script of the run, in order. */
export interface RunScript {
  /** The file, as discovered, for messages. */
  file: string;
  text: string;
  /** The file allows rows its definitions refuse (`-- migrate:allow-invalid-rows`). */
  allowed: boolean;
}

/** One rule and where it is written: what an `InvalidRowsEntry` names, without its rows. */
export interface RowRule extends Omit<InvalidRowsEntry, 'rows' | 'ids'> {
  /** The index of the script that sets it, in the run: it is judged right after that script. */
  script: number;
  /**
   * A SurrealQL condition over a row of `table`, true when the row is refused. It may read
   * `$__sbl_tables`, the names of the tables that exist (see {@link TABLES_PARAM}).
   */
  refused: string;
}

/** The parameter a REFERENCE rule reads the existing tables from: the caller sets it before judging. */
export const TABLES_PARAM = '$__sbl_tables';

/** A changed definition the check cannot judge (its kind is not understood, an `ALTER FIELD`, a `VALUE`). */
export interface UncheckedRule {
  file: string;
  line: number;
  table: string;
  field: string;
  rule: string;
}

/** What the database holds before the run, for the tables the run changes. */
export interface TablesBefore {
  /** Whether the table is SCHEMAFULL before the run (undefined: not defined). */
  schemafull(table: string): boolean | undefined;
  /** The names of the fields the table defines before the run. */
  fields(table: string): readonly string[];
}

/** The run's rules, each with the script after which it is judged, and what it cannot judge. */
export interface RunRules {
  rules: RowRule[];
  unchecked: UncheckedRule[];
}

/** A table as the run has left it so far. */
interface TableState {
  /** undefined: not defined. */
  schemafull: boolean | undefined;
  fields: Set<string>;
}

/**
 * The rules of a run of `scripts` (in order) over a database that held `before`, on SurrealDB
 * `major`. Each migration commits on its own, so each script's rules are judged right after it
 * (its own data fixes count, a later migration's cannot): the last definition of a field within
 * the script, against the tables as the run has left them by then.
 */
export function runRules(scripts: readonly RunScript[], major: 2 | 3, before: TablesBefore): RunRules {
  const rules: RowRule[] = [];
  const unchecked: UncheckedRule[] = [];
  const tables = new Map<string, TableState>();
  const stateOf = (table: string): TableState => {
    let state = tables.get(table);
    if (!state)
      tables.set(table, (state = { schemafull: before.schemafull(table), fields: new Set(before.fields(table)) }));
    return state;
  };
  scripts.forEach((script, index) => {
    const changes = definitionChanges(script.text);
    // What each field and table was before this script: an IF NOT EXISTS over it changes nothing.
    const last = new Map<string, DefinitionChange>();
    const madeSchemafull = new Map<string, TableDefinition>();
    for (const change of changes) {
      const state = stateOf(change.table);
      if (change.kind === 'table') {
        if (change.ifNotExists && state.schemafull !== undefined) continue;
        if (change.schemafull && state.schemafull !== true) madeSchemafull.set(change.table, change);
        else if (!change.schemafull) madeSchemafull.delete(change.table);
        state.schemafull = change.schemafull;
        continue;
      }
      if (change.kind === 'field' && change.ifNotExists && state.fields.has(change.field)) continue;
      if (change.kind === 'field') state.fields.add(change.field);
      else if (change.kind === 'remove-field') state.fields.delete(change.field);
      last.set(`${change.table}\u0000${change.field}`, change);
    }
    if (script.allowed) return;
    const at = (change: DefinitionChange) => ({
      script: index,
      file: script.file,
      line: change.line,
      column: change.column,
      table: change.table,
    });
    for (const change of last.values()) {
      if (change.kind === 'table') continue;
      const state = stateOf(change.table);
      const fieldRules = rulesOfField(change, state, major);
      if ('unchecked' in fieldRules) unchecked.push({ ...at(change), field: change.field, rule: fieldRules.unchecked });
      else rules.push(...fieldRules.rules.map((r) => ({ ...at(change), field: change.field, ...r })));
    }
    // A table made SCHEMAFULL: the fields its rows hold that it does not declare (top-level names).
    for (const [table, change] of madeSchemafull) {
      // `in` and `out`: a relation's own (a plain table's field of either name is taken as declared).
      const known = [...new Set([...stateOf(table).fields].map(topName)), 'id', 'in', 'out'];
      rules.push({
        ...at(change),
        field: undefined,
        rule: 'SCHEMAFULL',
        refused: `array::len(array::complement(object::keys($this), ${JSON.stringify(known)})) > 0`,
      });
    }
  });
  return { rules, unchecked };
}

/** The rules one field change sets, or why it is not checked. */
function rulesOfField(
  change: Exclude<DefinitionChange, TableDefinition>,
  state: TableState,
  major: 2 | 3,
): { rules: { rule: string; refused: string }[] } | { unchecked: string } {
  if (change.kind === 'altered') return { unchecked: 'ALTER FIELD' };
  if (change.field === 'id') return { rules: [] };
  const tops = new Set([...state.fields].map(topName));
  if (change.kind === 'remove-field') {
    const held = state.schemafull === true && !tops.has(topName(change.field)) && !change.field.includes('*');
    return { rules: held ? [{ rule: 'REMOVE FIELD', refused: `${change.idiom} != NONE` }] : [] };
  }
  // A READONLY field is not judged again when a row is updated (measured on both engines).
  if (change.readonly) return { rules: [] };
  // A VALUE is computed after the TYPE has judged what the row holds; an ASSERT judges what it computes.
  if (change.computed && change.assert !== undefined) return { unchecked: 'ASSERT of a field with a VALUE' };
  const value = change.idiom;
  // A nested field whose parent is declared is not judged where the parent is NONE (the engine
  // skips it); under an undeclared parent, a NONE is judged like any value.
  const parentField = change.field.slice(0, Math.max(0, change.field.lastIndexOf('.')));
  const parent = state.fields.has(parentField) ? parentIdiom(change.idiom) : undefined;
  const items = value.replace(/(\[\*\]|\.\*)$/, '');
  const elementwise = items !== value && !items.includes('*');
  if (value.includes('*') && !elementwise) {
    return change.type || change.assert ? { unchecked: 'a field under `*`' } : { rules: [] };
  }
  // DEFAULT ALWAYS gives a NONE (not a NULL) its value on every write, before the TYPE is judged.
  const always = change.defaultAlways;
  const written = (v: string) => (always === undefined ? v : `(IF ${v} = NONE THEN (${always}) ELSE ${v} END)`);
  const over = (judge: (v: string) => string): string => {
    const condition = (v: string) => judge(written(v));
    return elementwise
      ? `!array::all(${items} ?? [], |$__sbl_v| !(${condition('$__sbl_v')}))`
      : parent
        ? `(${parent} != NONE AND ${condition(value)})`
        : condition(value);
  };
  const rules: { rule: string; refused: string }[] = [];
  const type = change.type;
  if (type !== undefined) {
    if (kindAccepts(type, 'X', major) === undefined) return { unchecked: `TYPE ${type}` };
    // SurrealDB 3 gives a NONE its VALUE before judging it; 2 judges the NONE (measured).
    const none = change.computed && major >= 3 ? (v: string) => ` AND ${v} != NONE` : () => '';
    rules.push({ rule: `TYPE ${type}`, refused: over((v) => `(!(${kindAccepts(type, v, major)!})${none(v)})`) });
  }
  if (change.assert !== undefined) {
    const assert = change.assert;
    // The engine skips an ASSERT over NONE where the TYPE allows NONE, and judges it otherwise.
    const noneAllowed = type === undefined ? 'false' : kindAccepts(type, 'NONE', major)!;
    const typed = (v: string) => (type === undefined ? 'true' : kindAccepts(type, v, major)!);
    rules.push({
      rule: `ASSERT ${assert}`,
      refused: over((v) => `(${typed(v)}) AND !(${v} = NONE AND ${noneAllowed}) AND !(${withValue(assert, v)})`),
    });
  }
  // SurrealDB 3.0.2 writes a reference to a missing record all the same: named as a dangling
  // reference, which the REFERENCE's ON DELETE can never follow. (SurrealDB 2 has no REFERENCE.)
  if (change.reference && major >= 3) {
    rules.push({ rule: 'REFERENCE to a record that does not exist', refused: over(missingRecord) });
  }
  return { rules };
}

/**
 * True when a record the value holds (itself, or in an array) does not exist. A record of a table
 * that does not exist does not either (and `record::exists` would fail over it on SurrealDB 3).
 */
function missingRecord(v: string): string {
  const missing = (x: string) =>
    `(type::is_record(${x}) AND (record::tb(${x}) NOT IN ${TABLES_PARAM} OR !record::exists(${x})))`;
  return `(${missing(v)} OR (type::is_array(${v}) AND !array::all(${v}, |$__sbl_r| !${missing('$__sbl_r')})))`;
}

/**
 * `expression` with `$value` read as `value`, and `$input` as NONE: the next write of a row that
 * does not set the field (the one the check stands for) gives the field no input.
 */
function withValue(expression: string, value: string): string {
  let out = '';
  let last = 0;
  const tokens = shapeTokens(expression);
  tokens.forEach((t, i) => {
    const name = t.text.toLowerCase();
    if (i > 0 && tokens[i - 1]!.text === '$' && (name === 'value' || name === 'input')) {
      out += expression.slice(last, tokens[i - 1]!.start) + (name === 'value' ? `(${value})` : 'NONE');
      last = t.end;
    }
  });
  return out + expression.slice(last);
}

/** `a` of `a.b`, `a[*]`, `a.*.b`. */
function topName(field: string): string {
  return field.split(/[.[]/)[0]!;
}

/** The idiom of a nested field's parent (`a` of `a.b`); undefined for a top-level field. */
function parentIdiom(idiom: string): string | undefined {
  const dot = idiom.lastIndexOf('.');
  return dot > 0 && !idiom.includes('`') ? idiom.slice(0, dot) : undefined;
}
