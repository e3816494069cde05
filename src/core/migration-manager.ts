import type { Surreal } from 'surrealdb';
import { openConnection, type MigrationConnection } from './connection.js';
import {
  DatabaseUnreachableError,
  MigrationArgumentError,
  PendingMigrationsError,
  type ChecksumMismatch,
  type LockHolder,
  type MigrationDirection,
} from './errors.js';
import { HistoryStore, type FailedRecord } from './history-store.js';
import { MigrationEvents } from './migration-events.js';
import { discoverMigrations, type MigrationFile } from './migration-files.js';
import { MigrationLock } from './migration-lock.js';
import { awaitsOperator, findProblems, type MigrationState } from './migration-plan.js';
import { MigrationRunner, RunnerCore, type MigrationResult } from './migration-runner.js';
import {
  redactUrl,
  resolveOptions,
  type MigrationMode,
  type MigrationsOptions,
  type ResolvedMigrationsOptions,
} from './options.js';
import { surqlStatements } from './surql-splitter.js';
import { BoundedClient } from './timing.js';
import { folderSchema } from './schema-code.js';
import { lintMigrations, type LintReport } from './lint.js';
import { compareSchemas, readSchema, type SchemaKind } from './shadow.js';

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
}

/** {@link MigrationManager.probe}: what one readiness probe found. */
export interface MigrationsProbe {
  /** Highest applied version; 0 when none. */
  currentVersion: number;
  /** Highest discovered version. */
  latestVersion: number;
  /** Discovered migrations not applied (a failed attempt not yet settled is counted in `failed`). */
  pending: number;
  /** Versions with a failed or in-progress record (a no-transaction migration stopped part-way). */
  failed: number[];
  /** History rows whose version cannot be read (`repair` removes them). */
  unreadable: number;
  /** The migration lock's holder, if the lock is held (expired or not). */
  lock: { host: string; pid: number; expiresAt: string | null } | null;
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
}

/** Arguments of {@link MigrationManager.rollback}: give `to` or `steps`, or nothing for one step. */
export interface RollbackOptions {
  /** Leave this version applied and roll back everything above it; 0 rolls back everything. */
  to?: number;
  /** How many of the latest applied migrations to roll back. */
  steps?: number;
}

/** What {@link MigrationManager.plan} would run. */
export interface MigrationPlan {
  direction: MigrationDirection;
  migrations: { version: number; name: string; file: string; statements: number; noTransaction: boolean }[];
}

/** The outcome of {@link MigrationManager.dryRun}. */
export interface DryRunReport {
  /** Migrations that ran inside the cancelled transaction and succeeded. */
  verified: { version: number; name: string; file: string }[];
  /** No-transaction migrations (and those after them) that a dry run cannot execute. */
  notVerifiable: { version: number; name: string; file: string }[];
}

/** Problems found by {@link MigrationManager.validate} that did not throw. */
export interface ValidationReport {
  warnings: string[];
  pending: number;
}

/** Each manager's runner core, for the core's own tools (the shadow database); not exported from the package. */
const cores = new WeakMap<MigrationManager, RunnerCore>();

/** The runner core behind a manager. Internal to `src/core`. */
export function runnerCoreOf(manager: MigrationManager): RunnerCore {
  return cores.get(manager)!;
}

/**
 * The migrations of one folder against one database.
 *
 * Created with {@link MigrationManager.create}, which connects and reads the folder once;
 * {@link MigrationManager.refresh} reads it again. In a Nest app, inject it.
 *
 * @example
 * ```ts
 * const manager = await MigrationManager.create({
 *   url: 'surrealkv://data/app.db', namespace: 'app', database: 'app',
 * });
 * await manager.runMigrationUp();
 * console.log(await manager.getCurrentVersion());
 * await manager.close();
 * ```
 */
export class MigrationManager {
  readonly #options: ResolvedMigrationsOptions;
  /** Typed events: migrating, migrated, failed, rollingBack, rolledBack, lockWaiting, lockAcquired. */
  readonly events: MigrationEvents;
  /** Runs migrations one by one (`runOneUp`, `runOneDown`, `runAll`). */
  readonly runner: MigrationRunner;
  readonly #core: RunnerCore;
  readonly #connection: MigrationConnection;
  readonly #history: HistoryStore;
  readonly #lock: MigrationLock;
  readonly #bookkeeping: BoundedClient;
  #closing: Promise<void> | undefined;
  #up: readonly MigrationFile[] = [];
  #down: readonly MigrationFile[] = [];

