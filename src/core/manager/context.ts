/**
 * What one manager works with: its options, connection, folder, history, lock and runner core, and
 * the checks every public member goes through. Each part of the manager (reads, runs, operator
 * writes, lock admin, analyses) is given it.
 */
import type { Surreal } from 'surrealdb';
import { serverMajor, type MigrationConnection } from '../db/connection.js';
import { asLibraryError } from '../db/surreal-errors.js';
import { BoundedClient, type SessionLike } from '../db/session.js';
import { MigrationArgumentError } from '../support/errors.js';
import { DatabaseUnreachableError } from '../support/database-errors.js';
import { HistoryStore } from '../history/history-store.js';
import type { DiscoveredMigrations, MigrationFile } from '../files/migration-files.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { MigrationLock } from '../lock/migration-lock.js';
import { computeState, type MigrationState } from '../plan/migration-plan.js';
import type { MigrationResult } from '../runner/migration-runner.js';
import { RunnerCore } from '../runner/runner-core.js';
import { type MigrationTarget, type ResolvedMigrationsOptions } from '../options/options.js';
import { targetKey } from '../options/target-list.js';
import { redactUrl } from '../options/urls.js';
import type { ShadowSource } from '../shadow/shadow.js';
import type { TargetSession } from '../tenants/targets.js';
import { logOwnEvents, TargetEvents } from './target-events.js';
import type { MigrationSettings } from './reports.js';

/** The folder's scripts, shared with every `forTarget` manager (`refresh()` replaces them). */
export interface ManagerFiles {
  up: readonly MigrationFile[];
  down: readonly MigrationFile[];
  repeatable: readonly RepeatableFile[];
}

/** No scripts yet: a manager's files before discovery is read into them. */
export function noFiles(): ManagerFiles {
  return { up: [], down: [], repeatable: [] };
}

/** Where a manager works, and what it shares with the manager that made it. */
export interface Place {
  /** Its one database; undefined for a manager of many targets (or a client with none selected). */
  target: MigrationTarget | undefined;
  /** A forTarget manager's session on the shared connection. */
  session?: TargetSession;
  /** The context of the manager whose forTarget() made it. */
  parent?: ManagerContext;
  files: ManagerFiles;
}

/** One manager's state and guards; see the file's comment. */
export class ManagerContext {
  readonly options: ResolvedMigrationsOptions;
  /** The connection: opened by the first manager, shared by its `forTarget` managers. */
  readonly connection: MigrationConnection;
  readonly place: Place;
  /** The folder's scripts, shared with every `forTarget` manager (`refresh()` replaces them). */
  readonly files: ManagerFiles;
  /**
   * Typed events: migrating, migrated, failed, rollingBack, rolledBack, lockWaiting, lockAcquired.
   * Each payload names its `target`; a manager's events include those of its `forTarget` managers.
   */
  readonly events: TargetEvents;
  /** The database, as errors name it (the URL redacted, and the target). */
  readonly where: string;
  readonly bookkeeping: BoundedClient;
  readonly history: HistoryStore;
  readonly lock: MigrationLock;
  readonly core: RunnerCore;
  /** With `targets`: the resolved list. */
  targets: readonly MigrationTarget[] | undefined;
  /** Set by close(): the manager is closing, or closed. */
  closing: Promise<void> | undefined;

  constructor(options: ResolvedMigrationsOptions, connection: MigrationConnection, place: Place) {
    this.options = options;
    this.connection = connection;
    this.place = place;
    this.files = place.files;
    const logger = options.logger;
    const target = place.target;
    this.events = new TargetEvents(
      (error) => logger.warn(`A migration event listener threw: ${(error as Error).message}`),
      target,
      place.parent?.events,
    );
    // A forTarget manager's events reach its parent's listeners, `on` among them, through the parent.
    if (!place.parent) this.events.subscribe(options.on);
    logOwnEvents(this.events, logger);
    const db: SessionLike = place.session ?? connection.db;
    const where =
      (options.url === undefined ? 'the database of the given client' : redactUrl(options.url)) +
      (place.session && target ? ` (${targetKey(target)})` : '');
    this.where = where;
    this.bookkeeping = new BoundedClient(
      db,
      {
        attemptMs: options.connect.timeoutMs,
        budgetMs: Math.max(options.lock.waitTimeoutMs, options.connect.timeoutMs),
      },
      (attempts, cause) => new DatabaseUnreachableError(where, attempts, cause, 'request'),
    );
    this.history = new HistoryStore(this.bookkeeping, options);
    this.lock = new MigrationLock(this.bookkeeping, db, options, logger);
    this.core = new RunnerCore({
      db,
      connection: connection.db,
      where,
      options,
      history: this.history,
      lock: this.lock,
      events: this.events,
      logger,
      files: () => this.files,
    });
  }

