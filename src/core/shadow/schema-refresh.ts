/**
 * The schema after a change, read again only where the change can have reached: the database's own
 * objects in full (`INFO FOR DB`, one statement), and `INFO FOR TABLE` only for the tables the
 * change names, directly or through what it names, and for the tables it created. The other tables'
 * fields, indexes and events are taken from the schema before it. The answer is the schema
 * {@link readSchema} would read, so that lint can compare schemas after every step of a folder of
 * hundreds of tables without reading every table each time.
 *
 * "Names" is read generously, on the lexer's tokens: every word, escaped identifier and word inside a
 * string, regex or JavaScript body of the scripts; then, again, of every definition that one of those
 * names owns (a table's definition and its fields', indexes' and events' definitions; a function's;
 * a param's), and of every view over a reached table and every field that references its records,
 * until nothing new is named. An event's body, a field's VALUE, a
 * function called, a view's source or its view: whatever can run when the scripts run is so covered. Where a name may be computed
 * (`type::table(…)`, `type::thing(…)`, `type::record(…)`), or a function or param was defined or
 * removed (the readable names of every definition may change), the whole schema is read.
 */
import type { QueryClient } from '../db/session.js';
import { SurqlLexer, identifierText } from '../surql/surql-lexer.js';
import {
  databaseInfoOf,
  readSchema,
  readTables,
  readableSchema,
  tableInfoOf,
  tableInfoStatement,
  compareObjects,
  referencedNames,
  type DatabaseSchema,
  type SchemaObject,
} from './shadow.js';

/** A call that names a table by a value rather than in the text. */
const COMPUTED_NAME = /\btype\s*::\s*(?:table|thing|record)\b/i;

/** The schema after `scripts` ran over a database whose schema was `before`. */
export async function refreshSchema(
  db: QueryClient,
  historyTable: string,
  before: DatabaseSchema,
  scripts: readonly string[],
): Promise<DatabaseSchema> {
  const named = namedBy(before, scripts);
  if (!named) return readSchema(db, historyTable);
  const known = new Set(before.filter((o) => o.kind === 'table').map((o) => o.name));
  // One request, as a rule: INFO FOR DB, and INFO FOR TABLE of each table the scripts reach and of
  // each they define (a table that does not exist answers with nothing).
  const asked = [...new Set([...[...named].filter((n) => known.has(n)), ...scripts.flatMap(definedTables)])];
  const [info, ...answers] = await db.query(['INFO FOR DB;', ...asked.map(tableInfoStatement)].join(' ')).responses();
  const { objects, tables } = databaseInfoOf(info, historyTable);
  const was = referencedNames(before);
  const is = referencedNames(objects);
  if (!sameNames(was.functions, is.functions) || !sameNames(was.params, is.params)) {
    return readSchema(db, historyTable);
  }
  const reread = new Set(tables.filter((t) => named.has(t) || !known.has(t)));
  const read = asked.flatMap((t, i) => (reread.has(t) ? tableInfoOf(answers[i], t) : []));
  // Tables made otherwise (a CREATE on a table not defined yet): a second request.
  const wasAsked = new Set(asked);
  const later = [...reread].filter((t) => !wasAsked.has(t));
  const exists = new Set(tables);
  // Carried as they are (a schema's objects are never changed once read): already readable, and the
  // names they are read against did not change.
  const carried = before.filter((o) => o.table !== undefined && !reread.has(o.table) && exists.has(o.table));
  const fresh = readableSchema([...objects, ...read, ...(await readTables(db, later))]);
  return [...fresh, ...carried].sort(compareObjects);
}

/** The tables a script defines (`DEFINE TABLE [OVERWRITE | IF NOT EXISTS] <name>`), read with the lexer. */
function definedTables(text: string): string[] {
  const words: string[] = [];
  const lexer = new SurqlLexer(text);
  for (let token = lexer.next(false); token; token = lexer.next(false)) {
    if (token.kind === 'word' || token.kind === 'ident') words.push(identifierText(text, token));
    else words.push('');
  }
  const tables: string[] = [];
  for (let i = 0; i + 2 < words.length; i++) {
    if (!/^define$/i.test(words[i]!) || !/^table$/i.test(words[i + 1]!)) continue;
    let at = i + 2;
    if (/^overwrite$/i.test(words[at]!)) at++;
    else if (/^if$/i.test(words[at]!) && /^not$/i.test(words[at + 1] ?? '') && /^exists$/i.test(words[at + 2] ?? ''))
      at += 3;
    if (words[at]) tables.push(words[at]!);
  }
  return tables;
}

