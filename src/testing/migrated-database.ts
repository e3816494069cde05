import { randomUUID } from 'node:crypto';
import type { Surreal } from 'surrealdb';
import { MigrationManager } from '../core/migration-manager.js';
import type { MigrationResult } from '../core/migration-runner.js';
import type { MigrationsOptions } from '../core/options.js';
import { emptyOnClose } from './embedded-engine.js';
import { templateFor, templateKey, type MigrationTemplate, type TemplateSettings } from './template.js';

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
 * gets a copy of it (the history, the schema and the rows the migrations wrote). Editing,
 * adding or removing a script makes a new template on the next call.
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
  };
  const manager = await MigrationManager.create({
    url: 'mem://',
    namespace: settings.namespace,
    database: options.database ?? `test_${randomUUID().replaceAll('-', '')}`,
    directory,
    ...(options.table === undefined ? {} : { table: options.table }),
    logger: false,
  });
  emptyOnClose(manager.db);
  try {
    let applied: readonly MigrationResult[];
    let template: MigratedDatabase['template'];
    if (options.template === false) {
      applied = await manager.runMigrationUp();
    } else {
      const copied = await copyTemplate(manager, settings);
      applied = copied.template.applied;
      template = { key: copied.template.key, built: copied.built };
    }
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
  } catch (error) {
    await manager.close();
    throw error;
  }
}

/** Imports the template of the scripts the manager read into its (empty) database. */
async function copyTemplate(
  manager: MigrationManager,
  settings: TemplateSettings,
): Promise<{ template: MigrationTemplate; built: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const key = templateKey(manager.upMigrations, settings);
    const found = await templateFor(key, settings);
    if (found.template.key === key) {
      await manager.db.import(found.template.script);
      return found;
    }
    if (attempt >= FOLDER_CHANGE_TRIES) {
      throw new Error(`The migrations in ${settings.directory} kept changing while their template was built.`);
    }
    await manager.refresh();
  }
}
