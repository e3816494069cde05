import { findRefusals, refuseBeforeRun, type RunGuards, type RunRefusals } from '../execution/run-guards.js';
import { type MigrationDirection } from '../support/errors.js';
import { MigrationError, MigrationsStoppedError } from '../support/run-errors.js';
import type { FailedRecord } from '../history/history-records.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { computeState, findProblems, interruptedError, type MigrationState } from '../plan/migration-plan.js';
import { planDown, requireDownScripts } from '../plan/down-plan.js';
import { asLibraryError } from '../db/surreal-errors.js';
import { refuseUnreadableNames, translateUnreadable } from '../execution/v3-keyword-refusal.js';
import { ensureLeaseHeld } from '../execution/lease-check.js';
import { runTransactional } from '../execution/transactional.js';
import { runStatementByStatement } from '../execution/statement-by-statement.js';
import { awaitConcurrentIndexes } from '../execution/concurrent-indexes.js';
import { dryRun } from '../execution/dry-run.js';
import type { MigrationResult, RunnerOps } from './migration-runner.js';
import type { RunnerContext } from './runner-context.js';
import { RunQueue } from './run-queue.js';
import { readWaitingState, underLock } from './lock-wait.js';
import { applyRepeatables, asScript, refuseNonIdempotent } from './repeatable-steps.js';

export type { RunGuards, RunRefusals };

/** The steps {@link RunnerCore.hold} gives its work, each under the held lock. */
export interface HeldSteps {
  /** Applies one migration, as a run up does. */
  up(migration: MigrationFile): Promise<MigrationResult>;
  /** Rolls one applied version back with its down script (`name`: its history row's), as a run down does. */
  down(version: number, name: string, down: MigrationFile): Promise<MigrationResult>;
  /** Reads the records of no-transaction files again, after the caller settled one. */
  refresh(): Promise<void>;
  /** Applies one repeatable definition with its record, as a run to the latest does. */
  repeatable(file: RepeatableFile): Promise<void>;
}

/** The steps of one database's runner core. */
export function coreOps(core: RunnerCore): RunnerOps {
  return {
    runAll: () => core.migrateUp((state) => state.pending, {}, { repeatables: true }),
    runOneUp: async () => (await core.migrateUp((state) => state.pending.slice(0, 1)))[0],
    runOneDown: async () => (await core.migrateDown((state) => state.applied.slice(-1).map((r) => r.version)))[0],
    stop: () => core.stop(),
  };
}

/**
 * The runner's work: state, the locked runs up and down, each migration's request and its
 * verdict, dry runs. Not exported from the package; `MigrationRunner` and the manager are its
 * faces.
 */
export class RunnerCore {
  readonly #ctx: RunnerContext;
  readonly #queue: RunQueue;
  /** The failed and in-progress records as read under the lock, by version. */
  #failedRecords = new Map<number, FailedRecord>();

  constructor(context: RunnerContext) {
    this.#ctx = context;
    this.#queue = new RunQueue((error) => this.#ctx.options.redactor.error(asLibraryError(error, this.#ctx.where)));
  }

