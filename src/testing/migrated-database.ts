import { randomUUID } from 'node:crypto';
import type { Surreal } from 'surrealdb';
import { MigrationManager } from '../core/migration-manager.js';
import type { MigrationResult } from '../core/migration-runner.js';
import type { MigrationsOptions } from '../core/options.js';

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
}

/** A private in-memory database with every migration applied. */
export interface MigratedDatabase {
  /** The connected client (namespace and database selected). */
  readonly db: Surreal;
  /** The manager that migrated it; it shares `db`. */
  readonly manager: MigrationManager;
  /** The migrations that were applied. */
  readonly applied: readonly MigrationResult[];
  /**
   * Options for `MigrationsModule`, pointing at this database in `mode: 'validate'`: use them to
   * replace the app's own migration options in a testing module,
   * `.overrideProvider(MIGRATIONS_OPTIONS).useValue(testDb.moduleOptions)`.
   */
  readonly moduleOptions: MigrationsOptions;
  /** Closes the database. */
  dispose(): Promise<void>;
}

/**
 * Creates a fresh `mem://` database, private to the caller, and applies every migration in
 * `directory`. Fast enough to call per test.
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
  const manager = await MigrationManager.create({
    url: 'mem://',
    namespace: options.namespace ?? 'test',
    database: options.database ?? `test_${randomUUID().replaceAll('-', '')}`,
    directory,
    ...(options.table === undefined ? {} : { table: options.table }),
    logger: false,
  });
  try {
    const applied = await manager.runMigrationUp();
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
      dispose: () => manager.close(),
    };
  } catch (error) {
    await manager.close();
    throw error;
  }
}
