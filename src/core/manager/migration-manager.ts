/**
 * The manager: a facade over its parts, one job each. Its state and guards are in `context.ts`;
 * `lifecycle.ts` starts it, `reads.ts`, `runs.ts`, `operator-writes.ts`, `lock-admin.ts` and
 * `analyses.ts` do the rest, and `src/core/tenants/` fans out over its targets.
 */
import type { Surreal, SurrealSession } from 'surrealdb';
import type { MigrationConnection } from '../db/connection.js';
import { MigrationArgumentError, type MigrationDirection } from '../support/errors.js';
import { type LockHolder } from '../support/run-errors.js';
import type { MigrationEvents } from '../events/migration-events.js';
import type { MigrationProgressListener } from '../events/progress.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { MigrationRunner, type MigrationResult } from '../runner/migration-runner.js';
import { type MigrationTarget, type MigrationsOptions, type ResolvedMigrationsOptions } from '../options/options.js';
import { resolveOptions } from '../options/resolve-options.js';
import type { LintReport } from '../analysis/lint.js';
import type { TargetOutcome, TargetSession } from '../tenants/targets.js';
import { tenantSetup } from '../tenants/tenant-setup.js';
import { Tenants, type EachOptions } from '../tenants/tenants.js';
import { ManagerContext, noFiles, type Place } from './context.js';
import { bootstrap, refresh, start } from './lifecycle.js';
import { checkTarget } from './arguments.js';
import { Reads } from './reads.js';
import { Runs } from './runs.js';
import { OperatorWrites } from './operator-writes.js';
import { forceUnlock, lockHolder } from './lock-admin.js';
import { drift, lint } from './analyses.js';
import type {
  DriftReport,
  DryRunReport,
  MigrationPlan,
  MigrationSettings,
  MigrationsProbe,
  MigrationStatus,
  RollbackOptions,
  RunOptions,
  ValidationReport,
} from './reports.js';

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
  /**
   * Typed events: migrating, migrated, failed, rollingBack, rolledBack, lockWaiting, lockAcquired.
   * Each payload names its `target`; a manager's events include those of its `forTarget` managers.
   */
  readonly events: MigrationEvents;
  /** Runs migrations one by one (`runOneUp`, `runOneDown`, `runAll`). */
  readonly runner: MigrationRunner;
  readonly #ctx: ManagerContext;
  /** The manager whose forTarget() made this one. */
  readonly #parent: MigrationManager | undefined;
  /** The managers of the targets: this manager's runs and reads over them, and those handed out. */
  readonly #tenants: Tenants<MigrationManager>;
  readonly #reads: Reads<MigrationManager>;
  readonly #runs: Runs<MigrationManager>;
  readonly #writes: OperatorWrites;

  /** Resolves the options, connects (with retries), reads the folder and resolves `targets`. */
  static async create(options: MigrationsOptions): Promise<MigrationManager> {
    const resolved = resolveOptions(options);
    try {
      const { discovered, connection, targets, target } = await start(resolved);
      const manager = new MigrationManager(resolved, connection, { target, files: noFiles() });
      manager.#ctx.targets = targets;
      manager.#ctx.setFiles(discovered);
      if (targets) resolved.logger.log(`Migrations cover ${targets.length} target(s)`);
      return manager;
    } catch (error) {
      throw resolved.redactor.error(error);
    }
  }

  private constructor(
    options: ResolvedMigrationsOptions,
    connection: MigrationConnection,
    place: Place,
    parent?: MigrationManager,
  ) {
    const ctx = new ManagerContext(options, connection, place);
    this.#ctx = ctx;
    this.#parent = parent;
    this.events = ctx.events;
    this.#tenants = new Tenants(
      connection.db,
      () => ctx.targets!,
      options,
      (target) => this.#managerOf(target),
    );
    this.#reads = new Reads(ctx, this.#tenants, (manager) => manager.#reads);
    this.#runs = new Runs(ctx, this.#tenants);
    this.#writes = new OperatorWrites(ctx);
    this.runner = new MigrationRunner(this.#runs.runnerOps());
  }

  /** Where this manager works, without credentials: safe to log or serve. */
  get settings(): MigrationSettings {
    return this.#ctx.settings();
  }

  /**
   * The database this manager migrates: its `namespace`/`database`, the target of a
   * `forTarget` manager; undefined for a manager of many `targets`.
   */
  get target(): MigrationTarget | undefined {
    return this.#ctx.place.target;
  }

  /** The databases this manager migrates: the resolved `targets`, or its one database. */
  get targets(): readonly MigrationTarget[] {
    return this.#ctx.targets ?? (this.#ctx.place.target ? [this.#ctx.place.target] : []);
  }

  /**
   * The connection in use (the app's `client`, or the one this manager opened), shared by the
   * `forTarget` managers. A `forTarget` manager works in a session of its own on it: use
   * {@link session} there.
   */
  get db(): Surreal {
    return this.#ctx.sharedDb();
  }

  /**
   * The session this manager's requests go through: for a `forTarget` manager, one of its own on
   * the shared connection, on its target's namespace and database (opened here if not yet);
   * otherwise the connection itself.
   */
  async session(): Promise<SurrealSession> {
    const { place, connection } = this.#ctx;
    return this.#ctx.guard(async () => (place.session ? place.session.session() : connection.db));
  }

  /**
   * A manager for one target, sharing this manager's connection (a session of its own on it),
   * folder, options and events: for a tenant created while the app runs, then migrated with
   * `runMigrationUp()` before its first request. Returned at once; the session opens on first use.
   * Close it when done with it (closing this manager closes it too).
   *
   * @example
   * ```ts
   * const tenant = manager.forTarget({ namespace: 'tenants', database: 'acme' });
   * await tenant.runMigrationUp();
   * await tenant.close();
   * ```
   */
  forTarget(target: MigrationTarget): MigrationManager {
    const root = this.#parent ?? this;
    if (root.#ctx.closing) throw new MigrationArgumentError('forTarget: this manager is closed.');
    return root.#tenants.handOut(checkTarget(target));
  }

  /**
   * Runs `work` on a new `forTarget` manager of each target (`work` closes it; closing this
   * manager closes those it did not), at most `concurrency` at a time, each told from one listing
   * whether its database exists. A failure under `onTargetFailure: 'stop'`, or `stopped()` turning
   * true, starts no further target. Every outcome is returned, in the targets' order.
   * `onProgress` is told before the first target starts and as each one finishes. For the CLI.
   * @internal
   */
  overTargets<T>(
    work: (manager: MigrationManager, index: number) => Promise<T>,
    options: EachOptions,
  ): Promise<TargetOutcome<T>[]> {
    return this.#tenants.each(work, options);
  }

  /** Whether this manager's one database does not exist (its reads then create nothing). @internal */
  databaseMissing(): Promise<boolean> {
    return this.#ctx.absent();
  }

  /** Discovered up scripts, sorted by version. */
  get upMigrations(): readonly MigrationFile[] {
    return this.#ctx.files.up;
  }

  /** Discovered down scripts, sorted by version. */
  get downMigrations(): readonly MigrationFile[] {
    return this.#ctx.files.down;
  }

  /** Discovered repeatable definitions (`repeatable/<name>.surql`), in name order. */
  get repeatableDefinitions(): readonly RepeatableFile[] {
    return this.#ctx.files.repeatable;
  }

  /** Reads the migrations folder again (and, with a `targets` function, the targets). */
  async refresh(): Promise<void> {
    return refresh(this.#ctx, this.#tenants);
  }

  /** Highest applied version; 0 when nothing is applied or the history table does not exist. */
  async getCurrentVersion(): Promise<number> {
    return this.#reads.getCurrentVersion();
  }

  /** Highest discovered version; 0 when the folder is empty. */
  getLatestVersion(): number {
    return this.#ctx.latestVersion();
  }

  /**
   * Whether the database holds no table at all, not even the history: a typo in the namespace,
   * the database or an embedded path opens a new, empty database.
   */
  async isEmpty(): Promise<boolean> {
    return this.#reads.isEmpty();
  }

  /**
   * What a readiness probe needs, in one request: no file I/O, no checksums (the files were read
   * when the manager was created; changed files are for {@link status} and {@link validate}).
   * With `targets`, the histories of the targets whose databases exist are read in batches of 100
   * per request on one connection, and a target the batches could not read gets its own request;
   * given `timeoutMs`, the targets that have not answered by then are reported with
   * `error: 'no answer within … ms'` rather than waited for.
   */
  probe(options: { timeoutMs?: number } = {}): Promise<MigrationsProbe> {
    return this.#reads.probe(options);
  }

  /**
   * Compares the live database's schema with the one its applied migrations produce (in a private
   * shadow database): every object added, removed or changed by hand, by kind, table and name, with
   * both definitions. The tool's own tables are left out. Pending migrations are not part of the
   * comparison: they are listed apart. Costs one `INFO FOR DB`, one `INFO FOR TABLE` per table (in
   * one request) and one shadow build. `onProgress` is told as each applied migration is replayed on
   * the shadow; whatever it throws is logged as a warning, and the drift goes on.
   */
  drift(options: { onProgress?: MigrationProgressListener } | null = {}): Promise<DriftReport> {
    return drift(this.#ctx, options?.onProgress);
  }

  /**
   * Lints this manager's folder on a private shadow database (see `lintMigrations`): the
   * database this manager is connected to is not touched. `onProgress` is told as each up file is
   * checked; whatever it throws is logged as a warning, and the lint goes on.
   */
  lint(options: { onProgress?: MigrationProgressListener } | null = {}): Promise<LintReport> {
    return lint(this.#ctx, options?.onProgress);
  }

  /** Whether any discovered migration is not applied. One query; no file I/O. */
  async needsMigration(): Promise<boolean> {
    return this.#reads.needsMigration();
  }

  /**
   * Applies every pending migration in order (under the lock). Refuses, before anything is
   * applied, a run that would delete data wholesale (`DataLossError`) unless `acceptDataLoss`.
   */
  runMigrationUp(options: RunOptions | null = {}): Promise<MigrationResult[]> {
    // The runner's core masks the secrets in whatever it throws.
    return this.#runs.runAll({ acceptDataLoss: options?.acceptDataLoss, checkData: options?.checkData });
  }

  /**
   * Applies pending migrations up to and including `version`.
   */
  async migrateTo(version: number, options: RunOptions | null = {}): Promise<MigrationResult[]> {
    return this.#runs.migrateTo(version, { acceptDataLoss: options?.acceptDataLoss, checkData: options?.checkData });
  }

  /**
   * Rolls back with the down scripts, newest first. With no argument, one step.
   * Refuses before any change when a needed down script is missing.
   */
  async rollback(options: RollbackOptions | null = {}): Promise<MigrationResult[]> {
    return this.#runs.rollback(options ?? {});
  }

  /** Applied, pending, drifted, missing and failed migrations. One query. */
  async status(): Promise<MigrationStatus> {
    return this.#reads.status();
  }

  /**
   * Checks the history against the folder: failed records, changed files, missing files, order
   * and, when `requireCurrent` is set, pending migrations. Throws the first fatal problem.
   */
  async validate(options: { requireCurrent?: boolean } = {}): Promise<ValidationReport> {
    return this.#reads.validate(options);
  }

  /** What `runMigrationUp()` (direction up) or `rollback()` (down) would run. Touches nothing. */
  async plan(options: { direction?: MigrationDirection } & RollbackOptions = {}): Promise<MigrationPlan> {
    return this.#reads.plan(options);
  }

  /**
   * Runs every pending migration, in order, inside one transaction that is then cancelled: each
   * sees the ones before it, against the real schema and data, and the database is left as it was.
   * Stops at the first no-transaction migration, which cannot be verified this way.
   * Throws `MigrationError` for the first migration that fails, and `DataLossError` where the run
   * would delete data wholesale, as `runMigrationUp()` would, unless `acceptDataLoss`.
   */
  async dryRun(options: RunOptions | null = {}): Promise<DryRunReport> {
    return this.#runs.dryRun({ acceptDataLoss: options?.acceptDataLoss, checkData: options?.checkData });
  }

  /**
   * Records every discovered version up to `version` as applied, without running it: adopts a
   * database whose schema was created by hand. Returns the versions recorded.
   */
  async baseline(version: number): Promise<number[]> {
    return this.#writes.baseline(version);
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
    return this.#writes.resolve(version, outcome, options);
  }

  /**
   * Removes history rows whose version cannot be read (logging each), then stores the current
   * checksum for applied rows that have none (adopted history); with `changed: true`, also for
   * rows whose file changed. Returns the versions updated.
   */
  async repair(options: { changed?: boolean } = {}): Promise<number[]> {
    return this.#writes.repair(options);
  }

  /** The current lock holder, if any. */
  lockHolder(): Promise<LockHolder | undefined> {
    return lockHolder(this.#ctx);
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
    return forceUnlock(this.#ctx);
  }

  /** What the module does at bootstrap, by `mode`. */
  async bootstrap(): Promise<MigrationResult[]> {
    return bootstrap(this, this.#ctx.options.mode);
  }

  /**
   * Lets a run in progress finish its current migration, then closes the connection if owned
   * (a `forTarget` manager closes its session; the first manager closes those of its targets too).
   */
  close(): Promise<void> {
    // Idempotent: the module closes it when a failed bootstrap aborts the app, and again on shutdown.
    this.#ctx.closing ??= (async () => {
      await this.runner.stop();
      const parent = this.#parent;
      if (parent) {
        parent.#tenants.release(this);
        await this.#ctx.place.session?.close();
        return;
      }
      await this.#tenants.close();
      await this.#ctx.connection.close();
    })();
    return this.#ctx.closing;
  }

  /** A new manager of `target`, on a session of its own on this root manager's connection. */
  #managerOf(target: MigrationTarget): { manager: MigrationManager; session: TargetSession } {
    const { options, session } = tenantSetup(this.#ctx.options, this.#ctx.connection.db, target);
    const manager = new MigrationManager(
      options,
      { db: this.#ctx.connection.db, owned: false, missing: async () => false, close: async () => {} },
      { target, session, parent: this.#ctx, files: this.#ctx.files },
      this,
    );
    return { manager, session };
  }
}
