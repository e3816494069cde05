import { randomUUID } from 'node:crypto';
import type { Surreal } from 'surrealdb';
import type { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationResult } from '../core/runner/migration-runner.js';
import { DEFAULT_SURREALDB, type MigrationsOptions, type SurrealDbMajor } from '../core/options/options.js';
import { dropSpares, prepareSpare, SPARES, spareId, takeSpare } from './spares.js';
import {
  fingerprint,
  forgetTemplates,
  openManager,
  templateFor,
  templateKey,
  type MigrationTemplate,
  type TemplateSettings,
} from './template.js';

/** Options of {@link createMigratedDatabase}. */
export interface MigratedDatabaseOptions {
  /** The migrations folder. @default 'migrations' */
  directory?: string;
  /** The history table. @default '_sbl_migrations' */
  table?: string;
  /** @default 'test' */
  namespace?: string;
  /** @default a random name */
  database?: string;
  /**
   * The SurrealDB major version of the in-memory engine: 3 (`@surrealdb/node`) or 2
   * (`@surrealdb/wasm` 2.x). Test on the version your servers run.
   * @default DEFAULT_SURREALDB (3)
   */
  surrealdb?: SurrealDbMajor;
  /**
   * `true`: the migrations run once per process into a template, and each call gets a copy of
   * it. `false`: each call runs every migration (what a test of the migrations' own timing or
   * side effects may want). @default true
   */
  template?: boolean;
}

/** A private in-memory database with every migration applied. */
export interface MigratedDatabase {
  /** The connected client (namespace and database selected). */
  readonly db: Surreal;
  /** The manager that migrated it; it shares `db`. */
  readonly manager: MigrationManager;
  /** The migrations that were applied (to the template, when the database is a copy of it). */
  readonly applied: readonly MigrationResult[];
  /**
   * Options for `MigrationsModule`, pointing at this database in `mode: 'validate'`: use them to
   * replace the app's own migration options in a testing module,
   * `.overrideProvider(MIGRATIONS_OPTIONS).useValue(testDb.moduleOptions)`.
   */
  readonly moduleOptions: MigrationsOptions;
  /**
   * The template this database was copied from: its key (a hash of the up scripts' checksums and
   * of the options that change what they produce) and whether this call built it. Undefined with
   * `template: false`.
   */
  readonly template: { readonly key: string; readonly built: boolean } | undefined;
  /** Closes the database (and empties its engine first, so that the process can exit). */
  dispose(): Promise<void>;
}

/** Tries before giving up on a folder that keeps changing while its template is built. */
const FOLDER_CHANGE_TRIES = 3;

/**
 * Creates a fresh `mem://` database, private to the caller, with every migration in `directory`
 * applied. Fast enough to call per test at any number of migrations: the first call in a process
 * runs them into a template, kept per process and keyed by the scripts' checksums, and every call
 * gets a copy of it: the history, the schema and the rows the migrations wrote. Editing, adding or
 * removing a script makes a new template on the next call. While a test runs, the next copy is
 * made ahead.
 *
 * @example
 * ```ts
 * let testDb: MigratedDatabase;
 * beforeEach(async () => (testDb = await createMigratedDatabase({ directory: 'migrations' })));
 * afterEach(() => testDb.dispose());
 *
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(MIGRATIONS_OPTIONS).useValue(testDb.moduleOptions)
 *   .overrideProvider(SURREAL).useValue(testDb.db) // the app's own client token, if it has one
 *   .compile();
 * ```
 */
export async function createMigratedDatabase(options: MigratedDatabaseOptions = {}): Promise<MigratedDatabase> {
  const directory = options.directory ?? 'migrations';
  const settings: TemplateSettings = {
    directory,
    namespace: options.namespace ?? 'test',
    database: options.database,
    table: options.table,
    surrealdb: options.surrealdb ?? DEFAULT_SURREALDB,
  };
  const database = () => options.database ?? `test_${randomUUID().replaceAll('-', '')}`;
  const made = options.template === false ? await replayed(settings, database()) : await copied(settings, database);
  const { manager, applied, template } = made;
  return {
    db: manager.db,
    manager,
    applied,
    moduleOptions: {
      client: manager.db,
      directory,
      mode: 'validate',
      logger: false,
      ...(options.table === undefined ? {} : { table: options.table }),
    },
    template,
    dispose: () => manager.close(),
  };
}

