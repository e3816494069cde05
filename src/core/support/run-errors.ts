/**
 * Errors of a run that failed or was stopped: a migration script, a missing down script, the lock,
 * a stop request, and a run over many targets.
 */
import { MigrationsError, type MigrationDirection } from './errors.js';
import { maskStatementSecrets } from './secrets.js';

/** Where a migration failed. */
export interface MigrationFailureContext {
  version: number;
  name: string;
  /** The script, relative to the working directory. */
  file: string;
  direction: MigrationDirection;
  /** The failing statement's text, when it is known. */
  statement?: string;
  /** 1-based line and column in `file` where the failing statement (or parse error) is. */
  line?: number;
  column?: number;
  /** SurrealDB's own message. */
  reason: string;
  cause?: unknown;
}

/**
 * A migration script failed. In a transactional migration nothing of it was kept, and no history
 * row was written (up) or deleted (down).
 */
export class MigrationError extends MigrationsError {
  readonly code = 'MIGRATION_FAILED';
  readonly version: number;
  /**
   * The migration's name. (`name` keeps its JavaScript meaning, the error class name, so that
   * loggers and `err.name === 'MigrationError'` checks work as everywhere else.)
   */
  readonly migrationName: string;
  readonly file: string;
  readonly direction: MigrationDirection;
  readonly statement: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** SurrealDB's own message, without the location prefix. */
  readonly reason: string;
  /**
   * In a rollback of several steps: the migrations rolled back before this one failed, newest
   * first. They stay rolled back. Empty otherwise.
   */
  rolledBack: readonly { version: number; name: string }[] = [];

  constructor(context: MigrationFailureContext, hint?: string) {
    const where =
      context.line === undefined
        ? context.file
        : `${context.file}:${context.line}${context.column === undefined ? '' : `:${context.column}`}`;
    super(
      // Version 0 is no migration's: a repeatable definition checked with the run's scripts.
      (context.version === 0
        ? `Repeatable definition ${context.name} failed at ${where}: `
        : `Migration ${context.version} (${context.name || 'unnamed'}, ${context.direction}) failed at ${where}: `) +
        `${context.reason}` +
        (context.statement ? `\n  statement: ${abbreviate(context.statement)}` : '') +
        `\n  ${hint ?? defaultHint(context.direction)}`,
      { cause: context.cause },
    );
    this.version = context.version;
    this.migrationName = context.name;
    this.file = context.file;
    this.direction = context.direction;
    this.statement = context.statement;
    this.line = context.line;
    this.column = context.column;
    this.reason = context.reason;
  }
}

function defaultHint(direction: MigrationDirection): string {
  return direction === 'up'
    ? 'Nothing of this migration was applied. Fix the script and start again.'
    : 'Nothing of this rollback was applied. Fix the down script and run the rollback again.';
}

function abbreviate(statement: string): string {
  const oneLine = maskStatementSecrets(statement).replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}

/** A rollback needs a down script that does not exist. Nothing was rolled back. */
export class MissingDownMigrationError extends MigrationsError {
  readonly code = 'MISSING_DOWN';

  constructor(readonly versions: readonly { version: number; name: string; expectedFile: string }[]) {
    super(
      `Cannot roll back: no down script for ${versions
        .map((v) => `version ${v.version} (${v.name || 'unnamed'})`)
        .join(', ')}. Nothing was rolled back. Add ${versions
        .map((v) => v.expectedFile)
        .join(', ')}, or roll back to a version above it.`,
    );
  }
}

/** Holder of the migration lock, as recorded in the lock record. */
export interface LockHolder {
  host: string;
  pid: number;
  token: string;
  acquiredAt?: Date | undefined;
  expiresAt?: Date | undefined;
}

/**
 * The migration lock stayed held by another process for longer than `lock.waitTimeoutMs`, or this
 * process lost its lease to another one while migrating (`lost`).
 */
