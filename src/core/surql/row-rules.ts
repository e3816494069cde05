/**
 * The rules a run's new or changed definitions set that rows already there may break (issue 22,
 * item 1), each as a SurrealQL condition over a row that is true when the engine would refuse the
 * row's next write: a field's `TYPE` (kind-predicate.ts), its `ASSERT`, its `REFERENCE`, a field
 * removed from a SCHEMAFULL table that rows still hold, and a table made SCHEMAFULL over rows with
 * fields it does not declare. The last definition of a field in the run is the one judged. Pure:
 * what the database holds before the run comes in as `before` (row-check.ts reads it).
 */
import { definitionChanges, type DefinitionChange } from './definition-changes.js';
import { kindAccepts } from './kind-predicate.js';
import { shapeTokens } from './surql-shapes.js';

/** One script of the run, in order. */
export interface RunScript {
  /** The file, as discovered, for messages. */
  file: string;
  text: string;
  /** The file allows rows its definitions refuse (`-- migrate:allow-invalid-rows`). */
  allowed: boolean;
}

/** One rule and where it is written. */
export interface RowRule {
  file: string;
  line: number;
  column: number;
  table: string;
  /** The field as written; undefined for a rule of the table. */
  field: string | undefined;
  /** The rule as the statement words it. */
  rule: string;
  /** A SurrealQL condition over a row of `table`, true when the row is refused. */
  refused: string;
}

/** A changed definition the check cannot judge (its kind is not understood, or an `ALTER FIELD`). */
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

/** The run's rules, by table, and what it cannot judge. */
export interface RunRules {
  rules: RowRule[];
  unchecked: UncheckedRule[];
}

interface Located {
  change: DefinitionChange;
  script: RunScript;
}

