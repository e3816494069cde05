export { MigrationsModule } from './nest/migrations.module.js';
export {
  MIGRATIONS_OPTIONS,
  type MigrationsModuleAsyncOptions,
  type MigrationsModuleOptions,
} from './nest/migrations.module-definition.js';
export { MigrationManager } from './core/manager/migration-manager.js';
export {
  type DryRunReport,
  type MigrationPlan,
  type DriftReport,
  type MigrationSettings,
  type MigrationsProbe,
  type MigrationStatus,
  type RepeatableReport,
  type RollbackOptions,
  type RunOptions,
  type TargetProbe,
  type TargetStatus,
  type ValidationReport,
} from './core/manager/reports.js';
export { MigrationRunner, type MigrationResult } from './core/runner/migration-runner.js';
export { MIGRATIONS_READY, type MigrationsReady } from './nest/migrations.ready.js';
export {
  lintMigrations,
  type LintOptions,
  type LintProblem,
  type LintProblemKind,
  type LintReport,
} from './core/analysis/lint.js';
export { generateTypes, type TypesOptions } from './core/analysis/generate-types.js';
export {
  MigrationEvents,
  type MigrationEventHandlers,
  type MigrationEventMap,
  type MigrationEventName,
} from './core/events/migration-events.js';
export type { MigrationProgress, MigrationProgressListener } from './core/events/progress.js';
export type { MigrationFile } from './core/files/migration-files.js';
export type { RepeatableFile } from './core/files/repeatable-files.js';
export type { SchemaKind } from './core/shadow/shadow.js';
export type { ComputedDefinition } from './core/analysis/computed-definitions.js';
export type { AppliedRecord, FailedRecord } from './core/history/history-records.js';
export {
  DEFAULT_ALLOW_MISSING,
  DEFAULT_ALLOW_OUT_OF_ORDER,
  DEFAULT_CONCURRENCY,
  DEFAULT_ON_TARGET_FAILURE,
  DEFAULT_ON_DELETED_REPEATABLE,
  DEFAULT_CONNECT_BACKOFF_MS,
  DEFAULT_CONNECT_RETRIES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DIRECTORY,
  DEFAULT_LOCK_RETRY_MS,
  DEFAULT_LOCK_TTL_MS,
  DEFAULT_LOCK_WAIT_TIMEOUT_MS,
  DEFAULT_MODE,
  DEFAULT_SCHEMA_CACHE,
  DEFAULT_SURREALDB,
  DEFAULT_TABLE,
  DEFAULT_VALIDATE_CHECKSUMS,
  type MigrationAuth,
  type MigrationConnectOptions,
  type MigrationLockOptions,
  type MigrationLogger,
  type MigrationMode,
  type MigrationsOptions,
  type ShadowOptions,
  type SurrealDbMajor,
  type MigrationTarget,
  type MigrationTargets,
  type TargetFailurePolicy,
  type DeletedRepeatablePolicy,
} from './core/options/options.js';
export { allDatabases } from './core/tenants/targets.js';
export {
  MigrationArgumentError,
  MigrationOptionsError,
  MigrationsError,
  type MigrationDirection,
  type MigrationsErrorCode,
} from './core/support/errors.js';
export { DatabaseRequestError, DatabaseUnreachableError } from './core/support/database-errors.js';
export {
  DataLossError,
  InvalidRowsError,
  type DataLossEntry,
  type InvalidRowsEntry,
} from './core/support/data-errors.js';
export {
  DeletedRepeatableError,
  NonIdempotentRepeatableError,
  RepeatableError,
  type RepeatableLocation,
} from './core/support/repeatable-errors.js';
export {
  TargetsFailedError,
  MigrationError,
  MigrationLockError,
  MigrationsStoppedError,
  MissingDownMigrationError,
  type LockHolder,
  type MigrationFailureContext,
  type TargetFailure,
} from './core/support/run-errors.js';
export {
  ChecksumMismatchError,
  UnreadableHistoryError,
  PossibleRenameError,
  FailedMigrationPendingError,
  MigrationDiscoveryError,
  MissingMigrationFileError,
  OutOfOrderMigrationError,
  PendingMigrationsError,
  type ChecksumMismatch,
  type DiscoveryProblem,
} from './core/support/state-errors.js';
