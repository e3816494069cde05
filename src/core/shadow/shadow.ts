/**
 * The schema of a database read as a normalized structure, and compared; and where a shadow
 * database is built (`ShadowSource`; the shadow itself is `shadow-database.ts`). One primitive for
 * lint, reversibility, drift, the schema snapshot and diff. Nothing here touches the user's
 * database.
 */
import { quoteIdent } from '../support/identifiers.js';
import { MigrationArgumentError } from '../support/errors.js';
import { DatabaseRequestError } from '../support/database-errors.js';
import { readableDefinition } from './readable-names.js';
import { DEFAULT_SURREALDB, type ShadowOptions, type SurrealDbMajor } from '../options/options.js';
import { resolveShadow } from '../options/resolve-options.js';
import type { QueryResponse } from 'surrealdb';
import type { QueryClient } from '../db/session.js';
import { explainUnreadableName, isUnreadableNameError } from '../surql/v3-keyword-names.js';

/** The kind of a schema object: what `INFO FOR DB` and `INFO FOR TABLE` list it under (`other`: a list this version does not know). */
export type SchemaKind =
  | 'analyzer'
  | 'function'
  | 'param'
  | 'access'
  | 'user'
  | 'sequence'
  | 'config'
  | 'api'
  | 'bucket'
  | 'model'
  | 'module'
  | 'table'
  | 'field'
  | 'index'
  | 'event'
  | 'other';

/** The kinds of object `INFO FOR DB` and `INFO FOR TABLE` list, in the order a schema prints them. */
export const SCHEMA_KINDS = [
  'analyzer',
  'function',
  'param',
  'access',
  'user',
  'sequence',
  'config',
  'api',
  'bucket',
  'model',
  'module',
  'table',
  'field',
  'index',
  'event',
] as const satisfies readonly SchemaKind[];

/** Every kind but `other` is in SCHEMA_KINDS (a compile-time check). */
true satisfies Exclude<SchemaKind, 'other' | (typeof SCHEMA_KINDS)[number]> extends never ? true : false;

/** One object of a schema, as the server itself writes its definition. */
export interface SchemaObject {
  kind: SchemaKind;
  /** The table of a field, an index or an event. */
  table: string | undefined;
  name: string;
  /** `DEFINE …`, normalized by the server (compare these, never the migrations' source text). */
  definition: string;
}

/** A database's schema: every object, sorted by kind, table and name. */
export type DatabaseSchema = SchemaObject[];

/** What changed from one schema to another, object by object. */
export interface SchemaChange {
  change: 'added' | 'removed' | 'changed';
  kind: SchemaKind;
  table: string | undefined;
  name: string;
  before: string | undefined;
  after: string | undefined;
}

/** `INFO FOR DB`'s keys, by kind. */
const DB_KINDS: Record<string, SchemaKind> = {
  analyzers: 'analyzer',
  functions: 'function',
  params: 'param',
  accesses: 'access',
  users: 'user',
  sequences: 'sequence',
  configs: 'config',
  apis: 'api',
  buckets: 'bucket',
  models: 'model',
  modules: 'module',
  tables: 'table',
};

/** `INFO FOR TABLE`'s keys, by kind. */
const TABLE_KINDS: Record<string, SchemaKind> = { fields: 'field', indexes: 'index', events: 'event' };

/**
 * The schema of a database, in two requests: `INFO FOR DB`, then `INFO FOR TABLE` for every table.
 * The tool's own tables (`<table>`, `<table>_lock`, `<table>_failed`, `<table>_repeatable`) are left out.
 */
export async function readSchema(db: QueryClient, historyTable: string): Promise<DatabaseSchema> {
  const { objects, tables } = await readDatabaseInfo(db, historyTable);
  return readableSchema([...objects, ...(await readTables(db, tables))]);
}

/** `INFO FOR DB`: the database's own objects (tables' definitions included), and its tables' names. */
export async function readDatabaseInfo(
  db: QueryClient,
  historyTable: string,
): Promise<{ objects: SchemaObject[]; tables: string[] }> {
  const [info] = await db.query('INFO FOR DB').responses();
  return databaseInfoOf(info, historyTable);
}

