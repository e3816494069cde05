/**
 * Every error this library throws extends {@link MigrationsError} and carries a stable `code`
 * that callers (and the CLI's exit codes) can switch on. Messages say what to do next.
 */

/** Stable error codes. */
export type MigrationsErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_ARGUMENT'
  | 'DISCOVERY_FAILED'
  | 'MIGRATION_FAILED'
  | 'MISSING_DOWN'
  | 'PENDING_MIGRATIONS'
  | 'CHECKSUM_MISMATCH'
  | 'MISSING_FILE'
  | 'OUT_OF_ORDER'
  | 'FAILED_MIGRATION_PENDING'
  | 'LOCK_TIMEOUT'
  | 'STOPPED'
  | 'DATABASE_UNREACHABLE'
  | 'UNREADABLE_HISTORY'
  | 'POSSIBLE_RENAME'
  | 'TARGETS_FAILED'
  | 'DATABASE_ERROR';

/** Up or down. */
export type MigrationDirection = 'up' | 'down';

/** Base class of every error thrown by this library. */
export abstract class MigrationsError extends Error {
  abstract readonly code: MigrationsErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option is missing or malformed. Thrown when the options are resolved, before any I/O. */
export class MigrationOptionsError extends MigrationsError {
  readonly code = 'INVALID_OPTIONS';

  constructor(
    /** The option at fault, e.g. `lock.ttlMs`. */
    readonly field: string,
    /** What is wrong with it, and what to do: the message without the option's name. */
    readonly problem: string,
  ) {
    super(`Invalid migrations option \`${field}\`: ${problem}`);
  }
}

/** A method was called with arguments that cannot be honoured (e.g. `rollback({ to, steps })`). */
export class MigrationArgumentError extends MigrationsError {
  readonly code = 'INVALID_ARGUMENT';
}

/** One problem found while reading the migrations folder. */
export interface DiscoveryProblem {
  /** Paths relative to the working directory. */
  files: string[];
  problem: string;
}

/**
 * The migrations folder holds something that cannot be run safely. Nothing was applied. Also
 * thrown for another file or folder the product reads as discovery does (`what` names it: a
 * desired schema, a targets file), when it holds an entry that is not a regular file.
 */
export class MigrationDiscoveryError extends MigrationsError {
  readonly code = 'DISCOVERY_FAILED';

  constructor(
    readonly directory: string,
    readonly problems: readonly DiscoveryProblem[],
    options?: { cause?: unknown; what?: string },
  ) {
    super(
      `Cannot load ${options?.what ?? 'migrations'} from ${directory}:\n` +
        problems.map((p) => `  - ${p.files.join(', ')}: ${p.problem}`).join('\n'),
      options,
    );
  }
}

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
      `Migration ${context.version} (${context.name || 'unnamed'}, ${context.direction}) failed at ${where}: ` +
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
  const oneLine = statement.replace(/\s+/g, ' ').trim();
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

/** `mode: 'validate'` found migrations that are not applied. */
export class PendingMigrationsError extends MigrationsError {
  readonly code = 'PENDING_MIGRATIONS';

  constructor(readonly pending: readonly { version: number; name: string; file: string }[]) {
    super(
      `${pending.length} migration(s) pending: ${pending
        .map((p) => p.file)
        .join(', ')}. This app starts in mode 'validate' and applies nothing: run the migrations ` +
        `first (for example \`npx surreal-migrate up\` in the deploy job), or start with mode 'apply'.`,
    );
  }
}

/** One applied migration whose file no longer matches what was applied. */
export interface ChecksumMismatch {
  version: number;
  name: string;
  file: string;
  stored: string;
  current: string;
}

/** An applied migration's file was edited after it was applied. */
export class ChecksumMismatchError extends MigrationsError {
  readonly code = 'CHECKSUM_MISMATCH';

  constructor(readonly mismatches: readonly ChecksumMismatch[]) {
    super(
      `Applied migration(s) changed on disk:\n` +
        mismatches.map((m) => `  - ${m.version} ${m.file}: applied ${m.stored}, now ${m.current}`).join('\n') +
        `\n  Restore the applied text and add a new migration for the change. If the edit is ` +
        `harmless (comments, formatting), accept it with manager.repair({ changed: true }) or ` +
        `\`surreal-migrate repair --changed\`.`,
    );
  }
}

/** Applied migrations whose files are gone. */
export class MissingMigrationFileError extends MigrationsError {
  readonly code = 'MISSING_FILE';

  constructor(readonly missing: readonly { version: number; name: string | undefined }[]) {
    super(
      `Applied migration(s) have no file in the migrations folder: ${missing
        .map((m) => `${m.version}${m.name ? ` (${m.name})` : ''}`)
        .join(', ')}. Restore the file(s), or set allowMissing: true to only warn.`,
    );
  }
}

/** A pending migration is older than the newest applied one. */
export class OutOfOrderMigrationError extends MigrationsError {
  readonly code = 'OUT_OF_ORDER';

