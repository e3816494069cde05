/**
 * The options object of the core, the Nest module and the CLI, its resolved form, and every
 * default (DEFAULT_*) in one place. Resolving and validating it: resolve-options.ts.
 */
import type { Surreal } from 'surrealdb';
import type { MigrationEventHandlers } from '../events/migration-events.js';
import type { MigrationTarget } from '../support/target.js';
import type { Redactor } from '../support/secrets.js';

/** Defaults, in one place. Every other module reads resolved options, never a default of its own. */
export const DEFAULT_DIRECTORY = 'migrations';
export const DEFAULT_TABLE = '_sbl_migrations';
export const DEFAULT_MODE: MigrationMode = 'apply';
export const DEFAULT_LOCK_TTL_MS = 30_000;
export const DEFAULT_LOCK_WAIT_TIMEOUT_MS = 300_000;
export const DEFAULT_LOCK_RETRY_MS = 250;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_CONNECT_RETRIES = 3;
export const DEFAULT_CONNECT_BACKOFF_MS = 500;
export const DEFAULT_VALIDATE_CHECKSUMS = true;
export const DEFAULT_ALLOW_MISSING = false;
export const DEFAULT_ALLOW_OUT_OF_ORDER = false;
export const DEFAULT_ACCEPT_DATA_LOSS = false;
export const DEFAULT_CHECK_DATA = true;
/** Targets migrated at the same time (each target's own migrations still run one after another). */
export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_ON_TARGET_FAILURE: TargetFailurePolicy = 'stop';
/** A repeatable definition whose file is gone (its definitions stay in the database): said in a warning. */
export const DEFAULT_ON_DELETED_REPEATABLE: DeletedRepeatablePolicy = 'warn';
/** The SurrealDB major version of the embedded engine, and of an offline analysis's shadow. */
export const DEFAULT_SURREALDB: SurrealDbMajor = 3;
/** Where the schemas of folders are kept (schema-cache.ts), relative to the working directory. */
export const DEFAULT_SCHEMA_CACHE = 'node_modules/.cache/nestjs-surrealdb-migrations';

/** A SurrealDB major version this library speaks (2.4 and later, 3.x). */
export type SurrealDbMajor = 2 | 3;

/**
 * Where analyses build their shadow database: the folder applied to a scratch database on a server
 * of your own, made with a unique name and removed afterwards (on failure too). Any server the SDK
 * accepts, so the shadow speaks exactly that server's version. Without it, the shadow is embedded:
 * SurrealDB 3 from `@surrealdb/node`, or 2 from `@surrealdb/wasm` (see `surrealdb`).
 */
export interface ShadowOptions {
  /** `ws(s)://host:port` or `http(s)://host:port`. */
  url: string;
  /** Credentials allowed to define and remove a namespace there. */
  auth?: MigrationAuth;
}

/**
 * What the module does at application bootstrap.
 * - `'apply'`: apply every pending migration before the app listens.
 * - `'validate'`: apply nothing; fail bootstrap if anything is pending, failed or drifted.
 * - `'off'`: do nothing at bootstrap; the services are still provided.
 */
export type MigrationMode = 'apply' | 'validate' | 'off';

export type { MigrationTarget } from '../support/target.js';

/**
 * The databases to migrate: a list, or a function called once the connection is open (with the
 * connected client, on the `namespace`/`database` the options name, if any) that returns them,
 * for example from a tenants table or from `INFO FOR NS` (see `allDatabases`).
 */
export type MigrationTargets =
  readonly MigrationTarget[] | ((client: Surreal) => readonly MigrationTarget[] | Promise<readonly MigrationTarget[]>);

/**
 * What a run over many targets does when one of them fails.
 * - `'stop'`: start no further target, let the running ones finish, and fail.
 * - `'continue'`: migrate every other target, then fail with every failure.
 */
export type TargetFailurePolicy = 'stop' | 'continue';

/** What a run does when a repeatable definition's file is gone: log a warning, or refuse to run. */
export type DeletedRepeatablePolicy = 'warn' | 'fail';

/** Root or namespace credentials, sent only to remote URLs. */
export interface MigrationAuth {
  username: string;
  password: string;
  /** For namespace or database users. */
  namespace?: string;
  database?: string;
}

