import path from 'node:path';
import type { QueryResponse, Surreal } from 'surrealdb';
import { serverMajor } from './connection.js';
import { forgetRolledBackTables } from './rolled-back-tables.js';
import type { SessionLike } from './targets.js';
import {
  MigrationError,
  MigrationLockError,
  MigrationsStoppedError,
  MissingDownMigrationError,
  type LockHolder,
  type MigrationDirection,
} from './errors.js';
import { LEASE_LOST, type FailedRecord, type HistoryStore } from './history-store.js';
import type { MigrationEvents } from './migration-events.js';
import type { MigrationFile } from './migration-files.js';
import type { MigrationLock } from './migration-lock.js';
import { computeState, findProblems, interruptedError, type MigrationState } from './migration-plan.js';
import type { MigrationLogger, MigrationTarget, ResolvedMigrationsOptions } from './options.js';
import { readVerdict, transactionalRequest } from './request-layout.js';
import {
  asLibraryError,
  errorLocation,
  firstFailure,
  isConflictOrExists,
  isNotExecuted,
  isRetryableConflict,
  isUndecodableAnswer,
} from './surreal-errors.js';
import { surqlStatements, type SurqlStatement } from './surql-splitter.js';
import { refuseUnreadableNames, translateUnreadable } from './v3-keyword-refusal.js';
import { quoteIdent } from './embedded-engine.js';
import { sleep, withTimeout } from './timing.js';
import { parseOnServer, refuse, requestError, scriptError, statementError } from './script-errors.js';

/** One migration run up or down. */
export interface MigrationResult {
  version: number;
  name: string;
  file: string;
  direction: MigrationDirection;
  durationMs: number;
  /** Up only: another replica applied it first; this one applied nothing. */
  byAnother: boolean;
  /** The target it ran on: in a run over many `targets`, and from a `forTarget` manager. */
  target?: MigrationTarget;
}

/** What the runner shares with the manager. Internal. */
export interface RunnerContext {
  readonly db: SessionLike;
  /** The connection the sessions of `db` share: what the server's conventions are learnt once for. */
  readonly connection: Surreal;
  /** The database, as errors name it (the URL redacted, and the target). */
  readonly where: string;
  readonly options: ResolvedMigrationsOptions;
  readonly history: HistoryStore;
  readonly lock: MigrationLock;
  readonly events: MigrationEvents;
  readonly logger: MigrationLogger;
  /** The discovered scripts; `refresh()` replaces them. */
  files(): { up: readonly MigrationFile[]; down: readonly MigrationFile[] };
}

/** Per connection (shared by the targets' sessions): whether the server answers BEGIN and COMMIT. */
const conventions = new WeakMap<object, Promise<boolean>>();

/** Transactional migrations that lose to a write conflict are tried again this many times. */
const CONFLICT_RETRIES = 3;

/** How often a CONCURRENTLY index build still under way is logged. */
const INDEX_LOG_MS = 2_000;

/**
 * Runs migrations, one step at a time: the injectable face of the core that the manager, the CLI
 * and the testing kit share. Each up is its script and its history record in one transaction,
 * sent as one request; each down is its script and the record's deletion.
 *
 * Every entry point reads the history with one query and returns at once when there is nothing to
 * do; only when there is work does it take the lock, and then it reads the history again.
 *
 * @example
 * ```ts
 * const runner = app.get(MigrationRunner);
 * await runner.runOneDown(); // roll back the latest applied migration
 * ```
 */
export class MigrationRunner {
  readonly #ops: RunnerOps;

  /** Made by {@link MigrationManager}; inject it, or take `manager.runner`. */
  constructor(ops: RunnerOps) {
    this.#ops = ops;
  }

  /** Applies every pending migration in version order (with `targets`: on every target). */
  runAll(): Promise<MigrationResult[]> {
    return this.#ops.runAll();
  }

  /** Applies the next pending migration, if any. */
  runOneUp(): Promise<MigrationResult | undefined> {
    return this.#ops.runOneUp();
  }

  /** Rolls back the latest applied migration, if any. */
  runOneDown(): Promise<MigrationResult | undefined> {
    return this.#ops.runOneDown();
  }

  /**
   * Asks a run in progress to stop after the current migration, and waits until it has (its
   * transaction committed or rolled back, the lock released). A run waiting for the lock stops
   * waiting. The stopped run rejects with `MigrationsStoppedError` if work was left; from then on
   * no further migration starts.
   */
  stop(): Promise<void> {
    return this.#ops.stop();
  }
}

