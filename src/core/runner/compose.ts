/**
 * The parts of one database's runner, put together: the bounded client of the bookkeeping
 * requests, the history, the lock, and the runner core over them. For one connection (or a
 * target's session on it) and one set of resolved options; the manager and the shadow database
 * are built on it.
 */
import type { Surreal } from 'surrealdb';
import { DatabaseUnreachableError } from '../support/database-errors.js';
import { BoundedClient, type SessionLike } from '../db/session.js';
import { HistoryStore } from '../history/history-store.js';
import { MigrationLock } from '../lock/migration-lock.js';
import type { MigrationEvents } from '../events/migration-events.js';
import type { RunnerFiles } from './runner-context.js';
import type { ResolvedMigrationsOptions } from '../options/options.js';
import { RunnerCore } from './runner-core.js';

/** What {@link composeRunner} is given. */
export interface RunnerSetup {
  /** Where the migrations run: the connection, or a target's session on it. */
  readonly db: SessionLike;
  /** The connection the sessions of `db` share. */
  readonly connection: Surreal;
  /** The database, as errors name it (the URL redacted, and the target). */
  readonly where: string;
  readonly options: ResolvedMigrationsOptions;
  readonly events: MigrationEvents;
  /** The discovered scripts, read at each run (a refresh may replace them). */
  files(): RunnerFiles;
}

/** One database's runner and the parts it runs on. */
export interface RunnerParts {
  /** The bookkeeping requests' client: each request bounded, tried again within the lock's wait. */
  readonly bookkeeping: BoundedClient;
  readonly history: HistoryStore;
  readonly lock: MigrationLock;
  readonly core: RunnerCore;
}

/** Builds the history, the lock and the runner core of one database. Sends nothing. */
export function composeRunner(setup: RunnerSetup): RunnerParts {
  const { db, connection, where, options, events, files } = setup;
  const logger = options.logger;
  const bookkeeping = new BoundedClient(
    db,
    {
      attemptMs: options.connect.timeoutMs,
      budgetMs: Math.max(options.lock.waitTimeoutMs, options.connect.timeoutMs),
    },
    (attempts, cause) => new DatabaseUnreachableError(where, attempts, cause, 'request'),
  );
  const history = new HistoryStore(bookkeeping, options);
  const lock = new MigrationLock(bookkeeping, db, options, logger);
  const core = new RunnerCore({ db, connection, where, options, history, lock, events, logger, files });
  return { bookkeeping, history, lock, core };
}
