import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Surreal } from 'surrealdb';
import type { MigrationFile } from '../core/files/migration-files.js';
import type { RepeatableFile } from '../core/files/repeatable-files.js';
import { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationResult } from '../core/runner/migration-runner.js';
import type { SurrealDbMajor } from '../core/options/options.js';
import { accessKeyRepairs, redactedAccesses } from './access-keys.js';
import { emptyOnClose } from '../core/db/embedded-engine.js';
import { quoteIdent } from '../core/support/identifiers.js';
import { describeObject, readSchema } from '../core/shadow/shadow.js';

/** A migrated database, kept as the SurrealQL that rebuilds it. @internal */
export interface MigrationTemplate {
  readonly key: string;
  /**
   * SurrealQL that rebuilds the database: `export()` of the migrated database, then what it leaves
   * out: users and access methods on the namespace and the root, and JWT keys given in the scripts
   * (export() prints them redacted). Imported as it is: in a transaction, a statement that fails
   * (export() lists fields SurrealDB defined by itself, which the import defines again) would
   * cancel the whole transaction, and a cancelled DEFINE INDEX leaves a native handle that keeps
   * the process alive.
   */
  readonly script: string;
  /** What the template's own run applied. */
  readonly applied: readonly MigrationResult[];
  /** {@link fingerprint} of the migrated database. */
  readonly fingerprint: string;
  /**
   * Whether a copy comes out the same as the template: `import()` reports no error (a statement
   * that fails is left out), so the first copy is compared with the template's fingerprint. When it
   * differs, every call for this template replays the migrations instead.
   */
  check: { state: 'unchecked' | 'same' } | { state: 'differs'; difference: string };
}

/** Where a database is made, and what a template is keyed by besides the up scripts. @internal */
export interface TemplateSettings {
  directory: string;
  namespace: string;
  /** Only when the caller named it: a migration may read `session::db()`. */
  database: string | undefined;
  table: string | undefined;
  surrealdb: SurrealDbMajor;
}

/** Templates kept per process; the oldest goes first past this many (a watch run edits files). */
const MAX_TEMPLATES = 16;

/**
 * The templates of this process. Jest gives each test file its own module registry and global
 * object, but the same built-in modules: the map hangs off one of them, so that every test file a
 * worker runs shares it. It holds strings and plain objects only.
 */
const templates: Map<string, Promise<MigrationTemplate>> = ((os as unknown as Record<symbol, unknown>)[
  Symbol.for('nestjs-surrealdb-migrations/testing.templates')
] ??= new Map()) as Map<string, Promise<MigrationTemplate>>;

/**
 * The key of a template: the up scripts that would run (version, name, checksum, transaction
 * mode), the repeatable definitions (name, checksum) and the settings that change what they produce. The folder's path is not in it: two
 * folders with the same scripts share a template.
 * @internal
 */
export function templateKey(
  up: readonly MigrationFile[],
  settings: TemplateSettings,
  repeatable: readonly RepeatableFile[] = [],
): string {
  const material = JSON.stringify({
    format: 1,
    surrealdb: settings.surrealdb,
    namespace: settings.namespace,
    database: settings.database ?? null,
    table: settings.table ?? null,
    up: up.map((m) => [m.version, m.name, m.checksum, m.noTransaction]),
    // The repeatable definitions a run applies after the versions (absent when none: keys unchanged).
    ...(repeatable.length > 0 ? { repeatable: repeatable.map((r) => [r.name, r.checksum]) } : {}),
  });
  return createHash('sha256').update(material).digest('hex');
}

/**
 * The template for `key`, built once per process (concurrent callers share the build). Resolves
 * to a template of another key when the folder changed since the caller read it; a failed build
 * is not kept.
 * @internal
 */
export async function templateFor(
  key: string,
  settings: TemplateSettings,
): Promise<{ template: MigrationTemplate; built: boolean }> {
  const cached = templates.get(key);
  if (cached) {
    // Most recently used last.
    templates.delete(key);
    templates.set(key, cached);
    return { template: await cached, built: false };
  }
  const building = buildTemplate(settings);
  templates.set(key, building);
  while (templates.size > MAX_TEMPLATES) templates.delete(templates.keys().next().value as string);
  try {
    const template = await building;
    if (template.key !== key) {
      // The folder changed between the caller's read and the template's: keep it under its own key.
      if (templates.get(key) === building) templates.delete(key);
      templates.set(template.key, building);
    }
    return { template, built: true };
  } catch (error) {
    if (templates.get(key) === building) templates.delete(key);
    throw error;
  }
}

