/**
 * What the manager's reads, runs and analyses answer: the shapes of its public reports.
 */
import type { MigrationDirection } from '../support/errors.js';
import type { ChecksumMismatch } from '../support/state-errors.js';
import type { FailedRecord } from '../history/history-records.js';
import type { MigrationMode, MigrationTarget, TargetFailurePolicy } from '../options/options.js';
import type { SchemaKind } from '../shadow/shadow.js';
import type { ComputedDefinition } from '../analysis/computed-definitions.js';
import type { DataLossEntry, InvalidRowsEntry } from '../support/data-errors.js';

/** The answer of {@link MigrationManager.status}; the admin route and `surreal-migrate status --json` serve it. */
export interface MigrationStatus {
  /** Highest applied version; 0 when none. */
  currentVersion: number;
  /** Highest discovered version. */
  latestVersion: number;
  applied: {
    version: number;
    name: string;
    appliedAt: Date | undefined;
    checksum?: string;
    durationMs?: number;
    /** true: file matches; false: file changed; null: no checksum stored (adopted history). */
    verified: boolean | null;
  }[];
  pending: { version: number; name: string; file: string }[];
  drifted: ChecksumMismatch[];
  missing: { version: number; name: string | undefined }[];
  /** Applied versions above the newest file: applied by a newer release of the app. */
  future: { version: number; name: string | undefined }[];
  failed: FailedRecord[];
  /** The repeatable definitions (`repeatable/`): see {@link RepeatableReport}. */
  repeatable: RepeatableReport;
  /**
   * Nothing pending (versions or repeatable definitions), failed, changed or (unless
   * `allowMissing`) missing, and no repeatable file deleted when `onDeletedRepeatable` is `'fail'`.
   * With `targets`: on every target.
   */
  ok: boolean;
  /**
   * One entry per target (one for a single database). With `targets`, the fields above sum them
   * up: `currentVersion` is the lowest, a migration is `applied` when it is applied on every
   * target and `pending` (or changed, missing, future) when it is on any, and `failed` lists every
   * target's failed records.
   */
  targets: TargetStatus[];
}

/**
 * The repeatable definitions against their records: `pending`, the files never applied or whose
 * text changed since (the next run to the latest applies them, in this order); `deleted`, the
 * records whose file is gone (what they defined stays in the database). With `targets`: on any.
 */
export interface RepeatableReport {
  /** Changed or new files, in the order a run applies them: name (without `.surql`) and path. */
  pending: { name: string; file: string }[];
  /** Records whose file is gone: name, and when it was last applied. */
  deleted: { name: string; appliedAt: Date | undefined }[];
}

/** {@link MigrationStatus.targets}: one target's status. */
export interface TargetStatus extends Omit<MigrationStatus, 'targets'> {
  namespace: string;
  database: string;
  /** Why this target's status could not be read (its lists are then empty); null when it was. */
  error: string | null;
}

/** {@link MigrationManager.drift}: the live schema against the one the applied migrations produce. */
export interface DriftReport {
  /** No object differs. */
  ok: boolean;
  /** `added`: in the live database only; `removed`: missing from it; `changed`: defined otherwise. */
  drift: {
    change: 'added' | 'removed' | 'changed';
    kind: SchemaKind;
    table: string | undefined;
    name: string;
    live: string | undefined;
    expected: string | undefined;
  }[];
  /** Migrations not applied yet, and so not expected in the live schema. */
  pending: { version: number; name: string; file: string }[];
  /**
   * Objects in both schemas with a clause the engine computed when it was defined (a param's
   * `VALUE time::now()`; on SurrealDB 3 also a `COMMENT`, a sequence's start, …, written as an
   * expression): those clauses are not compared, the rest of the definition is. Never drift.
   */
  computed: ComputedDefinition[];
}