  /** Where this manager works, without credentials: safe to log or serve. */
  settings(): MigrationSettings {
    const { url, directory, table, mode } = this.options;
    return {
      url: url === undefined ? undefined : redactUrl(url),
      namespace: this.place.target?.namespace ?? this.options.namespace,
      database: this.place.target?.database ?? this.options.database,
      directory,
      table,
      mode,
      targets: this.targets,
      concurrency: this.options.concurrency,
      onTargetFailure: this.options.onTargetFailure,
    };
  }

  /** The shared connection, which a forTarget() manager does not own (`manager.db`). */
  sharedDb(): Surreal {
    if (this.place.session) {
      throw new MigrationArgumentError(
        `manager.db is the shared connection, which a forTarget() manager does not own; ` +
          `use \`await manager.session()\` for ${targetKey(this.place.target!)}'s own session.`,
      );
    }
    return this.connection.db;
  }

  /** Runs `work`; an error it throws leaves with every secret in it masked. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.ensureOpen();
      return await work();
    } catch (error) {
      throw this.options.redactor.error(asLibraryError(error, this.where));
    }
  }

  /** A forTarget manager closed (or whose parent closed) says so, rather than failing on its session. */
  ensureOpen(): void {
    const parent = this.place.parent;
    if (parent && (this.closing || parent.closing)) {
      throw new MigrationArgumentError(
        `The manager of ${targetKey(this.place.target!)} is closed (closing the manager that made it ` +
          'closes it too); get a new one with forTarget() from an open manager.',
      );
    }
  }

  /** Throws when this manager has many targets: `method` acts on one database. */
  one(method: string): void {
    this.ensureOpen();
    if (!this.targets) return;
    throw new MigrationArgumentError(
      `${method}() acts on one database, and this manager has ${this.targets.length} targets: call it on ` +
        `manager.forTarget({ namespace, database }).`,
    );
  }

  /**
   * Whether this manager's database does not exist yet. Asked before a read opens the session, or
   * makes the connection's first request (its `use` would create the database): a read of a
   * missing database answers as an empty one, and creates nothing. For a forTarget manager, two
   * requests while the session is not open; none after. For the manager's own connection, none
   * once it found the database; until then, one look in a session of its own.
   */
  absent(): Promise<boolean> {
    const session = this.place.session;
    // The manager's own connection: not found when it connected, and not selected since.
    if (!session) return this.connection.missing();
    return session.missing();
  }

  /** The state of this database; of an empty one, without a request, when it does not exist. */
  readState(absent: boolean): Promise<MigrationState> {
    return absent
      ? Promise.resolve(computeState(this.files.up, { applied: [], failed: [], repeatable: [] }, this.files.repeatable))
      : this.core.readState();
  }

  /** Highest discovered version; 0 when the folder is empty. */
  latestVersion(): number {
    return this.files.up.at(-1)?.version ?? 0;
  }

  /** A forTarget manager's results name their target, as they do in a run over many targets. */
  tag<R extends MigrationResult | MigrationResult[] | undefined>(results: R): R {
    const target = this.place.parent ? this.place.target : undefined;
    if (!target || results === undefined) return results;
    const named = (r: MigrationResult) => ({ ...r, target });
    return (Array.isArray(results) ? results.map(named) : named(results as MigrationResult)) as R;
  }

  /**
   * Where this manager's analyses build their shadow: the `shadow` server if one is given, else
   * the embedded engine of the connected server's major version, so that the folder is judged as
   * the server would judge it.
   */
  async shadowSource(): Promise<ShadowSource> {
    const major = await serverMajor(this.connection.db);
    return { surrealdb: major === 2 ? 2 : 3, server: this.options.shadow, cache: this.options.schemaCache };
  }

  setFiles({ up, down, repeatable, ignored }: DiscoveredMigrations): void {
    this.files.up = Object.freeze([...up]);
    this.files.down = Object.freeze([...down]);
    this.files.repeatable = Object.freeze([...repeatable]);
    if (ignored.length > 0) {
      this.options.logger.warn(
        `Ignored ${ignored.length} file(s) in ${this.options.directory} that are not migrations: ${ignored.join(', ')}`,
      );
    }
  }
}