interface Made {
  manager: MigrationManager;
  applied: readonly MigrationResult[];
  template: MigratedDatabase['template'];
}

/** Every migration run into a new database. */
async function replayed(settings: TemplateSettings, database: string): Promise<Made> {
  const manager = await openManager(settings, database);
  try {
    return { manager, applied: await manager.runMigrationUp(), template: undefined };
  } catch (error) {
    await manager.close();
    throw error;
  }
}

/** A copy of the template of the folder as it is now: the spare made ahead, or a new one. */
async function copied(settings: TemplateSettings, database: () => string): Promise<Made> {
  const id = spareId(settings);
  const spare = await takeSpare(id);
  if (spare) {
    const fresh = await spare.manager.refresh().then(
      () =>
        templateKey(spare.manager.upMigrations, settings, spare.manager.repeatableDefinitions) === spare.template.key,
      () => false,
    );
    if (fresh) {
      for (let i = 0; i < SPARES; i++) prepareSpare(id, spare.template, settings, database());
      return made(spare.manager, spare.template, false);
    }
    void spare.manager.close().catch(() => {});
  }
  const manager = await openManager(settings, database());
  let found: { template: MigrationTemplate; built: boolean };
  try {
    for (let attempt = 1; ; attempt++) {
      const key = templateKey(manager.upMigrations, settings, manager.repeatableDefinitions);
      found = await templateFor(key, settings);
      if (found.template.key === key) break;
      if (attempt >= FOLDER_CHANGE_TRIES) {
        throw new Error(`The migrations in ${settings.directory} kept changing while their template was built.`);
      }
      await manager.refresh();
    }
    const { template } = found;
    if (template.check.state !== 'differs') {
      await manager.db.import(template.script);
      if (template.check.state === 'unchecked') await check(template, manager, settings);
    }
  } catch (error) {
    await manager.close();
    throw error;
  }
  if (found.template.check.state === 'differs') {
    await manager.close();
    return replayed(settings, database());
  }
  for (let i = 0; i < SPARES; i++) prepareSpare(id, found.template, settings, database());
  return made(manager, found.template, found.built);
}

/** Compares the first copy of a template with it (see {@link MigrationTemplate.check}). */
async function check(template: MigrationTemplate, copy: MigrationManager, settings: TemplateSettings): Promise<void> {
  const copied = await fingerprint(copy.db, copy.settings.table);
  if (copied === template.fingerprint) {
    template.check = { state: 'same' };
    return;
  }
  const difference = firstDifference(JSON.parse(template.fingerprint), JSON.parse(copied));
  template.check = { state: 'differs', difference };
  process.emitWarning(
    `createMigratedDatabase(): a copy of the migrated database of ${settings.directory} differs from it ` +
      `(${difference}); every test replays the migrations instead. Please report this with the scripts.`,
    { code: 'SBL_TEMPLATE_COPY_DIFFERS' },
  );
}

/** Where two JSON values first differ, as a path: `tables.person.records`. */
function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const left = (a as Record<string, unknown>)[key];
      const right = (b as Record<string, unknown>)[key];
      if (JSON.stringify(left) !== JSON.stringify(right))
        return firstDifference(left, right, at ? `${at}.${key}` : key);
    }
  }
  return at || '(the whole)';
}

function made(manager: MigrationManager, template: MigrationTemplate, built: boolean): Made {
  return { manager, applied: template.applied, template: { key: template.key, built } };
}

/**
 * Forgets the templates of this process and closes the copies made ahead. Never needed for
 * correctness (a template is keyed by the scripts' checksums); a test of the kit itself may want a
 * cold start.
 */
export async function clearMigrationTemplates(): Promise<void> {
  forgetTemplates();
  await dropSpares();
}