/** The answer to `INFO FOR DB`, read: the database's own objects, and its tables' names. */
export function databaseInfoOf(
  info: QueryResponse | undefined,
  historyTable: string,
): { objects: SchemaObject[]; tables: string[] } {
  if (!info?.success)
    throw unreadable(info?.error, undefined) ?? info?.error ?? new Error('INFO FOR DB gave no answer');
  const objects: SchemaObject[] = [];
  const own = new Set([historyTable, `${historyTable}_lock`, `${historyTable}_failed`, `${historyTable}_repeatable`]);
  const database = (info.result ?? {}) as Record<string, Record<string, string> | undefined>;
  for (const [key, kind] of Object.entries(DB_KINDS)) {
    for (const [name, text] of Object.entries(database[key] ?? {})) {
      if (kind === 'table' && own.has(name)) continue;
      const definition = kind === 'config' ? configDefinition(text) : text;
      objects.push({ kind, table: undefined, name, definition });
    }
  }
  return { objects, tables: Object.keys(database.tables ?? {}).filter((t) => !own.has(t)) };
}

/** `INFO FOR TABLE` of each of `tables`, in one request: their fields, indexes and events. */
export async function readTables(db: QueryClient, tables: readonly string[]): Promise<SchemaObject[]> {
  if (tables.length === 0) return [];
  const answers = await db.query(tables.map(tableInfoStatement).join(' ')).responses();
  return answers.flatMap((answer, i) => tableInfoOf(answer, tables[i]!));
}

/** The statement that asks for a table's fields, indexes and events. */
export function tableInfoStatement(table: string): string {
  // Names written escaped: SurrealDB 2 takes no parameters as names in INFO.
  return `INFO FOR TABLE ${quoteIdent(table)};`;
}

/** The answer to {@link tableInfoStatement}, read. A table that does not exist has nothing. */
export function tableInfoOf(answer: QueryResponse | undefined, table: string): SchemaObject[] {
  if (!answer?.success)
    throw unreadable(answer?.error, table) ?? answer?.error ?? new Error('INFO FOR TABLE gave no answer');
  const objects: SchemaObject[] = [];
  const about = (answer.result ?? {}) as Record<string, Record<string, string> | undefined>;
  for (const [key, kind] of Object.entries(TABLE_KINDS)) {
    for (const [name, definition] of Object.entries(about[key] ?? {})) objects.push({ kind, table, name, definition });
  }
  return objects;
}

/** The objects as read, their references made readable (see readable-names.ts), in schema order. */
export function readableSchema(objects: SchemaObject[]): DatabaseSchema {
  const names = referencedNames(objects);
  for (const o of objects) o.definition = readableDefinition(o.definition, names);
  return objects.sort(compareObjects);
}

/** The names of a schema's functions and params: what readable-names.ts escapes references to. */
export function referencedNames(objects: readonly SchemaObject[]): { functions: string[]; params: string[] } {
  return {
    functions: objects.filter((o) => o.kind === 'function').map((o) => o.name),
    params: objects.filter((o) => o.kind === 'param').map((o) => o.name),
  };
}

/** SurrealDB 3's conversion error for a name it cannot read back, said in a sentence (see `v3-keyword-names.ts`). */
function unreadable(error: Error | undefined, table: string | undefined): DatabaseRequestError | undefined {
  if (!error || !isUnreadableNameError(error.message)) return undefined;
  return new DatabaseRequestError(explainUnreadableName(table, []), error, 'Nothing was changed.');
}

/**
 * A config as every other definition is said: in full, without the clause it was defined with.
 * SurrealDB 3.0.2 shows it without its DEFINE (`GRAPHQL TABLES AUTO FUNCTIONS AUTO`); SurrealDB 2
 * with it, and with the OVERWRITE or IF NOT EXISTS of the statement that defined it.
 */
function configDefinition(text: string): string {
  return `DEFINE CONFIG ${text.replace(/^DEFINE\s+CONFIG\s+(?:OVERWRITE\s+|IF\s+NOT\s+EXISTS\s+)?/i, '')}`;
}

/** Kind, then table, then name; tables come before their fields, indexes and events. */
export function compareObjects(a: Pick<SchemaObject, 'kind' | 'table' | 'name'>, b: typeof a): number {
  const rank = (o: typeof a) => (SCHEMA_KINDS as readonly string[]).indexOf(o.kind);
  return rank(a) - rank(b) || byCodeUnits(a.table ?? '', b.table ?? '') || byCodeUnits(a.name, b.name);
}

