import type { Surreal, SurrealSession } from 'surrealdb';
import { MigrationArgumentError, type MigrationOptionsError } from '../core/support/errors.js';
import { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationResult } from '../core/runner/migration-runner.js';
import { type MigrationTarget, type MigrationsOptions, type SurrealDbMajor } from '../core/options/options.js';
import { checkTargets } from '../core/options/target-list.js';
import { emptyOnClose } from '../core/db/embedded-engine.js';

/** Options of {@link createMigratedTenants}. */
export interface MigratedTenantsOptions {
  /** The migrations folder. @default 'migrations' */
  directory?: string;
  /** The history table. @default '_sbl_migrations' */
  table?: string;
  /**
   * The tenants: how many (`tenant_1`, `tenant_2`, ... in `namespace`), their database names in
   * `namespace`, or their `{ namespace, database }`. @default 2
   */
  tenants?: number | readonly string[] | readonly MigrationTarget[];
  /** The namespace of tenants given by count or by name. @default 'test' */
  namespace?: string;
  /**
   * The SurrealDB major version of the in-memory engine: 3, or 2 (from `@surrealdb/wasm`, where the
   * tenants' connections share one datastore, since SurrealDB 2 has no sessions).
   * @default DEFAULT_SURREALDB (3)
   */
  surrealdb?: SurrealDbMajor;
}

/** One migrated tenant of {@link MigratedTenants}. */
export interface MigratedTenant {
  readonly namespace: string;
  readonly database: string;
  /**
   * A session of its own on the shared connection, on this tenant's database (on SurrealDB 2, a
   * connection of its own to the same datastore).
   */
  readonly db: SurrealSession;
  /** The tenant's manager (`manager.forTarget(tenant)`). */
  readonly manager: MigrationManager;
}

/** Private in-memory tenant databases, each with every migration applied. */
export interface MigratedTenants {
  /** The connection they share (one private `mem://` engine). */
  readonly db: Surreal;
  /** The manager of every tenant (`targets`). */
  readonly manager: MigrationManager;
  readonly tenants: readonly MigratedTenant[];
  /** What ran, each result naming its `target`. */
  readonly applied: readonly MigrationResult[];
  /**
   * Options for `MigrationsModule`, on these tenants in `mode: 'validate'`:
   * `.overrideProvider(MIGRATIONS_OPTIONS).useValue(tenants.moduleOptions)`.
   */
  readonly moduleOptions: MigrationsOptions;
  /** Closes the sessions and the engine (emptied first, so that the process can exit). */
  dispose(): Promise<void>;
}

/** The default number of tenants. */
const DEFAULT_TENANTS = 2;

/**
 * Creates a private `mem://` engine holding several tenant databases, each migrated by a run over
 * many targets (as the app's start-up does with `targets`): for tests of tenant isolation, of
 * per-tenant data, of an app whose module is configured with `targets`.
 *
 * @example
 * ```ts
 * const kit = await createMigratedTenants({ directory: 'migrations', tenants: ['acme', 'globex'] });
 * const [acme, globex] = kit.tenants;
 * await acme!.db.query('CREATE person:1 SET name = "Ada"');
 * await kit.dispose();
 * ```
 */
export async function createMigratedTenants(options: MigratedTenantsOptions = {}): Promise<MigratedTenants> {
  const namespace = options.namespace ?? 'test';
  const targets = tenantTargets(options.tenants ?? DEFAULT_TENANTS, namespace);
  const directory = options.directory ?? 'migrations';
  const table = options.table === undefined ? {} : { table: options.table };
  const manager = await MigrationManager.create({
    url: 'mem://',
    // A test's own private engine: nothing of the user's to lose.
    acceptDataLoss: true,
    checkData: false,
    ...(options.surrealdb === undefined ? {} : { surrealdb: options.surrealdb }),
    namespace,
    targets,
    directory,
    ...table,
    logger: false,
  });
  emptyOnClose(manager.db);
  try {
    const applied = await manager.runMigrationUp();
    const tenants = await Promise.all(
      targets.map(async (target) => {
        const tenant = manager.forTarget(target);
        return { ...target, db: await tenant.session(), manager: tenant };
      }),
    );
    return {
      db: manager.db,
      manager,
      tenants,
      applied,
      moduleOptions: { client: manager.db, targets, directory, mode: 'validate', logger: false, ...table },
      dispose: () => manager.close(),
    };
  } catch (error) {
    await manager.close();
    throw error;
  }
}

function tenantTargets(
  tenants: NonNullable<MigratedTenantsOptions['tenants']>,
  namespace: string,
): readonly MigrationTarget[] {
  if (typeof tenants === 'number') {
    if (!Number.isSafeInteger(tenants) || tenants < 1) {
      throw new MigrationArgumentError(`createMigratedTenants: tenants must be a whole number >= 1, got ${tenants}.`);
    }
    return Array.from({ length: tenants }, (_, i) => ({ namespace, database: `tenant_${i + 1}` }));
  }
  if (!Array.isArray(tenants) || tenants.length === 0) {
    throw new MigrationArgumentError(
      'createMigratedTenants: tenants must be a count, a list of database names, or a list of ' +
        '`{ namespace, database }`, with at least one.',
    );
  }
  const list = tenants.map((t: string | MigrationTarget) => (typeof t === 'string' ? { namespace, database: t } : t));
  try {
    return checkTargets(list, 'tenants');
  } catch (error) {
    const { field, problem } = error as MigrationOptionsError;
    throw new MigrationArgumentError(`createMigratedTenants: \`${field}\`: ${problem}`);
  }
}