/** The migration lock (a lease record). Any subset may be given. */
export interface MigrationLockOptions {
  /**
   * How long a lease lasts without renewal. The holder renews it every third of this.
   * A crashed holder's lease is taken over once it has expired. At least 100 ms.
   * @default DEFAULT_LOCK_TTL_MS (30 s)
   */
  ttlMs: number;
  /**
   * How long a replica waits for another replica's lock before it gives up with
   * `MigrationLockError`.
   * @default DEFAULT_LOCK_WAIT_TIMEOUT_MS (5 min)
   */
  waitTimeoutMs: number;
  /**
   * Base delay between attempts while waiting; backoff doubles it up to 8× with jitter.
   * @default DEFAULT_LOCK_RETRY_MS (250 ms)
   */
  retryMs: number;
}

/**
 * Connecting to the database. The default budget, 4 attempts of at most 3 s with 0.5 + 1 + 2 s
 * between them, stays under 20 seconds.
 */
export interface MigrationConnectOptions {
  /**
   * Time allowed for one connection attempt.
   * @default DEFAULT_CONNECT_TIMEOUT_MS (3 s)
   */
  timeoutMs: number;
  /**
   * Further attempts after the first one fails.
   * @default DEFAULT_CONNECT_RETRIES (3)
   */
  retries: number;
  /**
   * Delay before the first retry; doubles for each further one.
   * @default DEFAULT_CONNECT_BACKOFF_MS (500 ms)
   */
  backoffMs: number;
}

/** A logger; Nest's `Logger` fits. `false` silences the library. */
export interface MigrationLogger {
  log(message: string, ...optional: unknown[]): unknown;
  warn(message: string, ...optional: unknown[]): unknown;
  error(message: string, ...optional: unknown[]): unknown;
}

/**
 * Options of the migrations core, the Nest module and the CLI alike.
 *
 * Give either `url` (with `namespace` and `database`, or `targets`) or `client`.
 */