/** Not `localeCompare`: the order, and so `schema`'s bytes, must not depend on the machine's locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function schemaKey(o: Pick<SchemaObject, 'kind' | 'table' | 'name'>): string {
  return `${o.kind}\u0000${o.table ?? ''}\u0000${o.name}`;
}

/** The objects added, removed or changed from `before` to `after`, in schema order. */
export function compareSchemas(before: DatabaseSchema, after: DatabaseSchema): SchemaChange[] {
  const was = new Map(before.map((o) => [schemaKey(o), o]));
  const is = new Map(after.map((o) => [schemaKey(o), o]));
  const changes: SchemaChange[] = [];
  for (const [key, o] of is) {
    const old = was.get(key);
    if (!old)
      changes.push({
        change: 'added',
        kind: o.kind,
        table: o.table,
        name: o.name,
        before: undefined,
        after: o.definition,
      });
    else if (comparable(old.definition) !== comparable(o.definition)) {
      changes.push({
        change: 'changed',
        kind: o.kind,
        table: o.table,
        name: o.name,
        before: old.definition,
        after: o.definition,
      });
    }
  }
  for (const [key, o] of was) {
    if (!is.has(key))
      changes.push({
        change: 'removed',
        kind: o.kind,
        table: o.table,
        name: o.name,
        before: o.definition,
        after: undefined,
      });
  }
  return changes.sort(compareObjects);
}

/** `index a_y on a`, `table a`, `function fn::x`. */
export function describeObject(o: Pick<SchemaObject, 'kind' | 'table' | 'name'>): string {
  const name = o.kind === 'function' ? `fn::${o.name}` : o.kind === 'param' ? `$${o.name}` : o.name;
  const quote = (text: string) => (text.startsWith('`') ? text : `\`${text}\``);
  return `${o.kind} ${quote(name)}${o.table ? ` on ${quote(o.table)}` : ''}`;
}

/**
 * What a definition hides or salts anew each time: a user's password hash (a new salt on every
 * DEFINE) and a key the server prints as `[REDACTED]`. Such a definition cannot be restated from
 * its text, and two of them compare equal when all else is.
 */
export function holdsSecret(definition: string): boolean {
  return /\bPASSHASH\s+'|'\[REDACTED\]'/.test(definition);
}

function comparable(definition: string): string {
  return definition.replace(/\bPASSHASH\s+'(?:[^'\\]|\\.)*'/g, "PASSHASH '…'");
}

/**
 * Where a shadow is built, and so which SurrealDB judges the folder: the embedded engine of a major
 * version (SurrealDB 3 from `@surrealdb/node`, 2 from `@surrealdb/wasm`), or a scratch namespace on
 * a server of the user's (`server`), whose version then decides.
 */
export interface ShadowSource {
  surrealdb: SurrealDbMajor;
  server?: ShadowOptions | undefined;
  /**
   * The names of the database the shadow stands for (drift's live target), so that
   * `session::ns()` and `session::db()` evaluate there as they did in it. On a server, the
   * namespace stays the shadow's own scratch one (it must be unique): only the database is named so.
   */
  names?: { namespace: string; database: string } | undefined;
  /** Where the schema a folder produces is kept (schema-cache.ts); false or undefined: not kept. */
  cache?: string | false | undefined;
}

/** The embedded SurrealDB 3, when nothing says otherwise. */
export const DEFAULT_SHADOW: ShadowSource = { surrealdb: DEFAULT_SURREALDB };

/**
 * The source that analysis options (`surrealdb`, `shadow`) name, checked as the one options object
 * checks them; `field` prefixes the name in the error.
 */
export function shadowSource(
  options: { surrealdb?: SurrealDbMajor; shadow?: ShadowOptions },
  field: string,
): ShadowSource {
  const surrealdb = options.surrealdb ?? DEFAULT_SURREALDB;
  if (surrealdb !== 2 && surrealdb !== 3) {
    throw new MigrationArgumentError(
      `${field}: surrealdb is 2 or 3 (the SurrealDB major version), not ${String(surrealdb)}.`,
    );
  }
  if (options.shadow === undefined) return { surrealdb };
  return { surrealdb, server: resolveShadow(options.shadow) };
}