  /** Resolves the options, connects (with retries) and reads the folder. */
  static async create(options: MigrationsOptions): Promise<MigrationManager> {
    const resolved = resolveOptions(options);
    try {
      // Reading the folder first: a broken folder is reported without waiting for a database.
      const discovered = await discoverMigrations(resolved.directory);
      const connection = await openConnection(resolved, resolved.logger);
      const manager = new MigrationManager(resolved, connection);
      manager.#setFiles(discovered.up, discovered.down, discovered.ignored);
      return manager;
    } catch (error) {
      throw resolved.redactor.error(error);
    }
  }

  private constructor(options: ResolvedMigrationsOptions, connection: MigrationConnection) {
    this.#options = options;
    this.#connection = connection;
    const logger = options.logger;
    this.events = new MigrationEvents((error) =>
      logger.warn(`A migration event listener threw: ${(error as Error).message}`),
    );
    this.events.subscribe(options.on);
    this.events.subscribe({
      migrated: (e) =>
        logger.log(
          e.byAnother
            ? `Migration ${label(e)} was applied by another replica`
            : `Applied migration ${label(e)} in ${e.durationMs} ms`,
        ),
      rolledBack: (e) => logger.log(`Rolled back migration ${label(e)} in ${e.durationMs} ms`),
      failed: (e) => logger.error(e.error.message),
      lockWaiting: (e) =>
        logger.log(
          `Waiting for the migration lock` + (e.holder ? ` held by ${e.holder.host} pid ${e.holder.pid}` : ''),
        ),
    });
    const where = options.url === undefined ? 'the database of the given client' : redactUrl(options.url);
    this.#bookkeeping = new BoundedClient(
      connection.db,
      {
        attemptMs: options.connect.timeoutMs,
        budgetMs: Math.max(options.lock.waitTimeoutMs, options.connect.timeoutMs),
      },
      (attempts, cause) => new DatabaseUnreachableError(where, attempts, cause, 'request'),
    );
    this.#history = new HistoryStore(this.#bookkeeping, options);
    this.#lock = new MigrationLock(this.#bookkeeping, connection.db, options, logger);
    this.#core = new RunnerCore({
      db: connection.db,
      options,
      history: this.#history,
      lock: this.#lock,
      events: this.events,
      logger,
      files: () => ({ up: this.#up, down: this.#down }),
    });
    this.runner = new MigrationRunner(this.#core);
    cores.set(this, this.#core);
  }

  /** Where this manager works, without credentials: safe to log or serve. */
  get settings(): MigrationSettings {
    const { url, namespace, database, directory, table, mode } = this.#options;
    return { url: url === undefined ? undefined : redactUrl(url), namespace, database, directory, table, mode };
  }

  /** The connection in use (the app's `client`, or the one this manager opened). */
  get db(): Surreal {
    return this.#connection.db;
  }

  /** Discovered up scripts, sorted by version. */
  get upMigrations(): readonly MigrationFile[] {
    return this.#up;
  }

  /** Discovered down scripts, sorted by version. */
  get downMigrations(): readonly MigrationFile[] {
    return this.#down;
  }

  /** Reads the migrations folder again. */
  async refresh(): Promise<void> {
    return this.#guard(async () => {
      const discovered = await discoverMigrations(this.#options.directory);
      this.#setFiles(discovered.up, discovered.down, discovered.ignored);
    });
  }