export class MigrationLockError extends MigrationsError {
  readonly code = 'LOCK_TIMEOUT';
  /** True when this process held the lock and another took it over (its lease had expired). */
  readonly lost: boolean;

  constructor(
    readonly holder: LockHolder | undefined,
    readonly waitedMs: number,
    options: { lost?: boolean; detail?: string } = {},
  ) {
    super(
      options.lost
        ? `This process lost the migration lock ${options.detail ?? ''}: its lease expired (a pause longer than ` +
            `lock.ttlMs?) and another process took it over and now runs the migrations. Nothing more was ` +
            `applied here. Start again; if pauses are expected, raise lock.ttlMs.`
        : `Timed out after ${waitedMs} ms waiting for the migration lock` +
            (holder
              ? `, held by ${holder.host} pid ${holder.pid} (${holder.token}) until ${holder.expiresAt?.toISOString() ?? 'unknown'}`
              : '') +
            `. If that process is gone the lease expires by itself; otherwise wait for it, raise ` +
            `lock.waitTimeoutMs, or, when you are sure no migration runs, call manager.forceUnlock().`,
    );
    this.lost = options.lost ?? false;
  }
}

/** A run was stopped (application shutdown, `close()`) with migrations still to do. */
export class MigrationsStoppedError extends MigrationsError {
  readonly code = 'STOPPED';

  constructor(
    /** Migrations left undone, when known. */
    readonly remaining: number | undefined,
  ) {
    super(
      `Stopped (shutdown or close()) with ${remaining ?? 'some'} migration(s) still to run; a migration in ` +
        `progress was let finish, and the lock was released. The next start applies the rest.`,
    );
  }
}

/** One target's failure in a run over many targets. */
export interface TargetFailure {
  namespace: string;
  database: string;
  /** What that target's run threw (a `MigrationError`, `MigrationLockError`, ...). */
  error: Error;
}

/**
 * A run over many targets (`targets` option) failed on at least one of them. Each failed target
 * kept its own history consistent: its failed migration left nothing, the ones before it stay
 * applied, and the next run carries on from there. Targets not started are listed apart.
 */
export class TargetsFailedError extends MigrationsError {
  readonly code = 'TARGETS_FAILED';

  constructor(
    readonly failures: readonly TargetFailure[],
    /** Targets not started, under `onTargetFailure: 'stop'` (or after a stop request). */
    readonly notStarted: readonly { namespace: string; database: string }[],
    /** How many targets the run covered. */
    readonly total: number,
    /** What failed (`'validate'`: the start-up checks of `mode: 'validate'`), and why targets were not started. */
    context: { action?: 'migrate' | 'validate'; stopped?: boolean } = {},
  ) {
    const named = failures.slice(0, NAMED_FAILURES);
    super(
      `${context.action === 'validate' ? 'Validation' : 'Migrations'} failed on ${failures.length} of ${total} target(s)` +
        (notStarted.length > 0
          ? context.stopped
            ? `; ${notStarted.length} target(s) were not started (a stop was requested)`
            : `; ${notStarted.length} target(s) were not started (onTargetFailure 'stop'; ` +
              `'continue' migrates the others anyway)`
          : '') +
        `:\n` +
        named.map((f) => `  - ${f.namespace}/${f.database}: ${indent(f.error.message)}`).join('\n') +
        (failures.length > named.length ? `\n  - and ${failures.length - named.length} more (see failures)` : ''),
      { cause: failures[0]?.error },
    );
  }

  /** For loggers that serialise errors: each failure with its error's code and message. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      total: this.total,
      failures: this.failures.map(({ namespace, database, error }) => ({
        namespace,
        database,
        code: (error as { code?: unknown }).code ?? null,
        message: error.message,
      })),
      notStarted: this.notStarted,
    };
  }
}

/** How many failed targets the message of {@link TargetsFailedError} names (all are in `failures`). */
const NAMED_FAILURES = 20;

function indent(text: string): string {
  return text.replace(/\n/g, '\n    ');
}