  constructor(
    readonly pending: readonly { version: number; file: string }[],
    readonly highestApplied: number,
  ) {
    super(
      `Pending migration(s) ${pending
        .map((p) => `${p.version} (${p.file})`)
        .join(', ')} are older than the newest applied version ${highestApplied}. ` +
        `Renumber them above ${highestApplied}, or set allowOutOfOrder: true to apply them anyway.`,
    );
  }
}

/** A no-transaction migration failed part-way and its record still stands. */
export class FailedMigrationPendingError extends MigrationsError {
  readonly code = 'FAILED_MIGRATION_PENDING';

  constructor(
    readonly failed: readonly {
      version: number;
      name: string;
      file: string;
      statementsApplied: number;
      error: string;
    }[],
  ) {
    super(
      `Migration(s) failed part-way outside a transaction and need an operator:\n` +
        failed
          .map((f) => `  - ${f.version} ${f.file}: ${f.statementsApplied} statement(s) applied, then: ${f.error}`)
          .join('\n') +
        `\n  Fix the database by hand, then call manager.resolve(version, 'applied') if the ` +
        `migration is now complete, manager.resolve(version, 'rolled-back') if its effects are ` +
        `undone, or manager.resolve(version, 'resume', { after: n }) to run the rest after statement n ` +
        `(CLI: surreal-migrate resolve <version> --applied|--rolled-back|--resume-after <n>).`,
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

/** The database could not be reached within the connect budget. Nothing was attempted. */
export class DatabaseUnreachableError extends MigrationsError {
  readonly code = 'DATABASE_UNREACHABLE';

  constructor(
    /** The URL with credentials redacted. */
    readonly url: string,
    readonly attempts: number,
    cause: unknown,
    /** `'request'`: connected, but a request of the tool's own got no answer in time. */
    readonly stage: 'connect' | 'request' = 'connect',
  ) {
    super(
      stage === 'connect'
        ? `Cannot reach SurrealDB at ${url} after ${attempts} attempt(s): ${
            cause instanceof Error ? cause.message : String(cause)
          }. Check the URL, that the server is running, and the credentials; tune connect.timeoutMs, ` +
            `connect.retries and connect.backoffMs for slow starts.`
        : `SurrealDB at ${url} stopped answering: a request sent ${attempts} time(s) got ${
            cause instanceof Error ? cause.message : String(cause)
          }. Check that the server is alive; each attempt waits connect.timeoutMs, and the attempts stop ` +
            `after lock.waitTimeoutMs.`,
      { cause },
    );
  }
}

/**
 * SurrealDB refused a request of the tool's own (the history, the lock, a schema read), not one of
 * a migration's: the server's message is inside, and the cause is the driver's error.
 */
export class DatabaseRequestError extends MigrationsError {
  readonly code = 'DATABASE_ERROR';

  constructor(
    /** The server's (or the driver's) message. */
    readonly reason: string,
    cause: unknown,
    /** What to do; by default, check the server's version and the user's rights. */
    advice = 'Check that the server is SurrealDB 2.4 or later (or 3.x) and that the user may define and write ' +
      'tables in this database.',
  ) {
    super(`SurrealDB refused a request of the migrations tool's own: ${reason}. ${advice}`, { cause });
  }
}

/** History rows whose `version` cannot be read as a whole number. Nothing was applied. */
export class UnreadableHistoryError extends MigrationsError {
  readonly code = 'UNREADABLE_HISTORY';

  constructor(
    readonly table: string,
    /** The rows at fault: their record id, and the version they hold (undefined when none). */
    readonly rows: readonly { id: string; version: unknown }[],
  ) {
    super(
      `The history table ${table} has row(s) whose version cannot be read as a whole number: ` +
        rows
          .map(
            (r) =>
              `${r.id} (${r.version === undefined || r.version === null ? 'no version' : `version ${JSON.stringify(r.version)}`})`,
          )
          .join(', ') +
        `. Nothing was applied. Give them their version by hand, or remove them with \`surreal-migrate repair\` ` +
        `(manager.repair()).`,
    );
  }
}

/**
 * `diff` found an object removed and another of the same kind added in the same table (or two
 * tables): that could be a rename, which REMOVE and DEFINE would not do. Nothing was written.
 */
export class PossibleRenameError extends MigrationsError {
  readonly code = 'POSSIBLE_RENAME';

  constructor(
    readonly removed: string,
    readonly added: string,
  ) {
    super(
      `diff: ${removed} is removed and ${added} is added: that could be a rename, which REMOVE and DEFINE ` +
        `would not do (the data would be lost). Nothing was written. Write that migration by hand (for a ` +
        `field: add the new one, copy the values, then remove the old one), then diff again.`,
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