export interface MigrationsOptions {
  /**
   * `mem://`, `surrealkv://path`, `rocksdb://path` (embedded, no server) or
   * `ws(s)://host:port`, `http(s)://host:port` (a SurrealDB server).
   */
  url?: string;
  namespace?: string;
  database?: string;
  /**
   * Many databases instead of one (`namespace`/`database` then only select where the connection,
   * and a `targets` function, starts). Each target keeps its own history, lock and failed records
   * in its own database; the same folder is applied to all.
   */
  targets?: MigrationTargets;
  /**
   * With `targets`: how many targets are migrated at the same time.
   * @default DEFAULT_CONCURRENCY (8)
   */
  concurrency?: number;
  /**
   * With `targets`: what a run does when a target fails.
   * @default DEFAULT_ON_TARGET_FAILURE ('stop')
   */
  onTargetFailure?: TargetFailurePolicy;
  /**
   * A repeatable definition (`repeatable/<name>.surql`) applied once and whose file is gone: its
   * definitions stay in the database. `'warn'` logs it at every run; `'fail'` refuses to run
   * (`DeletedRepeatableError`) until its record is forgotten (`repair`).
   * @default DEFAULT_ON_DELETED_REPEATABLE ('warn')
   */
  onDeletedRepeatable?: DeletedRepeatablePolicy;
  /** Credentials for remote URLs. Embedded engines run without sign-in. */
  auth?: MigrationAuth;
  /**
   * The SurrealDB major version to speak where no server is asked: the engine behind an embedded
   * `url` (`mem://` runs SurrealDB 2 from `@surrealdb/wasm`, which has no other embedded store), and
   * the shadow of the offline analyses (lint, schema, diff). Where a server is connected, its own
   * version decides instead.
   * @default DEFAULT_SURREALDB (3)
   */
  surrealdb?: SurrealDbMajor;
  /** A shadow database on a server of your own, instead of the embedded engine. */
  shadow?: ShadowOptions;
  /**
   * Where the schema a folder's migrations produce is kept (drift, schema, diff), by the folder's
   * checksums and the engine's version, so that an unchanged folder builds no shadow again; the
   * folder may be deleted at any time. `false`: nothing kept, in memory or on disk. Embedded
   * shadows only.
   * @default DEFAULT_SCHEMA_CACHE ('node_modules/.cache/nestjs-surrealdb-migrations')
   */
  schemaCache?: string | false;
  /**
   * A `Surreal` instance the app has already connected (namespace and database selected).
   * It is used as is and never closed by this library.
   */
  client?: Surreal;
  /**
   * The folder of migration scripts, relative to the working directory.
   * @default DEFAULT_DIRECTORY ('migrations')
   */
  directory?: string;
  /**
   * The history table. The lock and failed-attempt tables take it as a prefix.
   * @default DEFAULT_TABLE ('_sbl_migrations')
   */
  table?: string;
  /** @default DEFAULT_MODE ('apply') */
  mode?: MigrationMode;
  lock?: Partial<MigrationLockOptions>;
  connect?: Partial<MigrationConnectOptions>;
  /**
   * Refuse to start when an applied migration's file changed.
   * @default DEFAULT_VALIDATE_CHECKSUMS (true)
   */
  validateChecksums?: boolean;
  /**
   * Only warn, instead of failing, when an applied migration has no file any more.
   * @default DEFAULT_ALLOW_MISSING (false)
   */
  allowMissing?: boolean;
  /**
   * Apply pending migrations older than the newest applied one, instead of failing.
   * @default DEFAULT_ALLOW_OUT_OF_ORDER (false)
   */
  allowOutOfOrder?: boolean;
  /**
   * Run migrations that delete data wholesale (`REMOVE TABLE` or a `DELETE` of a whole table over
   * rows, `REMOVE DATABASE`, `REMOVE NAMESPACE`), instead of refusing them with `DataLossError`
   * before anything is applied. A file allows its own with `-- migrate:allow-data-loss`; each call
   * that runs migrations takes it too.
   * @default DEFAULT_ACCEPT_DATA_LOSS (false)
   */
  acceptDataLoss?: boolean;
  /**
   * Before a run applies anything, find the rows already there that its new or changed definitions
   * would refuse (a field's `TYPE` or `ASSERT`, a field removed from a SCHEMAFULL table, a table
   * made SCHEMAFULL, a `REFERENCE` to a missing record), and refuse the run with `InvalidRowsError`.
   * A file allows its own with `-- migrate:allow-invalid-rows`; each call that runs migrations
   * takes it too. `false` skips the check.
   * @default DEFAULT_CHECK_DATA (true)
   */
  checkData?: boolean;
  /** Event callbacks, for metrics and the like. */
  on?: Partial<MigrationEventHandlers>;
  /**
   * Where the library logs. The Nest module passes a Nest `Logger`; `false` is silent.
   * @default console-free silent logger in the core, Nest `Logger('Migrations')` in the module
   */
  logger?: MigrationLogger | false;
}

/** Options after defaults and validation. */
export interface ResolvedMigrationsOptions {
  url: string | undefined;
  namespace: string | undefined;
  database: string | undefined;
  targets: MigrationTargets | undefined;
  concurrency: number;
  onTargetFailure: TargetFailurePolicy;
  onDeletedRepeatable: DeletedRepeatablePolicy;
  auth: MigrationAuth | undefined;
  surrealdb: SurrealDbMajor;
  shadow: ShadowOptions | undefined;
  /** An absolute path, or false. */
  schemaCache: string | false;
  client: Surreal | undefined;
  directory: string;
  table: string;
  lockTable: string;
  failedTable: string;
  /** The records of the repeatable definitions: `<table>_repeatable`. */
  repeatableTable: string;
  mode: MigrationMode;
  lock: MigrationLockOptions;
  connect: MigrationConnectOptions;
  validateChecksums: boolean;
  allowMissing: boolean;
  allowOutOfOrder: boolean;
  acceptDataLoss: boolean;
  checkData: boolean;
  on: Partial<MigrationEventHandlers>;
  /** Masks every lines it writes with {@link redactor}. */
  logger: MigrationLogger;
  /** Knows the configured secrets: every output boundary masks them with it. */
  redactor: Redactor;
}