/** Every name the scripts reach (see the file's comment), or undefined when a name may be computed. */
export function namedBy(before: DatabaseSchema, scripts: readonly string[]): Set<string> | undefined {
  const tables = new Set(before.filter((o) => o.kind === 'table').map((o) => o.name));
  const names = new Set<string>();
  for (const text of scripts) {
    if (COMPUTED_NAME.test(text)) return undefined;
    for (const word of wordsOf(text)) names.add(word);
  }
  const read = new Set<SchemaObject>();
  for (let grew = true; grew;) {
    grew = false;
    for (const o of before) {
      if (read.has(o) || !(reaches(o, names) || refersTo(o, names, tables))) continue;
      read.add(o);
      grew = true;
      if (COMPUTED_NAME.test(o.definition)) return undefined;
      for (const word of wordsOfObject(o)) names.add(word);
      names.add(o.table ?? o.name);
    }
  }
  return names;
}

/**
 * Whether `o` belongs to a name in `names`: to its table's, or to its own (a function by any
 * segment of its name). What belongs to a name the scripts reach may run when they run.
 */
export function reaches(o: SchemaObject, names: ReadonlySet<string>): boolean {
  if (o.table !== undefined) return names.has(o.table);
  if (o.kind === 'function') return o.name.split('::').some((segment) => names.has(segment));
  return names.has(o.name);
}

/**
 * Whether `o` names one of the reached tables and is reached through it: a view over it (its rows
 * follow the table's), or a field that references its records (a deletion reaches it).
 */
function refersTo(o: SchemaObject, names: ReadonlySet<string>, tables: ReadonlySet<string>): boolean {
  return mayReferTo(o) && wordsOfObject(o).some((word) => tables.has(word) && names.has(word));
}

/** Whether `o` is of the kinds that another table reaches: a view, or a field that references records. */
const REFERRING = new WeakMap<SchemaObject, boolean>();
function mayReferTo(o: SchemaObject): boolean {
  let may = REFERRING.get(o);
  if (may === undefined) {
    may =
      o.kind === 'table'
        ? /\sAS\s/i.test(o.definition)
        : o.kind === 'field' && /\bREFERENCE\b|\brecord\s*</i.test(o.definition);
    REFERRING.set(o, may);
  }
  return may;
}

/** The words of an object's definition; an object carried from step to step is read once. */
const OBJECT_WORDS = new WeakMap<SchemaObject, readonly string[]>();
function wordsOfObject(o: SchemaObject): readonly string[] {
  let words = OBJECT_WORDS.get(o);
  if (!words) OBJECT_WORDS.set(o, (words = wordsOf(o.definition)));
  return words;
}

/** The words of texts already read, by text: definitions are read again at every step of a folder. */
const WORDS = new Map<string, readonly string[]>();
const WORDS_KEPT = 20_000;

/** The words of a text, as the lexer cuts it, and the words inside its strings, regexes and JavaScript. */
function wordsOf(text: string): readonly string[] {
  const known = WORDS.get(text);
  if (known) return known;
  const words: string[] = [];
  const lexer = new SurqlLexer(text);
  for (let token = lexer.next(false); token; token = lexer.next(false)) {
    if (token.kind === 'word' || token.kind === 'ident') words.push(identifierText(text, token));
    else if (token.kind === 'string' || token.kind === 'regex' || token.kind === 'js') {
      words.push(...(text.slice(token.start, token.end).match(/[\p{L}\p{N}_]+/gu) ?? []));
    }
  }
  if (WORDS.size >= WORDS_KEPT) WORDS.clear();
  WORDS.set(text, words);
  return words;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((n) => set.has(n));
}