/** What a {@link MigrationRunner} does: a core's steps, or a manager's over many targets. Internal. */
export interface RunnerOps {
  runAll(): Promise<MigrationResult[]>;
  runOneUp(): Promise<MigrationResult | undefined>;
  runOneDown(): Promise<MigrationResult | undefined>;
  stop(): Promise<void>;
}

/** The steps of one database's runner core. */
export function coreOps(core: RunnerCore): RunnerOps {
  return {
    runAll: () => core.migrateUp((state) => state.pending),
    runOneUp: async () => (await core.migrateUp((state) => state.pending.slice(0, 1)))[0],
    runOneDown: async () => (await core.migrateDown((state) => state.applied.slice(-1).map((r) => r.version)))[0],
    stop: () => core.stop(),
  };
}

/**
 * The runner's work: state, the locked runs up and down, each migration's request and its
 * verdict, dry runs. Not exported from the package; {@link MigrationRunner} and the manager are
 * its faces.
 */
export class RunnerCore {
  readonly #ctx: RunnerContext;
  #stopRequested = false;
  #active: Promise<unknown> = Promise.resolve();
  /** The failed and in-progress records as read under the lock, by version. */
  #failedRecords = new Map<number, FailedRecord>();

  constructor(context: RunnerContext) {
    this.#ctx = context;
  }

