import { Features, type Surreal, type SurrealSession } from 'surrealdb';
import { openConnection, serverMajor, type MigrationConnection } from './connection.js';
import { selectedExists } from './selection.js';
import { asLibraryError } from './surreal-errors.js';
import { isEmbeddedV2Client } from './embedded-v2.js';
import {
  DatabaseUnreachableError,
  MigrationArgumentError,
  MigrationsStoppedError,
  MigrationOptionsError,
  PendingMigrationsError,
  TargetsFailedError,
  type LockHolder,
  type MigrationDirection,
} from './errors.js';
import { HistoryStore } from './history-store.js';
import { MigrationEvents, type MigrationEventMap, type MigrationEventName } from './migration-events.js';
import { discoverMigrations, type MigrationFile } from './migration-files.js';
import { MigrationLock } from './migration-lock.js';
import { awaitsOperator, computeState, findProblems, type MigrationState } from './migration-plan.js';
import { MigrationRunner, RunnerCore, coreOps, type MigrationResult, type RunnerOps } from './migration-runner.js';
import {
  checkTargets,
  redactUrl,
  resolveOptions,
  targetKey,
  type MigrationLogger,
  type MigrationTarget,
  type MigrationsOptions,
  type ResolvedMigrationsOptions,
} from './options.js';
import { surqlStatements } from './surql-splitter.js';
import { BoundedClient, withTimeout } from './timing.js';
import { folderSchema, verifyOnShadow } from './schema-code.js';
import type { ShadowSource } from './shadow.js';
import { lintMigrations, type LintReport } from './lint.js';
import { readSchema } from './shadow.js';
import { compareDefinitions } from './computed-definitions.js';
import {
  missingTargets,
  noSessionsError,
  resolveTargets,
  runOverTargets,
  targetId,
  TargetSession,
  type SessionLike,
  type TargetOutcome,
} from './targets.js';
import type {
  MigrationStatus,
  TargetStatus,
  DriftReport,
  MigrationsProbe,
  TargetProbe,
  MigrationSettings,
  RollbackOptions,
  MigrationPlan,
  DryRunReport,
  ValidationReport,
} from './manager-reports.js';

export type {
  MigrationStatus,
  TargetStatus,
  DriftReport,
  MigrationsProbe,
  TargetProbe,
  MigrationSettings,
  RollbackOptions,
  MigrationPlan,
  DryRunReport,
  ValidationReport,
};

/** Each manager's runner core, for the core's own tools (the shadow database); not exported from the package. */
const cores = new WeakMap<MigrationManager, RunnerCore>();

/** The runner core behind a manager. Internal to `src/core`. */
export function runnerCoreOf(manager: MigrationManager): RunnerCore {
  return cores.get(manager)!;
}

/**
 * forTarget() managers of every target of `manager`, each told whether its database exists from
 * one listing (rather than two requests of its own before its first read). For the CLI; internal.
 */
