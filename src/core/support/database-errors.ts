/** Errors of the database itself: unreachable, or refusing a request of the tool's own. */
import { MigrationsError } from './errors.js';

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