  /** The discovered files compared with the history, read with one query. */
  async readState(): Promise<MigrationState> {
    const files = this.#ctx.files();
    return computeState(files.up, await this.#ctx.history.read(), files.repeatable);
  }

  /** See `MigrationRunner.stop`. */
  stop(): Promise<void> {
    return this.#queue.stop(() => this.#ctx.lock.interruptWait());
  }

  /**
   * Applies the migrations that `select` picks from the state, under the lock; then, with
   * `repeatables` (a run to the latest), the repeatable definitions whose text changed. Refuses,
   * before changing anything, when the state has a problem the options make fatal, or a changed
   * repeatable holds a statement that cannot run twice.
   */
  migrateUp(
    select: (state: MigrationState) => readonly MigrationFile[],
    run: RunGuards = {},
    { repeatables = false }: { repeatables?: boolean } = {},
  ): Promise<MigrationResult[]> {
    const changed = (state: MigrationState) => (repeatables ? state.repeatable.pending : []);
    return this.#queue.track(async () => {
      const state = await this.readState();
      this.#check(state, true);
      refuseNonIdempotent(changed(state));
      // An in-progress record left by a run that may be gone is work to judge under the lock.
      if (select(state).length === 0 && state.interrupted.length === 0 && changed(state).length === 0) return [];
      return this.#exclusive(
        async () => {
          const waiting = await readWaitingState(this.#ctx);
          return select(waiting.state).length + (repeatables ? waiting.repeatable.pending.length : 0);
        },
        async () => {
          const current = await this.readState();
          this.#check(current, false, true);
          this.#rememberFailed(current);
          const selected = select(current);
          refuseNonIdempotent(changed(current));
          // The repeatables after the versions, as the run applies them: their data is checked too.
          await refuseBeforeRun(this.#ctx, [...selected, ...changed(current).map(asScript)], 'up', run);
          const results: MigrationResult[] = [];
          for (const migration of selected)
            results.push(await this.#stepUp(migration, selected.length - results.length));
          await applyRepeatables(this.#ctx, this.#queue, changed(current));
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
  migrateDown(select: (state: MigrationState) => readonly number[], run: RunGuards = {}): Promise<MigrationResult[]> {
    return this.#queue.track(async () => {
      const state = await this.readState();
      if (this.#downPlan(state, select(state)).length === 0) return [];
      return this.#exclusive(
        async () => select((await readWaitingState(this.#ctx)).state).length,
        async () => {
          const current = await this.readState();
          // Held by this process, the lock says that the run that left an in-progress record is gone.
          const [interrupted] = current.interrupted;
          if (interrupted) throw interruptedError(interrupted.record, interrupted.file);
          this.#rememberFailed(current);
          const steps = this.#downPlan(current, select(current));
          await refuseBeforeRun(
            this.#ctx,
            steps.map((s) => s.down),
            'down',
            run,
          );
          await this.#forgetRepeatables(current);
          const results: MigrationResult[] = [];
          for (const step of steps) {
            try {
              results.push(await this.#stepDown(step.version, step.name, step.down, steps.length - results.length));
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
   * Before a rollback: the repeatable definitions' records are forgotten, so that the next run to
   * the latest applies each again. What they defined stays, but a down script may remove it (a
   * table with its events and fields); applying them again is safe (each runs twice to the same
   * effect). Forgotten first: a rollback that then fails leaves them to be applied again, never
   * recorded as applied while they are gone.
   */
  async #forgetRepeatables(state: MigrationState): Promise<void> {
    const names = state.repeatable.recorded.map((r) => r.name);
    if (names.length > 0) await this.#ctx.history.forgetRepeatables(names);
  }

  /** The failed and in-progress records of `state`, as read under the lock. */
  #rememberFailed(state: MigrationState): void {
    this.#failedRecords = new Map(state.failed.map((f) => [f.version, f]));
  }

  /** One step of a run up, `remaining` steps left with it: unless a stop came, with the lease held. */
  #stepUp(migration: MigrationFile, remaining: number): Promise<MigrationResult> {
    this.#queue.ensureRunning(remaining);
    ensureLeaseHeld(this.#ctx.lock, migration);
    return this.#applyUp(migration);
  }

  /** One step of a run down, as {@link #stepUp}. */
  #stepDown(version: number, name: string, down: MigrationFile, remaining: number): Promise<MigrationResult> {
    this.#queue.ensureRunning(remaining);
    ensureLeaseHeld(this.#ctx.lock, down);
    return this.#applyDown(version, name, down);
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
        ? await runStatementByStatement(this.#ctx, migration, 'up', this.#failedRecords.get(version))
        : await runTransactional(this.#ctx, migration, 'up');
      if (!byAnother) await awaitConcurrentIndexes(this.#ctx, migration, 'up');
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
      if (down.noTransaction) await runStatementByStatement(this.#ctx, down, 'down', this.#failedRecords.get(version));
      else await runTransactional(this.#ctx, down, 'down');
      await awaitConcurrentIndexes(this.#ctx, down, 'down');
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
    return this.#queue.track(async () => {
      const result = await this.#exclusive<T | typeof stopped>(async () => 1, work, stopped);
      // Only a stop ends the wait of a command that always has work to do.
      if (result === stopped) throw new MigrationsStoppedError(1);
      return result;
    });
  }

  /**
   * Holds the lock while `work` applies migrations one at a time through the steps it is given:
   * for a caller that decides each next step from the last one's outcome (the shadow database, which
   * goes on past failures), without taking and releasing the lock around every step. Each step runs
   * as in {@link migrateUp} and {@link migrateDown} (the same request, verdict, events and errors);
   * the caller chooses the steps, so the state's checks are its own.
   */
  hold<T>(work: (steps: HeldSteps) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const refresh = async () => this.#rememberFailed(await this.readState());
      await refresh();
      return work({
        up: async (migration) => {
          await refuseUnreadableNames(this.#ctx.connection, [migration], 'up');
          return this.#stepUp(migration, 1);
        },
        down: async (version, name, down) => {
          await refuseUnreadableNames(this.#ctx.connection, [down], 'down');
          return this.#stepDown(version, name, down, 1);
        },
        refresh,
        repeatable: async (file) => {
          await applyRepeatables(this.#ctx, this.#queue, [file]);
        },
      });
    });
  }

  /**
   * Runs transactional migrations in order inside one transaction that is then cancelled, so each
   * sees the ones before it and nothing is kept. Throws {@link MigrationError} for the first
   * failure, located in its file.
   */
  dryRun(migrations: readonly MigrationFile[], run: RunGuards = {}): Promise<void> {
    const ctx = this.#ctx;
    const checked = async (): Promise<void> => {
      // What `migrateUp` would refuse, it refuses first: a dry run says whether the run would pass.
      await refuseBeforeRun(ctx, migrations, 'up', run);
      await dryRun(ctx, migrations);
    };
    return checked().catch((error: unknown) => {
      throw this.#ctx.options.redactor.error(asLibraryError(error, this.#ctx.where));
    });
  }

  /** What a run of `scripts` (in order) would be refused for, found as the run finds it, without the lock. */
  refusals(
    scripts: readonly MigrationFile[],
    direction: MigrationDirection,
    run: RunGuards = {},
  ): Promise<RunRefusals> {
    return findRefusals(this.#ctx, scripts, direction, run).catch((error: unknown) => {
      throw this.#ctx.options.redactor.error(asLibraryError(error, this.#ctx.where));
    });
  }

  /** Runs `work` holding the lock; `nothingToDo` when the wait found that another replica did it all. */
  #exclusive<T>(remaining: () => Promise<number>, work: () => Promise<T>, nothingToDo: T): Promise<T> {
    return underLock(this.#ctx, this.#queue, remaining, work, nothingToDo);
  }

  /** `lockHeld`: an in-progress record found now was left by a run that is gone. */
  #check(state: MigrationState, logWarnings: boolean, lockHeld = false): void {
    const { errors, warnings } = findProblems(state, this.#ctx.options, { lockHeld });
    if (logWarnings) warnings.forEach((w) => this.#ctx.logger.warn(w));
    if (errors[0]) throw errors[0];
  }

  /** The rollback of `versions`, newest first; refused when a down script is missing. */
  #downPlan(state: MigrationState, versions: readonly number[]) {
    const files = this.#ctx.files();
    return requireDownScripts(planDown(state, versions, files), this.#ctx.options.directory, files.up);
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
}