export let forEachTarget: (manager: MigrationManager) => Promise<MigrationManager[]>;

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
  /**
   * Typed events: migrating, migrated, failed, rollingBack, rolledBack, lockWaiting, lockAcquired.
   * Each payload names its `target`; a manager's events include those of its `forTarget` managers.
   */
  readonly events: MigrationEvents;
  /** Runs migrations one by one (`runOneUp`, `runOneDown`, `runAll`). */
  readonly runner: MigrationRunner;
  readonly #core: RunnerCore;
  /** The connection: opened by the first manager, shared by its `forTarget` managers. */
  readonly #connection: MigrationConnection;
  readonly #history: HistoryStore;
  readonly #lock: MigrationLock;
  readonly #bookkeeping: BoundedClient;
  /** The database, as errors name it (the URL redacted, and the target). */
  readonly #where: string;
  readonly #place: Place;
  /** The folder's scripts, shared with every `forTarget` manager (`refresh()` replaces them). */
  readonly #files: { up: readonly MigrationFile[]; down: readonly MigrationFile[] };
  /** With `targets`: the resolved list. */
  #targets: readonly MigrationTarget[] | undefined;
  /** The managers of the targets, for this manager's own runs over them; kept open until close(). */
  readonly #pool = new Map<string, MigrationManager>();
  /** Managers handed out by forTarget(), closed with this one. */
  readonly #handedOut = new Set<MigrationManager>();
  #stopRequested = false;
  /** Set by the manager of many targets for its reads: whether the database is missing, as one listing found. */
  #absentHint: boolean | undefined;
  #closing: Promise<void> | undefined;

  static {
    forEachTarget = async (manager) => {
      const targets = manager.targets;
      const missing = await missingTargets(manager.#connection.db, targets);
      return targets.map((target) => {
        const child = manager.forTarget(target);
        child.#absentHint = missing.has(targetId(target));
        return child;
      });
    };
  }

  /** Resolves the options, connects (with retries), reads the folder and resolves `targets`. */
  static async create(options: MigrationsOptions): Promise<MigrationManager> {
    const resolved = resolveOptions(options);
    try {
      // Reading the folder first: a broken folder is reported without waiting for a database.
      const discovered = await discoverMigrations(resolved.directory);
      const connection = await openConnection(resolved, resolved.logger);
      let targets: readonly MigrationTarget[] | undefined;
      try {
        targets = resolved.targets === undefined ? undefined : await resolveTargets(resolved.targets, connection.db);
        // Refused now, not at each target's first request.
        if (targets && !connection.owned && !connection.db.isFeatureSupported(Features.Sessions)) {
          if (!isEmbeddedV2Client(connection.db)) throw noSessionsError();
        }
      } catch (error) {
        await connection.close();
        throw error;
      }
      const manager = new MigrationManager(resolved, connection, {
        target: targets ? undefined : ownTarget(resolved, connection.db),
        files: { up: [], down: [] },
      });
      manager.#targets = targets;
      manager.#setFiles(discovered.up, discovered.down, discovered.ignored);
      if (targets) resolved.logger.log(`Migrations cover ${targets.length} target(s)`);
      return manager;
    } catch (error) {
      throw resolved.redactor.error(error);
    }
  }

  private constructor(options: ResolvedMigrationsOptions, connection: MigrationConnection, place: Place) {
    this.#options = options;
    this.#connection = connection;
    this.#place = place;
    this.#files = place.files;
    const logger = options.logger;
    const target = place.target;
    this.events = new TargetEvents(
      (error) => logger.warn(`A migration event listener threw: ${(error as Error).message}`),
      target,
      place.parent?.events as TargetEvents | undefined,
    );
    // A forTarget manager's events reach its parent's listeners, `on` among them, through the parent.
    if (!place.parent) this.events.subscribe(options.on);
    // Each manager logs its own events (its logger names the target), not those of its forTarget
    // managers, which log their own.
    (this.events as TargetEvents).own.subscribe({
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
    const db: SessionLike = place.session ?? connection.db;
    const where =
      (options.url === undefined ? 'the database of the given client' : redactUrl(options.url)) +
      (place.session && target ? ` (${targetKey(target)})` : '');
    this.#where = where;
    this.#bookkeeping = new BoundedClient(
      db,
      {
        attemptMs: options.connect.timeoutMs,
        budgetMs: Math.max(options.lock.waitTimeoutMs, options.connect.timeoutMs),
      },
      (attempts, cause) => new DatabaseUnreachableError(where, attempts, cause, 'request'),
    );
    this.#history = new HistoryStore(this.#bookkeeping, options);
    this.#lock = new MigrationLock(this.#bookkeeping, db, options, logger);
    this.#core = new RunnerCore({
      db,
      connection: connection.db,
      where,
      options,
      history: this.#history,
      lock: this.#lock,
      events: this.events,
      logger,
      files: () => this.#files,
    });
    this.runner = new MigrationRunner(this.#runnerOps());
    cores.set(this, this.#core);
  }

  /** Where this manager works, without credentials: safe to log or serve. */
  get settings(): MigrationSettings {
    const { url, directory, table, mode } = this.#options;
    return {
      url: url === undefined ? undefined : redactUrl(url),
      namespace: this.#place.target?.namespace ?? this.#options.namespace,
      database: this.#place.target?.database ?? this.#options.database,
      directory,
      table,
      mode,
      targets: this.#targets,
      concurrency: this.#options.concurrency,
      onTargetFailure: this.#options.onTargetFailure,
    };
  }

  /**
   * The database this manager migrates: its `namespace`/`database`, the target of a
   * `forTarget` manager; undefined for a manager of many `targets`.
   */
  get target(): MigrationTarget | undefined {
    return this.#place.target;
  }

  /** The databases this manager migrates: the resolved `targets`, or its one database. */
  get targets(): readonly MigrationTarget[] {
    return this.#targets ?? (this.#place.target ? [this.#place.target] : []);
  }

  /**
   * The connection in use (the app's `client`, or the one this manager opened), shared by the
   * `forTarget` managers. A `forTarget` manager works in a session of its own on it: use
   * {@link session} there.
   */
  get db(): Surreal {
    if (this.#place.session) {
      throw new MigrationArgumentError(
        `manager.db is the shared connection, which a forTarget() manager does not own; ` +
          `use \`await manager.session()\` for ${targetKey(this.#place.target!)}'s own session.`,
      );
    }
    return this.#connection.db;
  }

  /**
   * The session this manager's requests go through: for a `forTarget` manager, one of its own on
   * the shared connection, on its target's namespace and database (opened here if not yet);
   * otherwise the connection itself.
   */
  async session(): Promise<SurrealSession> {
    return this.#guard(async () => (this.#place.session ? this.#place.session.session() : this.#connection.db));
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
    const root = this.#place.parent ?? this;
    if (root.#closing) throw new MigrationArgumentError('forTarget: this manager is closed.');
    let checked: MigrationTarget;
    try {
      [checked] = checkTargets([target], 'forTarget') as [MigrationTarget];
    } catch (error) {
      throw new MigrationArgumentError(`forTarget: ${(error as MigrationOptionsError).problem}`);
    }
    const manager = root.#managerOf(checked);
    root.#handedOut.add(manager);
    return manager;
  }

  /** Discovered up scripts, sorted by version. */
  get upMigrations(): readonly MigrationFile[] {
    return this.#files.up;
  }

  /** Discovered down scripts, sorted by version. */
  get downMigrations(): readonly MigrationFile[] {
    return this.#files.down;
  }

  /** Reads the migrations folder again (and, with a `targets` function, the targets). */
  async refresh(): Promise<void> {
    return this.#guard(async () => {
      const discovered = await discoverMigrations(this.#options.directory);
      this.#setFiles(discovered.up, discovered.down, discovered.ignored);
      const spec = this.#options.targets;
      if (this.#targets && typeof spec === 'function') {
        this.#targets = await resolveTargets(spec, this.#connection.db);
        // The sessions of targets no longer listed are closed.
        const listed = new Set(this.#targets.map(targetId));
        const gone = [...this.#pool].filter(([id]) => !listed.has(id));
        for (const [id] of gone) this.#pool.delete(id);
        await Promise.all(gone.map(([, manager]) => manager.close()));
      }
    });
  }

  /** Highest applied version; 0 when nothing is applied or the history table does not exist. */
  async getCurrentVersion(): Promise<number> {
    return this.#guard(async () => {
      this.#one('getCurrentVersion');
      if (await this.#absent()) return 0;
      return (await this.#history.readVersions()).reduce((max, v) => Math.max(max, v), 0);
    });
  }

  /** Highest discovered version; 0 when the folder is empty. */
  getLatestVersion(): number {
    return this.#files.up.at(-1)?.version ?? 0;
  }

  /**
   * Whether the database holds no table at all, not even the history: a typo in the namespace,
   * the database or an embedded path opens a new, empty database.
   */
  async isEmpty(): Promise<boolean> {
    return this.#guard(async () => {
      this.#one('isEmpty');
      if (await this.#absent()) return true;
      const [info] = await this.#bookkeeping.query('INFO FOR DB').responses();
      if (!info?.success) return false;
      const tables = (info.result as { tables?: Record<string, unknown> } | undefined)?.tables ?? {};
      return Object.keys(tables).length === 0;
    });
  }

  /**
   * What a readiness probe needs, in one request: no file I/O, no checksums (the files were read
   * when the manager was created; changed files are for {@link status} and {@link validate}).
   * With `targets`, one request per target; given `timeoutMs`, the targets that have not answered
   * by then are reported with `error: 'no answer within … ms'` rather than waited for.
   */
  probe(options: { timeoutMs?: number } = {}): Promise<MigrationsProbe> {
    if (this.#targets) return this.#guard(() => this.#probeTargets(options.timeoutMs));
    return this.#guard(async () => {
      if (await this.#absent()) return this.#absentProbe();
      const { versions, failed, lock } = await this.#history.probe();
      const applied = new Set(versions.filter((v): v is number => v !== undefined));
      const settled = new Set(failed.filter(awaitsOperator).map((r) => r.version));
      return {
        currentVersion: [...applied].reduce((max, v) => Math.max(max, v), 0),
        latestVersion: this.getLatestVersion(),
        pending: this.#files.up.filter((m) => !applied.has(m.version) && !settled.has(m.version)).length,
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
      this.#one('drift');
      const absent = await this.#absent();
      const state = await this.#readState(absent);
      const pending = state.pending.map(({ version, name, file }) => ({ version, name, file }));
      // A database that does not exist has nothing applied and no schema: no shadow to build.
      if (absent) return { ok: true, drift: [], pending, computed: [] };
      const applied = new Set(state.applied.map((r) => r.version));
      // Built under the live database's names: `session::db()` evaluates there as it did here.
      const names = this.#place.target;
      const expected = await folderSchema(this.#options.directory, applied, { ...(await this.#shadowSource()), names });
      const live = await readSchema(this.#bookkeeping, this.#options.table);
      const scripts = this.#files.up.filter((m) => applied.has(m.version)).map((m) => m.text);
      const { changes, computed } = compareDefinitions(expected, live, scripts);
      const drift = changes.map((c) => ({
        change: c.change,
        kind: c.kind,
        table: c.table,
        name: c.name,
        live: c.after,
        expected: c.before,
      }));
      return { ok: drift.length === 0, drift, pending, computed };
    });
  }

  /**
   * Lints this manager's folder on a private shadow database (see `lintMigrations`): the
   * database this manager is connected to is not touched.
   */
  lint(): Promise<LintReport> {
    return this.#guard(async () => {
      const { surrealdb, server } = await this.#shadowSource();
      return lintMigrations({ directory: this.#options.directory, surrealdb, shadow: server });
    });
  }

  /**
   * Whether this manager's one database exists, on SurrealDB 2 (where a connection's `use`
   * creates nothing, so `#absent()` does not know): a failed transaction there leaves the database
   * it ran in defined. True on SurrealDB 3, and for a forTarget session.
   */
  async #existsOnV2(): Promise<boolean> {
    const target = this.#place.target;
    if (!target || this.#place.session || (await serverMajor(this.#connection.db)) !== 2) return true;
    return selectedExists(this.#connection.db, target.namespace, target.database);
  }

  /**
   * Whether this manager's one database does not exist (its reads then create nothing). For the CLI.
   * @internal
   */
  databaseMissing(): Promise<boolean> {
    return this.#absent();
  }

  /**
   * Where this manager's analyses build their shadow: the `shadow` server if one is given, else
   * the embedded engine of the connected server's major version, so that the folder is judged as
   * the server would judge it.
   */
  async #shadowSource(): Promise<ShadowSource> {
    const major = await serverMajor(this.#connection.db);
    return { surrealdb: major === 2 ? 2 : 3, server: this.#options.shadow };
  }

  /** Whether any discovered migration is not applied. One query; no file I/O. */
  async needsMigration(): Promise<boolean> {
    return this.#guard(async () => {
      if (this.#targets) {
        // Each target's own answer: a target that cannot be read is an error, not "nothing to do".
        const outcomes = await this.#readTargets((manager) => manager.needsMigration());
        this.#throwFailures(outcomes, 'validate');
        return outcomes.some((o) => o.state === 'done' && o.value);
      }
      if (await this.#absent()) return this.#files.up.length > 0;
      const applied = new Set(await this.#history.readVersions());
      return this.#files.up.some((m) => !applied.has(m.version));
    });
  }

  /** Applies every pending migration in order (under the lock). */
  runMigrationUp(): Promise<MigrationResult[]> {
    // The runner's core masks the secrets in whatever it throws.
    return this.runner.runAll();
  }

  /**
   * With `targets`: applies every pending migration on every target, `concurrency` targets at a
   * time, each under its own lock and in order. Results carry their `target`. Throws
   * `TargetsFailedError` naming each target that failed, after the others finished (`'stop'`
   * starts no further target; `'continue'` migrates all the others).
   */
  async #upOverTargets(): Promise<MigrationResult[]> {
    return this.#guard(async () => {
      const targets = this.#targets!;
      const started = Date.now();
      const logger = this.#options.logger;
      if (targets.length > 0) {
        logger.log(
          `Migrating ${targets.length} target(s), ${Math.min(this.#options.concurrency, targets.length)} at a time`,
        );
      }
      const outcomes = await this.#runTargets((manager) => manager.runMigrationUp());
      const results = outcomes.flatMap((o) => (o.state === 'done' ? o.value : []));
      this.#throwFailures(outcomes);
      if (targets.length > 0) {
        const changed = new Set(results.filter((r) => !r.byAnother).map((r) => targetId(r.target!))).size;
        logger.log(
          `${targets.length} target(s) current in ${Date.now() - started} ms: ` +
            `${results.filter((r) => !r.byAnother).length} migration(s) applied on ${changed} of them`,
        );
      }
      return results;
    });
  }

  /**
   * Applies pending migrations up to and including `version`.
   */
  async migrateTo(version: number): Promise<MigrationResult[]> {
    this.#one('migrateTo');
    requireVersion(version, 'to');
    return this.#tag(await this.#core.migrateUp((state) => state.pending.filter((m) => m.version <= version)));
  }

  /**
   * Rolls back with the down scripts, newest first. With no argument, one step.
   * Refuses before any change when a needed down script is missing.
   */
  async rollback(options: RollbackOptions | null = {}): Promise<MigrationResult[]> {
    this.#one('rollback');
    const select = rollbackSelector(options ?? {});
    return this.#tag(await this.#core.migrateDown(select));
  }

  /** Applied, pending, drifted, missing and failed migrations. One query. */
  async status(): Promise<MigrationStatus> {
    if (this.#targets) return this.#guard(() => this.#statusOverTargets());
    return this.#guard(async () => {
      const own = await this.#ownStatus(await this.#absent());
      const { namespace = '', database = '' } = this.#place.target ?? {};
      return { ...own, targets: [{ namespace, database, ...own, error: null }] };
    });
  }

  /** This database's status, without the list of targets. */
  async #ownStatus(absent: boolean): Promise<Omit<MigrationStatus, 'targets'>> {
    const state = await this.#readState(absent);
    const files = new Map(this.#files.up.map((m) => [m.version, m]));
    const status = {
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
    return { ...status, ok: this.#isOk(status) };
  }

  /**
   * Checks the history against the folder: failed records, changed files, missing files, order
   * and, when `requireCurrent` is set, pending migrations. Throws the first fatal problem.
   */
  async validate(options: { requireCurrent?: boolean } = {}): Promise<ValidationReport> {
    return this.#guard(async () => {
      if (this.#targets) {
        const outcomes = await this.#readTargets((manager) => manager.validate(options));
        this.#throwFailures(outcomes, 'validate');
        const done = outcomes.flatMap((o) => (o.state === 'done' ? [{ target: o.target, report: o.value }] : []));
        return {
          warnings: done.flatMap(({ target, report }) => report.warnings.map((w) => `${targetKey(target)}: ${w}`)),
          pending: done.reduce((sum, { report }) => sum + report.pending, 0),
        };
      }
      return this.#validate(options, await this.#absent());
    });
  }

  async #validate(options: { requireCurrent?: boolean }, absent: boolean): Promise<ValidationReport> {
    const state = await this.#readState(absent);
    const { errors, warnings } = findProblems(state, this.#options);
    if (errors[0]) throw errors[0];
    if (options.requireCurrent && state.pending.length > 0) throw new PendingMigrationsError(state.pending);
    return { warnings, pending: state.pending.length };
  }

  /**
   * Whether this manager's database does not exist yet. Asked before a read opens the session, or
   * makes the connection's first request (its `use` would create the database): a read of a
   * missing database answers as an empty one, and creates nothing. For a forTarget manager, two
   * requests while the session is not open; none after. For the manager's own connection, none
   * once it found the database; until then, one look in a session of its own.
   */
  async #absent(): Promise<boolean> {
    const session = this.#place.session;
    // The manager's own connection: not found when it connected, and not selected since.
    if (!session) return this.#connection.missing();
    if (session.opened) return false;
    // Known from a listing made for many targets at once (kept until the session opens).
    if (this.#absentHint !== undefined) return this.#absentHint;
    return (await missingTargets(this.#connection.db, [this.#place.target!])).size > 0;
  }

  /** The state of this database; of an empty one, without a request, when it does not exist. */
  #readState(absent: boolean): Promise<MigrationState> {
    return absent ? Promise.resolve(computeState(this.#files.up, { applied: [], failed: [] })) : this.#core.readState();
  }

  /** What `runMigrationUp()` (direction up) or `rollback()` (down) would run. Touches nothing. */
  async plan(options: { direction?: MigrationDirection } & RollbackOptions = {}): Promise<MigrationPlan> {
    return this.#guard(async () => {
      this.#one('plan');
      const direction = options.direction ?? 'up';
      const state = await this.#readState(await this.#absent());
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
      const downs = new Map(this.#files.down.map((d) => [d.version, d]));
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
    return this.#guard(async () => {
      this.#one('dryRun');
      const absent = (await this.#absent()) || !(await this.#existsOnV2());
      const state = await this.#readState(absent);
      const firstNoTx = state.pending.findIndex((m) => m.noTransaction);
      const runnable = firstNoTx === -1 ? state.pending : state.pending.slice(0, firstNoTx);
      const rest = firstNoTx === -1 ? [] : state.pending.slice(firstNoTx);
      const brief = ({ version, name, file }: MigrationFile) => ({ version, name, file });
      // A database that does not exist is empty: the migrations are tried on an empty shadow of
      // the server's version, so that nothing is created here to be rolled back.
      if (absent) {
        const source = await this.#shadowSource();
        const opened = await verifyOnShadow(this.#options.directory, new Set(runnable.map((m) => m.version)), source)
          .then(() => true)
          .catch((error: unknown) => {
            // No embedded engine to build the shadow with (a remote-only install): nothing verified.
            if (error instanceof MigrationOptionsError) return false;
            throw error;
          });
        if (!opened) return { verified: [], notVerifiable: state.pending.map(brief), absent: true };
        return { verified: runnable.map(brief), notVerifiable: rest.map(brief), absent: true };
      }
      await this.#core.dryRun(runnable);
      return { verified: runnable.map(brief), notVerifiable: rest.map(brief) };
    });
  }

  /**
   * Records every discovered version up to `version` as applied, without running it: adopts a
   * database whose schema was created by hand. Returns the versions recorded.
   */
  async baseline(version: number): Promise<number[]> {
    return this.#guard(async () => {
      this.#one('baseline');
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
    this.#one('resolve');
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
        const file = this.#files.up.find((m) => m.version === version);
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
    return this.#guard(async () => {
      this.#one('repair');
      // Rows whose version cannot be read hold nothing a run could use: they go first, named.
      const removed = await this.#core.exclusive(() => this.#history.removeUnreadable());
      if (removed.length > 0) {
        this.#options.logger.warn(
          `Removed ${removed.length} history row(s) whose version could not be read: ` +
            removed.map((r) => `${String(r.id)} (version ${JSON.stringify(r.version ?? null)})`).join(', '),
        );
      }
      const state = await this.#core.readState();
      const files = new Map(this.#files.up.map((m) => [m.version, m]));
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
    });
  }

  /** The current lock holder, if any. */
  lockHolder(): Promise<LockHolder | undefined> {
    return this.#guard(async () => {
      this.#one('lockHolder');
      if (await this.#absent()) return undefined;
      return this.#lock.holder();
    });
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
    return this.#guard(async () => {
      this.#one('forceUnlock');
      // No database, no lock: not created to delete nothing.
      if (await this.#absent()) return undefined;
      return this.#lock.forceUnlock();
    });
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

  /**
   * Lets a run in progress finish its current migration, then closes the connection if owned
   * (a `forTarget` manager closes its session; the first manager closes those of its targets too).
   */
  close(): Promise<void> {
    // Idempotent: the module closes it when a failed bootstrap aborts the app, and again on shutdown.
    this.#closing ??= (async () => {
      await this.runner.stop();
      const { parent, session } = this.#place;
      if (parent) {
        parent.#handedOut.delete(this);
        await session?.close();
        return;
      }
      const children = [...this.#pool.values(), ...this.#handedOut];
      await Promise.all(children.map((child) => child.close()));
      this.#pool.clear();
      await this.#connection.close();
    })();
    return this.#closing;
  }

  /** The runner's steps: the core's, or with `targets` the runs over every target. */
  #runnerOps(): RunnerOps {
    const own = coreOps(this.#core);
    const stop = async () => {
      this.#stopRequested = true;
      const children = [...this.#pool.values(), ...this.#handedOut];
      await Promise.all([own.stop(), ...children.map((child) => child.runner.stop())]);
    };
    return {
      runAll: async () => {
        this.#ensureOpen();
        return this.#targets ? this.#upOverTargets() : this.#tag(await own.runAll());
      },
      runOneUp: async () => {
        this.#ensureOpen();
        this.#one('runner.runOneUp');
        return this.#tag(await own.runOneUp());
      },
      runOneDown: async () => {
        this.#ensureOpen();
        this.#one('runner.runOneDown');
        return this.#tag(await own.runOneDown());
      },
      stop,
    };
  }

  /** A forTarget manager's results name their target, as they do in a run over many targets. */
  #tag<R extends MigrationResult | MigrationResult[] | undefined>(results: R): R {
    const target = this.#place.parent ? this.#place.target : undefined;
    if (!target || results === undefined) return results;
    const named = (r: MigrationResult) => ({ ...r, target });
    return (Array.isArray(results) ? results.map(named) : named(results as MigrationResult)) as R;
  }

  /** A forTarget manager closed (or whose parent closed) says so, rather than failing on its session. */
  #ensureOpen(): void {
    const parent = this.#place.parent;
    if (parent && (this.#closing || parent.#closing)) {
      throw new MigrationArgumentError(
        `The manager of ${targetKey(this.#place.target!)} is closed (closing the manager that made it ` +
          'closes it too); get a new one with forTarget() from an open manager.',
      );
    }
  }

  /** Throws when this manager has many targets: `method` acts on one database. */
  #one(method: string): void {
    this.#ensureOpen();
    if (!this.#targets) return;
    throw new MigrationArgumentError(
      `${method}() acts on one database, and this manager has ${this.#targets.length} targets: call it on ` +
        `manager.forTarget({ namespace, database }).`,
    );
  }

  /** This root manager's manager of `target`, made on first use. */
  #managerOf(target: MigrationTarget): MigrationManager {
    const key = targetKey(target);
    const options: ResolvedMigrationsOptions = {
      ...this.#options,
      namespace: target.namespace,
      database: target.database,
      targets: undefined,
      on: {},
      logger: naming(this.#options.logger, key),
    };
    // Servers without sessions get a connection per target: from the URL, or, for a `client` of the
    // embedded SurrealDB 2, to its datastore. (Each mem:// connection of the embedded SurrealDB 2 is
    // otherwise a new datastore: a target's shares the manager's.)
    const root = this.#connection.db;
    const own: ResolvedMigrationsOptions | undefined =
      this.#options.url !== undefined
        ? { ...options, client: undefined }
        : isEmbeddedV2Client(root)
          ? { ...options, client: undefined, url: 'mem://', surrealdb: 2 }
          : undefined;
    const openOwn = own && (() => openConnection(own, options.logger, root));
    const session = new TargetSession(root, target, openOwn);
    return new MigrationManager(
      options,
      { db: this.#connection.db, owned: false, missing: async () => false, close: async () => {} },
      { target, session, parent: this, files: this.#files },
    );
  }

  /**
   * A run on the manager of each target (kept for the next run), with the failure policy. After a
   * stop request no target starts.
   */
  async #runTargets<T>(work: (manager: MigrationManager) => Promise<T>): Promise<TargetOutcome<T>[]> {
    if (this.#stopRequested) throw new MigrationsStoppedError(undefined);
    return runOverTargets(
      this.#targets!,
      { concurrency: this.#options.concurrency, onTargetFailure: this.#options.onTargetFailure },
      (target) => work(this.#pooled(target)),
      () => this.#stopRequested,
    );
  }

  /**
   * A read of every target, whatever one of them finds. A target whose database does not exist is
   * read as an empty one (`absent`), without opening a session: that would create it.
   */
  async #readTargets<T>(work: (manager: MigrationManager) => Promise<T>): Promise<TargetOutcome<T>[]> {
    const targets = this.#targets!;
    const unopened = targets.filter((t) => !this.#pooled(t).#place.session?.opened);
    // One listing for all of them, rather than two requests per target.
    const missing = unopened.length > 0 ? await missingTargets(this.#connection.db, unopened) : new Set<string>();
    for (const target of unopened) this.#pooled(target).#absentHint = missing.has(targetId(target));
    return runOverTargets(targets, { concurrency: this.#options.concurrency, onTargetFailure: 'continue' }, (target) =>
      work(this.#pooled(target)),
    );
  }

  /** This manager's pooled manager of `target`. */
  #pooled(target: MigrationTarget): MigrationManager {
    const id = targetId(target);
    let manager = this.#pool.get(id);
    if (!manager) this.#pool.set(id, (manager = this.#managerOf(target)));
    return manager;
  }

  /** Throws `TargetsFailedError` when a target failed (or `MigrationsStoppedError` after a stop). */
  #throwFailures(outcomes: readonly TargetOutcome<unknown>[], action: 'migrate' | 'validate' = 'migrate'): void {
    const failures = outcomes.flatMap((o) =>
      o.state === 'failed' ? [{ namespace: o.target.namespace, database: o.target.database, error: o.error }] : [],
    );
    const notStarted = outcomes.flatMap((o) => (o.state === 'skipped' ? [o.target] : []));
    if (this.#stopRequested && failures.every((f) => f.error instanceof MigrationsStoppedError)) {
      if (failures.length > 0 || notStarted.length > 0) throw new MigrationsStoppedError(undefined);
      return;
    }
    if (failures.length > 0) {
      throw new TargetsFailedError(failures, notStarted, outcomes.length, { action, stopped: this.#stopRequested });
    }
  }

  /** Whether a status is clean: nothing pending, failed, changed or (unless allowed) missing. */
  #isOk(status: Pick<MigrationStatus, 'pending' | 'failed' | 'drifted' | 'missing'>): boolean {
    return (
      status.pending.length === 0 &&
      status.failed.length === 0 &&
      (status.drifted.length === 0 || !this.#options.validateChecksums) &&
      (status.missing.length === 0 || this.#options.allowMissing)
    );
  }

  /** status() with `targets`: each target's, and the sum of them. Never stops at a failing target. */
  async #statusOverTargets(): Promise<MigrationStatus> {
    const outcomes = await this.#readTargets(async (manager) => manager.#ownStatus(await manager.#absent()));
    const entries: TargetStatus[] = outcomes.map((o) => {
      const { namespace, database } = o.target;
      if (o.state === 'done') return { namespace, database, ...o.value, error: null };
      const error = o.state === 'failed' ? this.#options.redactor.text(o.error.message) : 'not read (stopped)';
      return { namespace, database, ...emptyStatus(this.getLatestVersion()), ok: false, error };
    });
    const read = entries.filter((e) => e.error === null);
    const union = <T extends { version: number }>(pick: (e: TargetStatus) => readonly T[]): T[] => {
      const byVersion = new Map<number, T>();
      for (const entry of read)
        for (const item of pick(entry)) if (!byVersion.has(item.version)) byVersion.set(item.version, item);
      return [...byVersion.values()].sort((a, b) => a.version - b.version);
    };
    const everywhere = read
      .slice(1)
      .reduce(
        (applied, entry) => applied.filter((a) => entry.applied.some((b) => b.version === a.version)),
        read[0]?.applied ?? [],
      );
    return {
      currentVersion: read.length > 0 ? Math.min(...read.map((e) => e.currentVersion)) : 0,
      latestVersion: this.getLatestVersion(),
      applied: everywhere,
      pending: union((e) => e.pending),
      drifted: union((e) => e.drifted),
      missing: union((e) => e.missing),
      future: union((e) => e.future),
      failed: read.flatMap((e) => e.failed),
      ok: entries.every((e) => e.ok),
      targets: entries,
    };
  }

  /** probe() with `targets`: one request per target, at most `concurrency` at a time. */
  async #probeTargets(timeoutMs?: number): Promise<MigrationsProbe> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const late = () => new Error(`no answer within ${timeoutMs} ms`);
    const outcomes = await this.#readTargets((manager) =>
      deadline === undefined
        ? manager.probe()
        : Date.now() >= deadline
          ? Promise.reject(late())
          : withTimeout(manager.probe(), deadline - Date.now(), () => late().message),
    );
    const targets: TargetProbe[] = outcomes.map((o) => {
      const { namespace, database } = o.target;
      if (o.state === 'done') {
        const { currentVersion, pending, failed, unreadable } = o.value;
        return { namespace, database, currentVersion, pending, failed, unreadable, error: null };
      }
      const error = o.state === 'failed' ? this.#options.redactor.text(o.error.message) : 'not probed (stopped)';
      return { namespace, database, currentVersion: 0, pending: 0, failed: [], unreadable: 0, error };
    });
    const read = targets.filter((t) => t.error === null);
    return {
      currentVersion: read.length > 0 ? Math.min(...read.map((t) => t.currentVersion)) : 0,
      latestVersion: this.getLatestVersion(),
      pending: read.reduce((sum, t) => sum + t.pending, 0),
      failed: [...new Set(read.flatMap((t) => t.failed))].sort((a, b) => a - b),
      unreadable: read.reduce((sum, t) => sum + t.unreadable, 0),
      lock: null,
      targets,
    };
  }

  /** The probe of a database that does not exist: nothing applied. */
  #absentProbe(): MigrationsProbe {
    const latestVersion = this.getLatestVersion();
    return { currentVersion: 0, latestVersion, pending: this.#files.up.length, failed: [], unreadable: 0, lock: null };
  }

  /** Runs `work`; an error it throws leaves with every secret in it masked. */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.#ensureOpen();
      return await work();
    } catch (error) {
      throw this.#options.redactor.error(asLibraryError(error, this.#where));
    }
  }

  #setFiles(up: readonly MigrationFile[], down: readonly MigrationFile[], ignored: readonly string[]): void {
    this.#files.up = Object.freeze([...up]);
    this.#files.down = Object.freeze([...down]);
    if (ignored.length > 0) {
      this.#options.logger.warn(
        `Ignored ${ignored.length} file(s) in ${this.#options.directory} that are not migrations: ${ignored.join(', ')}`,
      );
    }
  }
}

/** Where a manager works, and what it shares with the manager that made it. */
interface Place {
  /** Its one database; undefined for a manager of many targets (or a client with none selected). */
  target: MigrationTarget | undefined;
  /** A forTarget manager's session on the shared connection. */
  session?: TargetSession;
  /** The manager whose forTarget() made it. */
  parent?: MigrationManager;
  files: { up: readonly MigrationFile[]; down: readonly MigrationFile[] };
}

/** Events that name their target, and reach the parent manager's listeners too. */
class TargetEvents extends MigrationEvents {
  /** The manager's own events only (not its forTarget managers'): what it logs. */
  readonly own: MigrationEvents;
  readonly #target: MigrationTarget | undefined;
  readonly #parent: TargetEvents | undefined;

  constructor(onListenerError: (error: Error) => void, target: MigrationTarget | undefined, parent?: TargetEvents) {
    super(onListenerError);
    this.own = new MigrationEvents(onListenerError);
    this.#target = target;
    this.#parent = parent;
  }

  override emit<K extends MigrationEventName>(event: K, payload: MigrationEventMap[K]): void {
    const named = this.#target && !payload.target ? { ...payload, target: this.#target } : payload;
    this.own.emit(event, named);
    this.#relay(event, named);
  }

  /** To this manager's listeners, and on to its parent's. */
  #relay<K extends MigrationEventName>(event: K, payload: MigrationEventMap[K]): void {
    super.emit(event, payload);
    if (this.#parent) this.#parent.#relay(event, payload);
  }
}

/** The one database a manager without `targets` works on, when it is known. */
function ownTarget(options: ResolvedMigrationsOptions, db: Surreal): MigrationTarget | undefined {
  let namespace = options.namespace;
  let database = options.database;
  if (options.client) {
    try {
      ({ namespace, database } = db);
    } catch {
      // A client not connected yet (it throws when asked), or wrapped: its database is not known.
      return undefined;
    }
  }
  return namespace && database ? { namespace, database } : undefined;
}

/** A logger whose lines start with the target they are about. */
function naming(logger: MigrationLogger, key: string): MigrationLogger {
  return {
    log: (message, ...rest) => logger.log(`[${key}] ${message}`, ...rest),
    warn: (message, ...rest) => logger.warn(`[${key}] ${message}`, ...rest),
    error: (message, ...rest) => logger.error(`[${key}] ${message}`, ...rest),
  };
}

/** The status of a target that could not be read. */
function emptyStatus(latestVersion: number): Omit<MigrationStatus, 'targets' | 'ok'> {
  return {
    currentVersion: 0,
    latestVersion,
    applied: [],
    pending: [],
    drifted: [],
    missing: [],
    future: [],
    failed: [],
  };
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
