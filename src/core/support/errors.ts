/**
 * Every error this library throws extends {@link MigrationsError} and carries a stable `code`
 * that callers (and the CLI's exit codes) can switch on. Messages say what to do next.
 *
 * This file: the base class, the codes, and the errors of the caller's own input (options,
 * arguments). The other families: state-errors.ts (what the folder, history or schema hold),
 * run-errors.ts (a run that failed or stopped), database-errors.ts (the database itself).
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
  | 'DATA_LOSS'
  | 'INVALID_ROWS'
  | 'REPEATABLE_FAILED'
  | 'REPEATABLE_NOT_IDEMPOTENT'
  | 'REPEATABLE_DELETED'
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