/** {@link MigrationManager.probe}: what one readiness probe found. */
export interface MigrationsProbe {
  /** Highest applied version; 0 when none. */
  currentVersion: number;
  /** Highest discovered version. */
  latestVersion: number;
  /**
   * Discovered migrations not applied (a failed attempt not yet settled is counted in `failed`),
   * and repeatable definitions whose text changed since they were applied.
   */
  pending: number;
  /** Versions with a failed or in-progress record (a no-transaction migration stopped part-way). */
  failed: number[];
  /** History rows whose version cannot be read (`repair` removes them). */
  unreadable: number;
  /** The migration lock's holder, if the lock is held (expired or not). */
  lock: { host: string; pid: number; expiresAt: string | null } | null;
  /**
   * With `targets`, one entry per target (the fields above then sum them up: the lowest
   * `currentVersion`, the `pending` of all targets, every `failed` version); absent otherwise.
   */
  targets?: TargetProbe[];
}

/** {@link MigrationsProbe.targets}: what the probe found on one target. */
export interface TargetProbe {
  namespace: string;
  database: string;
  currentVersion: number;
  pending: number;
  failed: number[];
  unreadable: number;
  /** Why this target could not be probed; null when it was. */
  error: string | null;
}

/** {@link MigrationManager.settings}: the resolved options that are safe to show. */
export interface MigrationSettings {
  /** The URL with any credentials redacted; undefined when the app passed a `client`. */
  url: string | undefined;
  namespace: string | undefined;
  database: string | undefined;
  directory: string;
  table: string;
  mode: MigrationMode;
  /** With `targets`: the targets, as resolved at start-up (or the last `refresh()`). */
  targets: readonly MigrationTarget[] | undefined;
  /** Targets migrated at the same time (with `targets`). */
  concurrency: number;
  /** What a run over many targets does when one fails. */
  onTargetFailure: TargetFailurePolicy;
}

/** Arguments of {@link MigrationManager.rollback}: give `to` or `steps`, or nothing for one step. */
export interface RollbackOptions extends RunOptions {
  /** Leave this version applied and roll back everything above it; 0 rolls back everything. */
  to?: number;
  /** How many of the latest applied migrations to roll back. */
  steps?: number;
}

/** What one call that runs migrations may do to the data already there, over the options object's. */
export interface RunOptions {
  /** Run statements that delete data wholesale (see `DataLossError`); the options' `acceptDataLoss` by default. */
  acceptDataLoss?: boolean;
  /** Check the rows already there against the run's new definitions (see `InvalidRowsError`); the options' `checkData` by default. */
  checkData?: boolean;
}

/** What {@link MigrationManager.plan} would run. */
export interface MigrationPlan {
  direction: MigrationDirection;
  migrations: { version: number; name: string; file: string; statements: number; noTransaction: boolean }[];
  /**
   * What the run would be refused for, found as the run finds it (with the call's `acceptDataLoss`
   * and `checkData`): data it would delete (`DataLossError`), and rows its definitions would refuse
   * (`InvalidRowsError`). Empty where nothing would be refused, and where the database does not exist.
   */
  refusals: { dataLoss: DataLossEntry[]; invalidRows: InvalidRowsEntry[] };
  /**
   * Up to the latest (no `to`): the repeatable definitions the run would apply after the versions,
   * and those whose file is gone. Empty for a rollback, which leaves them alone.
   */
  repeatable: RepeatableReport;
}

/** The outcome of {@link MigrationManager.dryRun}. */
export interface DryRunReport {
  /** Migrations that ran inside the cancelled transaction and succeeded. */
  verified: { version: number; name: string; file: string }[];
  /** No-transaction migrations (and those after them) that a dry run cannot execute. */
  notVerifiable: { version: number; name: string; file: string }[];
  /**
   * True when the database does not exist. Nothing ran there (a dry run would create it): the
   * migrations were tried on an empty shadow database of the server's version instead (see the
   * `shadow` option), or, where no embedded engine is installed to build one, every migration is
   * in `notVerifiable`.
   */
  absent?: true;
  /**
   * The repeatable definitions a run would apply after the versions, verified after them in the
   * same cancelled transaction; absent when none would be, or when a no-transaction version
   * comes first (then they cannot be verified either).
   */
  repeatable?: { name: string; file: string }[];
}

/** Problems found by {@link MigrationManager.validate} that did not throw. */
export interface ValidationReport {
  warnings: string[];
  pending: number;
}