  /** Highest applied version; 0 when nothing is applied or the history table does not exist. */
  async getCurrentVersion(): Promise<number> {
    return this.#guard(async () => {
      return (await this.#history.readVersions()).reduce((max, v) => Math.max(max, v), 0);
    });
  }

  /** Highest discovered version; 0 when the folder is empty. */
  getLatestVersion(): number {
    return this.#up.at(-1)?.version ?? 0;
  }

  /**
   * Whether the database holds no table at all, not even the history: a typo in the namespace,
   * the database or an embedded path opens a new, empty database.
   */
  async isEmpty(): Promise<boolean> {
    return this.#guard(async () => {
      const [info] = await this.#bookkeeping.query('INFO FOR DB').responses();
      if (!info?.success) return false;
      const tables = (info.result as { tables?: Record<string, unknown> } | undefined)?.tables ?? {};
      return Object.keys(tables).length === 0;
    });
  }

  /**
   * What a readiness probe needs, in one request: no file I/O, no checksums (the files were read
   * when the manager was created; changed files are for {@link status} and {@link validate}).
   */
  probe(): Promise<MigrationsProbe> {
    return this.#guard(async () => {
      const { versions, failed, lock } = await this.#history.probe();
      const applied = new Set(versions.filter((v): v is number => v !== undefined));
      const settled = new Set(failed.filter(awaitsOperator).map((r) => r.version));
      return {
        currentVersion: [...applied].reduce((max, v) => Math.max(max, v), 0),
        latestVersion: this.getLatestVersion(),
        pending: this.#up.filter((m) => !applied.has(m.version) && !settled.has(m.version)).length,
        failed: [...new Set(failed.map((r) => r.version))].sort((a, b) => a - b),
        unreadable: versions.filter((v) => v === undefined).length,
        lock: lock ? { host: lock.host, pid: lock.pid, expiresAt: lock.expiresAt?.toISOString() ?? null } : null,
      };
    });
  }

  /**
   * Compares the live database's schema with the one its applied migrations produce (in a private
   * shadow database): every object added, removed or changed by hand, by kind, table and name, with
   * both definitions. The tool's own tables are left out. Pending migrations are not part of the
   * comparison: they are listed apart. Costs one `INFO FOR DB`, one `INFO FOR TABLE` per table (in
   * one request) and one shadow build.
   */
  drift(): Promise<DriftReport> {
    return this.#guard(async () => {
      const state = await this.#core.readState();
      const expected = await folderSchema(this.#options.directory, new Set(state.applied.map((r) => r.version)));
      const live = await readSchema(this.#bookkeeping, this.#options.table);
      const drift = compareSchemas(expected, live).map((c) => ({
        change: c.change,
        kind: c.kind,
        table: c.table,
        name: c.name,
        live: c.after,
        expected: c.before,
      }));
      return {
        ok: drift.length === 0,
        drift,
        pending: state.pending.map(({ version, name, file }) => ({ version, name, file })),
      };
    });
  }

  /**
   * Lints this manager's folder on a private shadow database (see `lintMigrations`): the
   * database this manager is connected to is not touched.
   */
  lint(): Promise<LintReport> {
    return this.#guard(() => lintMigrations({ directory: this.#options.directory }));
  }

  /** Whether any discovered migration is not applied. One query; no file I/O. */
  async needsMigration(): Promise<boolean> {
    return this.#guard(async () => {
      const applied = new Set(await this.#history.readVersions());
      return this.#up.some((m) => !applied.has(m.version));
    });
  }

  /** Applies every pending migration in order (under the lock). */
  runMigrationUp(): Promise<MigrationResult[]> {
    // The runner's core masks the secrets in whatever it throws.
    return this.runner.runAll();
  }

  /**
   * Applies pending migrations up to and including `version`.
   */
  async migrateTo(version: number): Promise<MigrationResult[]> {
    requireVersion(version, 'to');
    return this.#core.migrateUp((state) => state.pending.filter((m) => m.version <= version));
  }

  /**
   * Rolls back with the down scripts, newest first. With no argument, one step.
   * Refuses before any change when a needed down script is missing.
   */
  async rollback(options: RollbackOptions | null = {}): Promise<MigrationResult[]> {
    const select = rollbackSelector(options ?? {});
    return this.#core.migrateDown(select);
  }

  /** Applied, pending, drifted, missing and failed migrations. One query. */
  async status(): Promise<MigrationStatus> {
    return this.#guard(async () => {
      const state = await this.#core.readState();
      const files = new Map(this.#up.map((m) => [m.version, m]));
      return {
        currentVersion: state.currentVersion,
        latestVersion: this.getLatestVersion(),
        applied: state.applied.map((record) => {
          const file = files.get(record.version);
          return {
            version: record.version,
            name: record.name ?? file?.name ?? '',
            appliedAt: record.appliedAt,
            ...(record.checksum === undefined ? {} : { checksum: record.checksum }),
            ...(record.durationMs === undefined ? {} : { durationMs: record.durationMs }),
            verified: record.checksum === undefined || !file ? null : record.checksum === file.checksum,
          };
        }),
        pending: state.pending.map(({ version, name, file }) => ({ version, name, file })),
        drifted: state.drifted,
        missing: state.missing.map(({ version, name }) => ({ version, name })),
        future: state.future.map(({ version, name }) => ({ version, name })),
        failed: state.failed.map((f) => ({ ...f, error: this.#options.redactor.text(f.error) })),
      };
    });
  }

  /**
   * Checks the history against the folder: failed records, changed files, missing files, order
   * and, when `requireCurrent` is set, pending migrations. Throws the first fatal problem.
   */
  async validate(options: { requireCurrent?: boolean } = {}): Promise<ValidationReport> {
    return this.#guard(async () => {
      const state = await this.#core.readState();
      const { errors, warnings } = findProblems(state, this.#options);
      if (errors[0]) throw errors[0];
      if (options.requireCurrent && state.pending.length > 0) throw new PendingMigrationsError(state.pending);
      return { warnings, pending: state.pending.length };
    });
  }

  /** What `runMigrationUp()` (direction up) or `rollback()` (down) would run. Touches nothing. */
  async plan(options: { direction?: MigrationDirection } & RollbackOptions = {}): Promise<MigrationPlan> {
    return this.#guard(async () => {
      const direction = options.direction ?? 'up';
      const state = await this.#core.readState();
      const describe = (m: MigrationFile, version = m.version, name = m.name) => ({
        version,
        name,
        file: m.file,
        statements: surqlStatements(m.text).length,
        noTransaction: m.noTransaction,
      });
      if (direction === 'up') {
        const pending =
          options.to === undefined ? state.pending : state.pending.filter((m) => m.version <= options.to!);
        return { direction, migrations: pending.map((m) => describe(m)) };
      }
      const versions = rollbackSelector(options)(state);
      const downs = new Map(this.#down.map((d) => [d.version, d]));
      return {
        direction,
        migrations: versions.map((version) => {
          const down = downs.get(version);
          const name = state.applied.find((r) => r.version === version)?.name ?? '';
          return down
            ? describe(down, version, name || down.name)
            : { version, name, file: '(missing down script)', statements: 0, noTransaction: false };
        }),
      };
    });
  }

  /**
   * Runs every pending migration, in order, inside one transaction that is then cancelled: each
   * sees the ones before it, against the real schema and data, and the database is left as it was.
   * Stops at the first no-transaction migration, which cannot be verified this way.
   * Throws `MigrationError` for the first migration that fails.
   */
  async dryRun(): Promise<DryRunReport> {
    const state = await this.#core.readState();
    const firstNoTx = state.pending.findIndex((m) => m.noTransaction);
    const runnable = firstNoTx === -1 ? state.pending : state.pending.slice(0, firstNoTx);
    const rest = firstNoTx === -1 ? [] : state.pending.slice(firstNoTx);
    const brief = ({ version, name, file }: MigrationFile) => ({ version, name, file });
    await this.#core.dryRun(runnable);
    return { verified: runnable.map(brief), notVerifiable: rest.map(brief) };
  }

  /**
   * Records every discovered version up to `version` as applied, without running it: adopts a
   * database whose schema was created by hand. Returns the versions recorded.
   */
  async baseline(version: number): Promise<number[]> {
    requireVersion(version, 'version');
    return this.#core.exclusive(async () => {
      const state = await this.#core.readState();
      const toRecord = state.pending.filter((m) => m.version <= version);
      await this.#history.recordApplied(
        toRecord.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
        'baseline',
      );
      return toRecord.map((m) => m.version);
    });
  }

  /**
   * Settles a no-transaction migration that failed or stopped part-way, once an operator has
   * checked the database: `'applied'` records it as applied; `'rolled-back'` records it as not
   * applied; `'resume'` with `{ after: n }` says that statements 1 to n took effect, and the next
   * run carries on with statement n + 1.
   */
  async resolve(
    version: number,
    outcome: 'applied' | 'rolled-back' | 'resume',
    options: { after?: number } = {},
  ): Promise<void> {
    requireVersion(version, 'version');
    if (outcome !== 'applied' && outcome !== 'rolled-back' && outcome !== 'resume') {
      throw new MigrationArgumentError(
        `resolve: outcome must be 'applied', 'rolled-back' or 'resume', got ${String(outcome)}.`,
      );
    }
    await this.#core.exclusive(async () => {
      const state = await this.#core.readState();
      const failed = state.failed.find((f) => f.version === version);
      if (!failed) {
        throw new MigrationArgumentError(
          `resolve: version ${version} has no failed record; failed versions: ${
            state.failed.map((f) => f.version).join(', ') || 'none'
          }.`,
        );
      }
      if (outcome === 'resume') {
        const after = options.after;
        const low = failed.statementsApplied;
        const high = Math.min(failed.statementCount, failed.statementsApplied + 1);
        if (after === undefined || !Number.isSafeInteger(after) || after < low || after > high) {
          throw new MigrationArgumentError(
            `resolve: resume needs { after: n } with n the last statement that took effect: ${low}` +
              (high > low ? ` or ${high} (statement ${high} may or may not have run)` : '') +
              `, got ${String(after)}.`,
          );
        }
        await this.#history.recordResume(version, after);
      } else if (outcome === 'applied') {
        const file = this.#up.find((m) => m.version === version);
        await this.#history.recordApplied(
          [{ version, name: file?.name ?? failed.name, checksum: file?.checksum ?? failed.checksum ?? '' }],
          'resolve',
        );
      } else {
        await this.#history.recordRolledBack(version);
      }
    });
  }

  /**
   * Removes history rows whose version cannot be read (logging each), then stores the current
   * checksum for applied rows that have none (adopted history); with `changed: true`, also for
   * rows whose file changed. Returns the versions updated.
   */
  async repair(options: { changed?: boolean } = {}): Promise<number[]> {
    // Rows whose version cannot be read hold nothing a run could use: they go first, named.
    const removed = await this.#core.exclusive(() => this.#history.removeUnreadable());
    if (removed.length > 0) {
      this.#options.logger.warn(
        `Removed ${removed.length} history row(s) whose version could not be read: ` +
          removed.map((r) => `${String(r.id)} (version ${JSON.stringify(r.version ?? null)})`).join(', '),
      );
    }
    const state = await this.#core.readState();
    const files = new Map(this.#up.map((m) => [m.version, m]));
    const versions = [
      ...state.unverified.map((r) => r.version),
      ...(options.changed ? state.drifted.map((d) => d.version) : []),
    ];
    const entries = versions.flatMap((version) => {
      const file = files.get(version);
      return file ? [{ version, checksum: file.checksum, name: file.name }] : [];
    });
    await this.#core.exclusive(() => this.#history.updateChecksums(entries));
    return entries.map((e) => e.version).sort((a, b) => a - b);
  }

  /** The current lock holder, if any. */
  lockHolder(): Promise<LockHolder | undefined> {
    return this.#guard(() => this.#lock.holder());
  }

  /**
   * Deletes the migration lock whoever holds it, and returns the holder it removed.
   *
   * Dangerous: if the holder is still migrating, another replica may start the same work. The
   * history's fence still keeps each version from being applied twice, but a no-transaction
   * migration can then run its statements twice. Use it only when the holder is known to be gone
   * and you cannot wait `lock.ttlMs` for its lease to expire.
   */
  forceUnlock(): Promise<LockHolder | undefined> {
    return this.#guard(() => this.#lock.forceUnlock());
  }

  /** What the module does at bootstrap, by `mode`. */
  async bootstrap(): Promise<MigrationResult[]> {
    switch (this.#options.mode) {
      case 'off':
        return [];
      case 'validate':
        await this.validate({ requireCurrent: true });
        return [];
      case 'apply':
        return this.runMigrationUp();
    }
  }

  /** Lets a run in progress finish its current migration, then closes the connection if owned. */
  close(): Promise<void> {
    // Idempotent: the module closes it when a failed bootstrap aborts the app, and again on shutdown.
    this.#closing ??= (async () => {
      await this.#core.stop();
      await this.#connection.close();
    })();
    return this.#closing;
  }

  /** Runs `work`; an error it throws leaves with every secret in it masked. */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.#options.redactor.error(error);
    }
  }

  #setFiles(up: readonly MigrationFile[], down: readonly MigrationFile[], ignored: readonly string[]): void {
    this.#up = Object.freeze([...up]);
    this.#down = Object.freeze([...down]);
    if (ignored.length > 0) {
      this.#options.logger.warn(
        `Ignored ${ignored.length} file(s) in ${this.#options.directory} that are not migrations: ${ignored.join(', ')}`,
      );
    }
  }
}

/** `3 create_users (migrations/0003_create_users.surql)` */
function label(e: { version: number; name: string; file: string }): string {
  return `${e.version}${e.name ? ` ${e.name}` : ''} (${e.file})`;
}

function requireVersion(version: number, field: string): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new MigrationArgumentError(`${field} must be a whole number >= 0, got ${String(version)}.`);
  }
}

/** The versions a rollback undoes, newest first. Validates the arguments at once. */
function rollbackSelector(options: RollbackOptions): (state: MigrationState) => number[] {
  const { to, steps } = options;
  if (to !== undefined && steps !== undefined) {
    throw new MigrationArgumentError('rollback: give either `to` or `steps`, not both.');
  }
  if (to !== undefined) {
    requireVersion(to, 'to');
    return (state) =>
      state.applied
        .filter((r) => r.version > to)
        .map((r) => r.version)
        .reverse();
  }
  const count = steps ?? 1;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new MigrationArgumentError(`rollback: steps must be a whole number >= 1, got ${String(steps)}.`);
  }
  return (state) =>
    state.applied
      .slice(-count)
      .map((r) => r.version)
      .reverse();
}