/** Forgets the templates of this process. @internal */
export function forgetTemplates(): void {
  templates.clear();
}

/**
 * A new `mem://` database (its own engine) holding a copy of `template`, with a manager that read
 * the folder. The manager's `close()` empties the engine first, so that the process can exit.
 * @internal
 */
export async function openCopy(
  template: MigrationTemplate,
  settings: TemplateSettings,
  database: string,
): Promise<MigrationManager> {
  const manager = await openManager(settings, database);
  try {
    await manager.db.import(template.script);
    return manager;
  } catch (error) {
    await manager.close();
    throw error;
  }
}

/** A manager on a new, empty `mem://` database, that empties its engine on close. @internal */
export async function openManager(settings: TemplateSettings, database: string): Promise<MigrationManager> {
  const manager = await MigrationManager.create({
    url: 'mem://',
    // A test's own private engine: nothing of the user's to lose.
    acceptDataLoss: true,
    checkData: false,
    surrealdb: settings.surrealdb,
    namespace: settings.namespace,
    database,
    directory: settings.directory,
    ...(settings.table === undefined ? {} : { table: settings.table }),
    logger: false,
  });
  emptyOnClose(manager.db);
  return manager;
}

async function buildTemplate(settings: TemplateSettings): Promise<MigrationTemplate> {
  const manager = await openManager(settings, settings.database ?? 'template');
  try {
    const key = templateKey(manager.upMigrations, settings, manager.repeatableDefinitions);
    const applied = await manager.runMigrationUp();
    const db = manager.db;
    const [root, ns, dbInfo] = await db.query<[Info, Info, Info]>('INFO FOR ROOT; INFO FOR NS; INFO FOR DB');
    const redacted = redactedAccesses({ ROOT: root.accesses, NAMESPACE: ns.accesses, DATABASE: dbInfo.accesses });
    const repairs = await workingRepairs(db, accessKeyRepairs(manager.upMigrations, redacted));
    const exported = await db.export();
    // export() holds the database only: users and access methods on the namespace or the root
    // (a copy's engine is new) are said again, and keys the export redacted said right afterwards.
    const outer = [root.users, root.accesses, ns.users, ns.accesses].flatMap((defs) =>
      Object.values(defs ?? {}).filter((d): d is string => typeof d === 'string'),
    );
    const tail = [...outer.map((d) => `${d};`), ...repairs.map((r) => `${r};`), ''].join('\n');
    const script = `${exported}\n${tail}`;
    return {
      key,
      script,
      applied,
      fingerprint: await fingerprint(db, manager.settings.table),
      check: { state: 'unchecked' },
    };
  } finally {
    await manager.close();
  }
}

type Info = Record<string, Record<string, unknown> | undefined>;

/**
 * What a copy must have like its template, as JSON: every definition of the database (tables,
 * fields, indexes, events, functions, params, analyzers, accesses, users; read as the shadow reads
 * a schema, the tool's own tables named `table` left out), the users and accesses of the namespace
 * and the root, and how many records each table holds (the tool's own too). Four requests.
 * @internal
 */
export async function fingerprint(db: Surreal, table: string): Promise<string> {
  const [root, ns, info] = await db.query<[Info, Info, Info]>('INFO FOR ROOT; INFO FOR NS; INFO FOR DB');
  const schema = await readSchema(db, table);
  const tables = Object.keys(info.tables ?? {}).sort();
  const records =
    tables.length === 0
      ? []
      : await db.query<unknown[]>(tables.map((t) => `RETURN count(SELECT VALUE id FROM ${quoteIdent(t)});`).join('\n'));
  return JSON.stringify({
    root: { users: root.users, accesses: root.accesses },
    ns: { users: ns.users, accesses: ns.accesses },
    db: Object.fromEntries(schema.map((o) => [describeObject(o), o.definition])),
    records: Object.fromEntries(tables.map((t, i) => [t, records[i]])),
  });
}

/** The repairs that run on the template itself (one whose key is a `$param` does not). */
async function workingRepairs(db: Surreal, repairs: string[]): Promise<string[]> {
  const working: string[] = [];
  for (const repair of repairs) {
    try {
      await db.query(repair);
      working.push(repair);
    } catch {
      // Left redacted: the copy's key is the text '[REDACTED]'.
    }
  }
  return working;
}