  /** The discovered files compared with the history, read with one query. */
  async readState(): Promise<MigrationState> {
    return computeState(this.#ctx.files().up, await this.#ctx.history.read());
  }

  /** See {@link MigrationRunner.stop}. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    this.#ctx.lock.interruptWait();
    await this.#active.catch(() => {});
  }

  /**
   * Applies the migrations that `select` picks from the state, under the lock. Refuses, before
   * changing anything, when the state has a problem the options make fatal.
   */
  migrateUp(select: (state: MigrationState) => readonly MigrationFile[]): Promise<MigrationResult[]> {
    return this.#track(async () => {
      const state = await this.readState();
      this.#check(state, true);
      // An in-progress record left by a run that may be gone is work to judge under the lock.
      if (select(state).length === 0 && state.interrupted.length === 0) return [];
      return this.#exclusive(
        async () => select(await this.#readVersionsState()).length,
        async () => {
          const current = await this.readState();
          this.#check(current, false, true);
          this.#failedRecords = new Map(current.failed.map((f) => [f.version, f]));
          const selected = select(current);
          await refuseUnreadableNames(this.#ctx.connection, selected, 'up');
          const results: MigrationResult[] = [];
          for (const migration of selected) {
            this.#ensureRunning(selected.length - results.length);
            this.#ensureLeaseHeld(migration);
            results.push(await this.#applyUp(migration));
          }
          return results;
        },
        [],
      );
    });
  }

  /**
   * Rolls back the versions that `select` picks, newest first, under the lock. Refuses before
   * any change when a needed down script is missing.
   */
  migrateDown(select: (state: MigrationState) => readonly number[]): Promise<MigrationResult[]> {
    return this.#track(async () => {
      const state = await this.readState();
      if (this.#downPlan(state, select(state)).length === 0) return [];
      return this.#exclusive(
        async () => select(await this.#readVersionsState()).length,
        async () => {
          const current = await this.readState();
          // Held by this process, the lock says that the run that left an in-progress record is gone.
          const [interrupted] = current.interrupted;
          if (interrupted) throw interruptedError(interrupted.record, interrupted.file);
          this.#failedRecords = new Map(current.failed.map((f) => [f.version, f]));
          const steps = this.#downPlan(current, select(current));
          await refuseUnreadableNames(
            this.#ctx.connection,
            steps.map((s) => s.down),
            'down',
          );
          const results: MigrationResult[] = [];
          for (const step of steps) {
            this.#ensureRunning(steps.length - results.length);
            this.#ensureLeaseHeld(step.down);
            try {
              results.push(await this.#applyDown(step.version, step.name, step.down));
            } catch (error) {
              if (error instanceof MigrationError) {
                error.rolledBack = results.map(({ version, name }) => ({ version, name }));
                if (results.length > 0) {
                  error.message +=
                    `\n  Rolled back before it, and still rolled back: ` +
                    results.map((r) => `${r.version}${r.name ? ` ${r.name}` : ''}`).join(', ') +
                    '.';
                }
              }
              throw error;
            }
          }
          return results;
        },
        [],
      );
    });
  }

  /**
   * Applies one migration atomically (or statement by statement for a no-transaction file).
   */
  async #applyUp(migration: MigrationFile): Promise<MigrationResult> {
    const { events } = this.#ctx;
    const { version, name, file } = migration;
    events.emit('migrating', { version, name, file });
    const started = performance.now();
    try {
      const byAnother = migration.noTransaction
        ? await this.#runStatementByStatement(migration, 'up')
        : await this.#runTransactional(migration, 'up', version);
      if (!byAnother) await this.#awaitConcurrentIndexes(migration, 'up');
      const result = this.#result(migration, 'up', started, byAnother);
      events.emit('migrated', { version, name, file, durationMs: result.durationMs, byAnother });
      return result;
    } catch (error) {
      translateUnreadable(error, this.#ctx.files().up);
      // Masked before any listener sees it.
      this.#ctx.options.redactor.error(error);
      events.emit('failed', { version, name, file, direction: 'up', error: error as Error });
      throw error;
    }
  }

  /**
   * Rolls back one migration atomically with its down script.
   */
  async #applyDown(version: number, name: string, down: MigrationFile): Promise<MigrationResult> {
    const { events } = this.#ctx;
    const file = down.file;
    events.emit('rollingBack', { version, name, file });
    const started = performance.now();
    try {
      if (down.noTransaction) await this.#runStatementByStatement(down, 'down');
      else await this.#runTransactional(down, 'down', version);
      await this.#awaitConcurrentIndexes(down, 'down');
      const result = this.#result({ version, name, file }, 'down', started, false);
      events.emit('rolledBack', { version, name, file, durationMs: result.durationMs });
      return result;
    } catch (error) {
      translateUnreadable(error, this.#ctx.files().up);
      this.#ctx.options.redactor.error(error);
      events.emit('failed', { version, name, file, direction: 'down', error: error as Error });
      throw error;
    }
  }

  /**
   * Runs `work` holding the lock, waiting for it as migrations do: for operator commands
   * (baseline, resolve, repair) that write the history.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const stopped = Symbol('stopped');
    return this.#track(async () => {
      const result = await this.#exclusive<T | typeof stopped>(async () => 1, work, stopped);
      // Only a stop ends the wait of a command that always has work to do.
      if (result === stopped) throw new MigrationsStoppedError(1);
      return result;
    });
  }

  /**
   * Runs transactional migrations in order inside one transaction that is then cancelled, so each
   * sees the ones before it and nothing is kept. Throws {@link MigrationError} for the first
   * failure, located in its file.
   */
  dryRun(migrations: readonly MigrationFile[]): Promise<void> {
    return this.#dryRun(migrations).catch((error: unknown) => {
      throw this.#ctx.options.redactor.error(asLibraryError(error, this.#ctx.where));
    });
  }

  async #dryRun(migrations: readonly MigrationFile[]): Promise<void> {
    if (migrations.length === 0) return;
    await refuseUnreadableNames(this.#ctx.connection, migrations, 'up');
    // Each script starts on a line of its own; `firstLine` is where, in the request.
    const parts = ['BEGIN TRANSACTION;'];
    const spans: { migration: MigrationFile; statements: SurqlStatement[]; firstLine: number; firstIndex: number }[] =
      [];
    let line = 2;
    let index = 0;
    for (const migration of migrations) {
      const statements = surqlStatements(migration.text);
      refuse(migration, 'up', statements);
      spans.push({ migration, statements, firstLine: line, firstIndex: index });
      parts.push(`${migration.text}\n;`);
      line += migration.text.split('\n').length + 1;
      index += statements.length;
    }
    parts.push('CANCEL TRANSACTION;');
    let responses: QueryResponse[];
    try {
      responses = await this.#ctx.db.query(parts.join('\n')).responses();
      await this.#forgetRolledBack(migrations.map((m) => m.text));
    } catch (error) {
      // Every statement succeeded: a failure would have answered as text (see isUndecodableAnswer).
      if (isUndecodableAnswer(error)) return this.#forgetRolledBack(migrations.map((m) => m.text));
      const at = errorLocation(error);
      const span = [...spans].reverse().find((s) => at && at.line >= s.firstLine) ?? spans[0]!;
      throw requestError(span.migration, 'up', error, span.firstLine - 1);
    }
    // A failed transaction: the failing statement carries the real error, CANCEL gets no answer.
    const head = (await this.#answersTransactions()) ? 1 : 0;
    const failed = responses.findIndex((r) => !r.success && !isNotExecuted(r.error));
    if (failed < 0) return;
    const error = (responses[failed] as Extract<QueryResponse, { success: false }>).error;
    const at = failed - head;
    const span = [...spans].reverse().find((s) => at >= s.firstIndex) ?? spans[0]!;
    if (responses.length - head === index) {
      throw statementError(span.migration, 'up', error, span.statements[at - span.firstIndex]);
    }
    throw scriptError(span.migration, 'up', {
      reason:
        `${error.message} (statement ${at + 1} of the dry run as SurrealDB counts them; this tool's splitter ` +
        `counted ${index}, so the migration named may be wrong)`,
      cause: error,
    });
  }

  /**
   * The state from the applied versions alone (the smallest query): enough for a waiting replica
   * to see how much work is left. The full state is read once the lock is held.
   */
  async #readVersionsState(): Promise<MigrationState> {
    const versions = await this.#ctx.history.readVersions();
    const applied = versions
      .sort((a, b) => a - b)
      .map((version) => ({
        version,
        name: undefined,
        checksum: undefined,
        appliedAt: undefined,
        durationMs: undefined,
      }));
    return computeState(this.#ctx.files().up, { applied, failed: [] });
  }

  /** Runs `work` holding the lock; `undefined` from the wait means another replica did it all. */
  async #exclusive<T>(remaining: () => Promise<number>, work: () => Promise<T>, nothingToDo: T): Promise<T> {
    const { lock, history, events } = this.#ctx;
    await history.ensureDefined();
    const acquired = await lock.acquire(remaining, events);
    if (!acquired) {
      // The wait ended: another replica did the work, or a stop interrupted it.
      if (this.#stopRequested) this.#ensureRunning(await remaining());
      return nothingToDo;
    }
    try {
      return await work();
    } finally {
      await lock
        .release()
        .catch((error: unknown) =>
          this.#ctx.logger.warn(`Could not release the migration lock: ${(error as Error).message}`),
        );
    }
  }

  #track<T>(run: () => Promise<T>): Promise<T> {
    const promise = this.#active
      .catch(() => {})
      .then(() => {
        this.#ensureRunning(undefined);
        return run();
      })
      .catch((error: unknown) => {
        throw this.#ctx.options.redactor.error(asLibraryError(error, this.#ctx.where));
      });
    this.#active = promise;
    return promise;
  }

  /** `lockHeld`: an in-progress record found now was left by a run that is gone. */
  #check(state: MigrationState, logWarnings: boolean, lockHeld = false): void {
    const { errors, warnings } = findProblems(state, this.#ctx.options, { lockHeld });
    if (logWarnings) warnings.forEach((w) => this.#ctx.logger.warn(w));
    if (errors[0]) throw errors[0];
  }

  #downPlan(state: MigrationState, versions: readonly number[]) {
    const { up, down } = this.#ctx.files();
    const downs = new Map(down.map((d) => [d.version, d]));
    const names = new Map(up.map((u) => [u.version, u.name]));
    const recorded = new Map(state.applied.map((r) => [r.version, r.name]));
    const steps = [...versions]
      .sort((a, b) => b - a)
      .map((version) => ({
        version,
        name: recorded.get(version) ?? names.get(version) ?? '',
        down: downs.get(version),
      }));
    const missing = steps.filter((s) => !s.down);
    if (missing.length > 0) {
      throw new MissingDownMigrationError(
        missing.map((s) => ({
          version: s.version,
          name: s.name,
          expectedFile: expectedDownFile(this.#ctx.options.directory, s.version, up),
        })),
      );
    }
    return steps as { version: number; name: string; down: MigrationFile }[];
  }

  #result(
    migration: Pick<MigrationFile, 'version' | 'name' | 'file'>,
    direction: MigrationDirection,
    started: number,
    byAnother: boolean,
  ): MigrationResult {
    const { version, name, file } = migration;
    return { version, name, file, direction, durationMs: Math.round(performance.now() - started), byAnother };
  }

  /**
   * One request, `BEGIN; LET …; <script>; <history statement>; COMMIT` (see `request-layout.ts`),
   * read by the places of its answers counted from the end. Returns true when another replica had
   * already applied the version (up only).
   */
  async #runTransactional(script: MigrationFile, direction: MigrationDirection, version: number): Promise<boolean> {
    const statements = surqlStatements(script.text);
    refuse(script, direction, statements);
    try {
      return await this.#sendTransactional(script, direction, version, statements);
    } catch (error) {
      // Sent, and rolled back (or its fate unknown): nothing for SurrealDB 2 to half-remember.
      await this.#forgetRolledBack([script.text]);
      throw error;
    }
  }

  async #sendTransactional(
    script: MigrationFile,
    direction: MigrationDirection,
    version: number,
    statements: SurqlStatement[],
  ): Promise<boolean> {
    const { db, history, lock } = this.#ctx;
    const bookkeeping =
      direction === 'up'
        ? history.recordStatement({
            version,
            name: script.name,
            checksum: script.checksum,
            appliedBy: lock.owner.token,
          })
        : history.deleteStatement(version);
    const sql = transactionalRequest(script.text, bookkeeping.sql);
    const answersTransaction = await this.#answersTransactions();
    const isHistoryRow = (response: QueryResponse) => {
      if (!response.success) return false;
      const rows = Array.isArray(response.result) ? (response.result as { version?: unknown }[]) : [];
      return rows.some((row) => Number(row?.version) === version);
    };

    for (let attempt = 0; ; attempt++) {
      let responses: QueryResponse[];
      try {
        responses = await this.#unlessStalled(db.query(sql, bookkeeping.vars).responses());
      } catch (error) {
        if (errorLocation(error)) throw requestError(script, direction, error, 1);
        // No readable answer (a dropped connection, a value the client cannot decode, a conflict
        // reported for the whole request): the transaction may or may not have committed. The
        // history row, and who wrote it, say which.
        const by = await this.#ctx.history.appliedBy(version).catch(() => undefined);
        const mine = lock.owner.token;
        if (direction === 'up' && by !== undefined && by !== null) {
          if (by === mine) {
            this.#ctx.logger.warn(
              `Migration ${version} committed, but its answers could not be read: ${messageOf(error)}`,
            );
            return false;
          }
          // Written without this run's token: another process (or an older release of this tool).
          return true;
        }
        if (direction === 'down' && by === null) return false;
        if (by !== undefined && isRetryableConflict(error) && attempt < CONFLICT_RETRIES) continue;
        throw requestError(
          script,
          direction,
          error,
          1,
          undefined,
          by === undefined
            ? 'The request got no readable answer, and the history could not be read: whether it committed is ' +
                `unknown. Check \`surreal-migrate status\` before running it again.`
            : `The request got no readable answer, and the history shows it did not commit: nothing of this ` +
                `${direction === 'up' ? 'migration' : 'rollback'} was applied.`,
        );
      }
      const verdict = readVerdict(responses, answersTransaction, isHistoryRow);
      switch (verdict.outcome) {
        case 'committed':
          if (verdict.scriptAnswers !== statements.length) this.#warnCount(script, verdict.scriptAnswers, statements);
          return false;
        case 'ended-early':
          return this.#recordEndedEarly(script, direction, statements, verdict.ran);
        case 'failed-at-history':
          // The history record's fixed id is the fence: a second apply of the same version fails its
          // commit and keeps nothing. Who wrote the row tells "applied by another" from a failure.
          if (direction === 'up') {
            if (await this.#appliedByAnother(version)) return true;
            if (isRetryableConflict(verdict.error) && attempt < CONFLICT_RETRIES) continue;
          }
          throw scriptError(
            script,
            direction,
            {
              reason: `the history table ${this.#ctx.options.table} refused the ${direction === 'up' ? 'new row' : 'deletion'}: ${verdict.error.message}`,
              cause: verdict.error,
            },
            `Nothing of this ${direction === 'up' ? 'migration' : 'rollback'} was applied. The script ran, but its ` +
              `history statement failed: check the history table's definition (\`INFO FOR TABLE ${this.#ctx.options.table}\`).`,
          );
        case 'failed-in-script': {
          if (direction === 'up' && isConflictOrExists(verdict.error)) {
            if (await this.#appliedByAnother(version)) return true;
            if (isRetryableConflict(verdict.error) && attempt < CONFLICT_RETRIES) continue;
          }
          const agree = verdict.scriptAnswers === statements.length;
          if (agree) throw statementError(script, direction, verdict.error, statements[verdict.index]);
          throw scriptError(script, direction, {
            reason:
              `${verdict.error.message} (statement ${verdict.index + 1} as SurrealDB counts them; ` +
              `this tool's splitter counted ${statements.length}, so it does not name the statement)`,
            cause: verdict.error,
          });
        }
      }
    }
  }

  /**
   * A `DEFINE INDEX … CONCURRENTLY` builds after its migration commits. The migration is complete
   * only once `INFO FOR INDEX` says the build is ready: a process that exits before then leaves an
   * index that later says ready but misses rows. A stop request does not cut this wait short (the
   * next migration does not start); a second signal to the CLI still exits at once.
   */
  async #awaitConcurrentIndexes(script: MigrationFile, direction: MigrationDirection): Promise<void> {
    const { db, logger } = this.#ctx;
    // Without the word, no statement can build in the background: the file is not split again.
    if (!/concurrently/i.test(script.text)) return;
    const indexes = surqlStatements(script.text).flatMap((s) => (s.concurrentIndex ? [s.concurrentIndex] : []));
    indexes: for (const { name, table } of indexes) {
      const started = Date.now();
      let lastLog = started;
      for (let delay = 20; ; delay = Math.min(delay * 2, 1_000)) {
        const [info] = await db
          // Names written escaped: SurrealDB 2 takes no parameters as names in INFO.
          .query(`INFO FOR INDEX ${quoteIdent(name)} ON ${quoteIdent(table)}`)
          .responses();
        // The index is gone again (a later statement of the file removed it): nothing to wait for
        // here, but the file's other indexes still are.
        if (!info || !info.success) continue indexes;
        const building = (info.result as { building?: Record<string, unknown> } | undefined)?.building ?? {};
        const status = String(building.status ?? 'ready');
        if (status === 'ready') {
          if (Date.now() - started >= INDEX_LOG_MS) logger.log(`Index ${name} on ${table} is built (${script.file})`);
          break;
        }
        if (status === 'error' || status === 'aborted') {
          throw scriptError(
            script,
            direction,
            {
              reason: `the CONCURRENTLY index ${name} on ${table} failed to build: ${String(building.error ?? status)}`,
            },
            (direction === 'up'
              ? 'The migration itself committed and is recorded in the history'
              : 'The rollback itself committed and its history record is removed') +
              '; the index exists but is not usable. Add a migration that removes or redefines it.',
          );
        }
        if (Date.now() - lastLog >= INDEX_LOG_MS) {
          lastLog = Date.now();
          const counts = ['initial', 'pending', 'updated']
            .filter((k) => building[k] !== undefined)
            .map((k) => `${k} ${String(building[k])}`)
            .join(', ');
          logger.log(
            `Waiting for index ${name} on ${table} to build (${status}${counts ? `, ${counts}` : ''}) before ` +
              `migration ${script.version} counts as complete`,
          );
        }
        await sleep(delay);
      }
    }
  }

  /**
   * A migration's own statements may run long, and are never timed out. But while one runs, the
   * lease is renewed on the same connection; when no renewal has been answered for
   * `lock.waitTimeoutMs`, the connection is taken as stalled and reported, rather than waited on
   * forever.
   */
  #unlessStalled<T>(request: Promise<T>): Promise<T> {
    const { lock, options } = this.#ctx;
    const limit = options.lock.waitTimeoutMs + options.lock.ttlMs;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(
        () => {
          const silent = Date.now() - lock.lastAnswer;
          if (silent > limit) {
            reject(
              new Error(
                `SurrealDB has answered nothing on this connection for ${silent} ms, not even the lock's ` +
                  `renewals: the connection looks stalled`,
              ),
            );
          }
        },
        Math.max(50, Math.min(1_000, options.lock.ttlMs / 3)),
      );
    });
    return Promise.race([request, stalled]).finally(() => clearInterval(timer));
  }

  /** Whether a history row of `version` exists, written by another process than this one. */
  async #appliedByAnother(version: number): Promise<boolean> {
    const by = await this.#ctx.history.appliedBy(version);
    return by !== null && by !== this.#ctx.lock.owner.token;
  }

  #warnCount(script: MigrationFile, answered: number, statements: readonly SurqlStatement[]): void {
    this.#ctx.logger.warn(
      `Migration ${script.version} (${script.file}) committed with its history row, but SurrealDB answered ` +
        `${answered} statement(s) where this tool counted ${statements.length}. Please report the file: ` +
        `messages about it may name the wrong statement.`,
    );
  }

  /**
   * A request that ended before its history statement (a RETURN the refusal did not foresee): the
   * engine committed part of the script without its bookkeeping. Record it as failed, so start-up
   * refuses until an operator resolves it, and say so.
   */
  async #recordEndedEarly(
    script: MigrationFile,
    direction: MigrationDirection,
    statements: readonly SurqlStatement[],
    ran: number,
  ): Promise<never> {
    const known = ran <= statements.length;
    const last = known ? statements[ran - 1] : undefined;
    const reason =
      'the request ended before its history statement: SurrealDB skipped the rest of the transaction after a ' +
      'RETURN and committed the statements before it';
    await this.#recordFailed(script, direction, ran, statements.length, reason);
    throw scriptError(
      script,
      direction,
      { statement: last?.text, line: last?.line, column: last?.column, reason },
      `SurrealDB committed what ran: ${appliedSoFar(ran, statements.length)}. Remove the RETURN, fix the ` +
        `database by hand, then ${resolveAdvice(script.version)}.`,
    );
  }

  /**
   * A `-- migrate:no-transaction` file: each statement is its own request. Before the first and
   * before each next one, the in-progress record says how far it got, written only while this
   * process holds the lease; so a run that dies at any point leaves it behind, and the next run
   * never starts the file again on its own.
   */
  async #runStatementByStatement(script: MigrationFile, direction: MigrationDirection): Promise<boolean> {
    const { db, history, lock } = this.#ctx;
    const statements = surqlStatements(script.text);
    refuse(script, direction, statements);
    await parseOnServer(this.#ctx.db, script, direction, statements);
    const resumeAfter = this.#resumePoint(script, direction);
    const started = new Date();
    const progress = (completed: number) =>
      history.recordProgress({
        version: script.version,
        name: script.name,
        file: script.file,
        checksum: script.checksum,
        direction,
        statementCount: statements.length,
        completed,
        token: lock.owner.token,
        holder: holderLabel(lock.owner),
      });
    for (let index = resumeAfter; index < statements.length; index++) {
      const statement = statements[index]!;
      this.#ensureLeaseHeld(script);
      try {
        await progress(index);
      } catch (error) {
        throw this.#progressError(script, direction, error, index);
      }
      let failure: Error | undefined;
      let located: MigrationError | undefined;
      let unknown = false;
      try {
        const responses = await this.#unlessStalled(db.query(statement.text).responses());
        if (responses.length !== 1) {
          failure = new Error(
            `SurrealDB answered ${responses.length} statements for what this tool counted as one; it stopped ` +
              'rather than guess what ran',
          );
          unknown = true;
        } else if (!responses[0]!.success) failure = responses[0]!.error;
      } catch (error) {
        // It ran: a failed statement answers with its error as text, which always decodes.
        if (isUndecodableAnswer(error)) {
          this.#ctx.logger.warn(
            `${script.file}: statement ${index + 1} ran, but its answer could not be read (${messageOf(error)}); ` +
              'recorded as applied.',
          );
          continue;
        }
        located = requestError(script, direction, error, 0, statement);
        failure = error as Error;
        // A parse error rejects the request before it runs; anything else came after it ran, or not.
        unknown = !errorLocation(error);
      }
      if (!failure) continue;
      await this.#forgetRolledBack([statement.text]);
      const reason = located?.reason ?? failure.message;
      const completed = index;
      await this.#recordFailed(script, direction, completed, statements.length, reason);
      throw scriptError(
        script,
        direction,
        {
          statement: statement.text,
          line: located?.line ?? statement.line,
          column: located?.column ?? statement.column,
          reason,
          cause: failure,
        },
        `This file runs outside a transaction: ${appliedSoFar(completed, statements.length)}` +
          (unknown ? `, and statement ${index + 1} may or may not have run` : '') +
          `. Fix the database by hand, then ${resolveAdvice(script.version)}.`,
      );
    }
    const bookkeeping =
      direction === 'up'
        ? history.recordStatement({
            version: script.version,
            name: script.name,
            checksum: script.checksum,
            appliedBy: lock.owner.token,
          })
        : history.deleteStatement(script.version);
    let failure: Error | undefined;
    try {
      const responses = await history.completeProgress(script.version, bookkeeping, started);
      failure = firstFailure(responses);
    } catch (error) {
      failure = error as Error;
    }
    if (!failure) return false;
    if (direction === 'up' && isConflictOrExists(failure)) {
      const by = await history.appliedBy(script.version).catch(() => undefined);
      // Written by this run (an attempt that timed out, then committed), or by another replica.
      if (by === lock.owner.token) return false;
      if (by !== undefined && by !== null) return true;
    }
    // Every statement ran, but the history does not say so: the operator must settle it.
    const reason = `every statement ran, but the history could not be updated: ${failure.message}`;
    await this.#recordFailed(script, direction, statements.length, statements.length, reason);
    throw scriptError(
      script,
      direction,
      { reason, cause: failure },
      `Check the database, then ${resolveAdvice(script.version)}.`,
    );
  }

  /** Where a resumed no-transaction file starts: after the statement an operator confirmed. */
  #resumePoint(script: MigrationFile, direction: MigrationDirection): number {
    const record = this.#failedRecords.get(script.version);
    if (record?.resumeAfter === undefined || (record.direction ?? 'up') !== direction) return 0;
    if (record.checksum !== undefined && record.checksum !== script.checksum) {
      throw scriptError(
        script,
        direction,
        { reason: `the file changed since statement ${record.resumeAfter} of it ran` },
        `Restore the text that ran, or settle it with ${resolveAdvice(script.version)}.`,
      );
    }
    return record.resumeAfter;
  }

  #progressError(script: MigrationFile, direction: MigrationDirection, error: unknown, index: number): Error {
    if (messageOf(error).includes(LEASE_LOST)) {
      return new MigrationLockError(undefined, 0, {
        lost: true,
        detail: `before statement ${index + 1} of migration ${script.version} (${script.file})`,
      });
    }
    return scriptError(
      script,
      direction,
      { reason: `could not record its progress before statement ${index + 1}: ${messageOf(error)}`, cause: error },
      index === 0
        ? `Nothing of this ${direction === 'up' ? 'migration' : 'rollback'} was applied.`
        : `${appliedSoFar(index, surqlStatements(script.text).length)}; the in-progress record says so. ` +
            `Check the database, then ${resolveAdvice(script.version)}.`,
    );
  }

  /** Records a failed attempt; a failure to record it must not hide the migration's own error. */
  async #recordFailed(
    script: MigrationFile,
    direction: MigrationDirection,
    statementsApplied: number,
    statementCount: number,
    reason: string,
  ): Promise<void> {
    try {
      await this.#ctx.history.recordFailed({
        version: script.version,
        name: script.name,
        file: script.file,
        checksum: script.checksum,
        statementsApplied,
        statementCount,
        // Stored and shown later (status, the start-up refusal): masked like any output.
        error: this.#ctx.options.redactor.text(`${direction}: ${reason}`),
        direction,
        holder: holderLabel(this.#ctx.lock.owner),
      });
    } catch (error) {
      this.#ctx.logger.error(
        `Could not record the failed attempt of migration ${script.version} in the history: ${messageOf(error)}`,
      );
    }
  }

  /** After `stop()`, no further migration starts. */
  #ensureRunning(remaining: number | undefined): void {
    if (this.#stopRequested && remaining !== 0) throw new MigrationsStoppedError(remaining);
  }

  /** A holder whose lease was taken over must stop: another process now runs the migrations. */
  #ensureLeaseHeld(migration: Pick<MigrationFile, 'version' | 'file'>): void {
    if (this.#ctx.lock.lost) {
      throw new MigrationLockError(undefined, 0, {
        lost: true,
        detail: `before migration ${migration.version} (${migration.file})`,
      });
    }
  }

  /**
   * On SurrealDB 2, after a rollback: see `rolled-back-tables.ts`. Bounded by one connect timeout: a
   * server that stopped answering (the cause of the failure, maybe) must not hold its report back.
   */
  async #forgetRolledBack(scripts: readonly string[]): Promise<void> {
    const cure = async () => {
      if ((await serverMajor(this.#ctx.connection)) === 2) await forgetRolledBackTables(this.#ctx.db, scripts);
    };
    await withTimeout(cure(), this.#ctx.options.connect.timeoutMs, () => 'no answer').catch(() => {});
  }

  /**
   * Whether the server answers BEGIN and COMMIT (SurrealDB 3 does, 2 does not): learnt once per
   * connection, from the number of answers to a transaction of one statement.
   */
  #answersTransactions(): Promise<boolean> {
    const { connection } = this.#ctx;
    let convention = conventions.get(connection);
    if (!convention) {
      convention = this.#ctx.db
        .query('BEGIN TRANSACTION; LET $__sbl_probe = 1; COMMIT TRANSACTION;')
        .responses()
        .then((responses) => responses.length === 3);
      conventions.set(connection, convention);
      const learnt = convention;
      learnt.catch(() => conventions.get(connection) === learnt && conventions.delete(connection));
    }
    return convention;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `host pid token`, as the in-progress and failed records name a process. */
function holderLabel(owner: LockHolder): string {
  return `${owner.host} pid ${owner.pid} (${owner.token})`;
}

/** How an operator settles a failed or interrupted no-transaction migration, library and CLI. */
export function resolveAdvice(version: number): string {
  return (
    `call manager.resolve(${version}, 'applied' | 'rolled-back'), or manager.resolve(${version}, 'resume', ` +
    `{ after: n }) to run the rest after statement n (CLI: surreal-migrate resolve ${version} ` +
    `--applied | --rolled-back | --resume-after <n>)`
  );
}

function appliedSoFar(applied: number, total: number): string {
  if (applied === 0) return `no statement of ${total} was applied`;
  if (applied === 1) return `statement 1 of ${total} was applied and remains`;
  return `statements 1-${applied} of ${total} were applied and remain`;
}

/** The down script a rollback would need, named in its up script's style. */
function expectedDownFile(directory: string, version: number, up: readonly MigrationFile[]): string {
  const upFile = up.find((u) => u.version === version);
  if (!upFile) return path.join(directory, `${version}_down.surql`);
  const ext = path.extname(upFile.file);
  const stem = path.basename(upFile.file, ext);
  // Open Notebook's `1.surrealql` pairs with `1_down.surrealql`; named files with `<name>.down.surql`.
  return path.join(path.dirname(upFile.file), /^\d+$/.test(stem) ? `${stem}_down${ext}` : `${stem}.down${ext}`);
}