/** The rules of a run of `scripts` (in order) over a database that held `before`, on SurrealDB `major`. */
export function runRules(scripts: readonly RunScript[], major: 2 | 3, before: TablesBefore): RunRules {
  const located: Located[] = scripts.flatMap((script) =>
    definitionChanges(script.text).map((change) => ({ change, script })),
  );
  const rules: RowRule[] = [];
  const unchecked: UncheckedRule[] = [];
  for (const table of new Set(located.map((l) => l.change.table))) {
    const ofTable = located.filter((l) => l.change.table === table);
    const schemafull = schemafullAfter(ofTable, before.schemafull(table));
    const declared = declaredAfter(ofTable, before.fields(table));
    const tops = new Set([...declared].map(topName));
    // The last change of each field decides what rows meet after the run.
    const last = new Map<string, Located>();
    for (const l of ofTable) if (l.change.kind !== 'table') last.set(l.change.field, l);
    for (const { change, script } of last.values()) {
      if (script.allowed || change.kind === 'table') continue;
      const at = { file: script.file, line: change.line, column: change.column, table };
      if (change.kind === 'altered') {
        unchecked.push({ ...at, field: change.field, rule: 'ALTER FIELD' });
        continue;
      }
      if (change.kind === 'remove-field') {
        if (schemafull && !tops.has(topName(change.field)) && !change.field.includes('*')) {
          rules.push({ ...at, field: change.field, rule: 'REMOVE FIELD', refused: `${change.idiom} != NONE` });
        }
        continue;
      }
      // A READONLY field is not judged again when a row is updated (measured on both engines).
      if (change.readonly) continue;
      const value = change.idiom;
      // A nested field whose parent is declared is not judged where the parent is NONE (the engine
      // skips it); under an undeclared parent, a NONE is judged like any value.
      const parentField = change.field.slice(0, Math.max(0, change.field.lastIndexOf('.')));
      const parent = declared.has(parentField) ? parentIdiom(change.idiom) : undefined;
      const elementwise = /(\[\*\]|\.\*)$/.test(value) && !value.slice(0, -3).includes('*');
      if (value.includes('*') && !elementwise) {
        if (change.type || change.assert) unchecked.push({ ...at, field: change.field, rule: 'a field under `*`' });
        continue;
      }
      // DEFAULT ALWAYS gives a NONE (not a NULL) its value on every write, before the TYPE is judged.
      const always = change.defaultAlways;
      const written = (v: string) => (always === undefined ? v : `(IF ${v} = NONE THEN (${always}) ELSE ${v} END)`);
      const over = (judge: (v: string) => string): string => {
        const condition = (v: string) => judge(written(v));
        return elementwise
          ? `!array::all(${value.slice(0, -3)} ?? [], |$__sbl_v| !(${condition('$__sbl_v')}))`
          : parent
            ? `(${parent} != NONE AND ${condition(value)})`
            : condition(value);
      };
      if (change.type !== undefined) {
        const accepts = kindAccepts(change.type, 'X', major);
        if (accepts === undefined) unchecked.push({ ...at, field: change.field, rule: `TYPE ${change.type}` });
        else {
          rules.push({
            ...at,
            field: change.field,
            rule: `TYPE ${change.type}`,
            refused: over((v) => `!(${kindAccepts(change.type!, v, major)!})`),
          });
        }
      }
      if (change.assert !== undefined) {
        // The engine skips an ASSERT over NONE where the TYPE allows NONE, and judges it otherwise.
        const noneAllowed = change.type === undefined ? 'false' : (kindAccepts(change.type, 'NONE', major) ?? 'false');
        const typed = (v: string) =>
          change.type === undefined ? 'true' : (kindAccepts(change.type, v, major) ?? 'true');
        rules.push({
          ...at,
          field: change.field,
          rule: `ASSERT ${change.assert}`,
          refused: over(
            (v) => `(${typed(v)}) AND !(${v} = NONE AND ${noneAllowed}) AND !(${withValue(change.assert!, v)})`,
          ),
        });
      }
      // SurrealDB 3.0.2 writes a reference to a missing record all the same: named as a dangling
      // reference, which the REFERENCE's ON DELETE can never follow. (SurrealDB 2 has no REFERENCE.)
      if (change.reference && major >= 3) {
        rules.push({
          ...at,
          field: change.field,
          rule: 'REFERENCE to a record that does not exist',
          refused: over(missingRecord),
        });
      }
    }
    // A table made SCHEMAFULL in the run: the fields its rows hold that it does not declare.
    const made = [...ofTable].reverse().find((l) => l.change.kind === 'table');
    if (made && schemafull && !made.script.allowed && before.schemafull(table) !== true) {
      // `in` and `out`: a relation's own (a plain table's field of either name is taken as declared).
      const known = [...tops, 'id', 'in', 'out'];
      rules.push({
        file: made.script.file,
        line: made.change.line,
        column: made.change.column,
        table,
        field: undefined,
        rule: 'SCHEMAFULL',
        refused: `array::len(array::complement(object::keys($this), ${JSON.stringify(known)})) > 0`,
      });
    }
  }
  return { rules, unchecked };
}

/** True when a record the value holds (itself, or in an array) does not exist. */
function missingRecord(v: string): string {
  const isRecord = (x: string) => `type::is_record(${x})`;
  return (
    `((${isRecord(v)} AND !record::exists(${v})) OR ` +
    `(type::is_array(${v}) AND !array::all(${v}, |$__sbl_r| !${isRecord('$__sbl_r')} OR record::exists($__sbl_r))))`
  );
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

/** Whether the table is SCHEMAFULL after the run: its last definition in the run says, else before. */
function schemafullAfter(changes: readonly Located[], before: boolean | undefined): boolean {
  const defined = [...changes].reverse().find((l) => l.change.kind === 'table');
  return defined && defined.change.kind === 'table' ? defined.change.schemafull : before === true;
}

/** The fields the table declares after the run. */
function declaredAfter(changes: readonly Located[], before: readonly string[]): Set<string> {
  const fields = new Set(before);
  for (const { change } of changes) {
    if (change.kind === 'field') fields.add(change.field);
    else if (change.kind === 'remove-field') fields.delete(change.field);
  }
  return fields;
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
