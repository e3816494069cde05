/**
 * The fan-out over targets: the managers of a manager's targets (one per target, kept for its own
 * runs and reads; those handed out by `forTarget()`), and every run or read over them, with the
 * failure policy and stop requests.
 */
import type { RunGuards } from '../runner/runner-core.js';
import type { Surreal, SurrealSession } from 'surrealdb';
import { MigrationsStoppedError, TargetsFailedError } from '../support/run-errors.js';
import { type MigrationLogger, type MigrationTarget, type TargetFailurePolicy } from '../options/options.js';
import { targetId, targetKey } from '../options/target-list.js';
import type { HistorySnapshot } from '../history/history-records.js';
import { progressCounter, type MigrationProgressListener } from '../events/progress.js';
import type { MigrationResult } from '../runner/migration-runner.js';
import { runOverTargets, type TargetOutcome, type TargetSession } from './targets.js';
import { closeSession, openSession } from '../db/server-lists.js';
import { surveyTargets, type HistoryReadOptions, type TargetSurvey } from './target-survey.js';

/** The options the fan-out goes by. */
export type TenantsOptions = {
  concurrency: number;
  onTargetFailure: TargetFailurePolicy;
  logger: MigrationLogger;
} & HistoryReadOptions;

/** A manager of one target, as the fan-out uses it. */
export interface Tenant {
  readonly runner: { stop(): Promise<void> };
  runMigrationUp(options?: RunGuards): Promise<MigrationResult[]>;
  close(): Promise<void>;
}

/** How {@link Tenants.each} goes over the targets. */
export interface EachOptions {
  /** `'stop'`: a failure starts no further target. */
  onTargetFailure: TargetFailurePolicy;
  /** Turns true to start no further target. */
  stopped: () => boolean;
  /** Told once before any target starts, then as each one finishes (done or failed). */
  onProgress?: MigrationProgressListener | undefined;
}

/** A manager made for a target, and the session its requests go through. */
export interface MadeTenant<M> {
  manager: M;
  session: TargetSession;
}

/** The managers of a manager's targets, and the runs and reads over them; see the file's comment. */
export class Tenants<M extends Tenant> {
  /** The root connection, on which one listing tells which targets' databases are missing. */
  readonly #root: Surreal;
  /** The resolved `targets`. */
  readonly #targets: () => readonly MigrationTarget[];
  readonly #options: TenantsOptions;
  /** A new manager of `target` (its session opens on first use). */
  readonly #make: (target: MigrationTarget) => MadeTenant<M>;
  /** The managers of the targets, for this manager's own runs over them; kept open until close(). */
  readonly #pool = new Map<string, MadeTenant<M>>();
  /** Managers handed out by forTarget(), closed with this one. */
  readonly #handedOut = new Map<M, TargetSession>();
  #stopRequested = false;
  /** On SurrealDB 3, the session every survey of the targets runs in, open until close(). */
  #surveySession: Promise<SurrealSession> | undefined;

  constructor(
    root: Surreal,
    targets: () => readonly MigrationTarget[],
    options: TenantsOptions,
    make: (target: MigrationTarget) => MadeTenant<M>,
  ) {
    this.#root = root;
    this.#targets = targets;
    this.#options = options;
    this.#make = make;
  }

  /** A new manager of `target`, for the caller to close (closing this manager closes it too). */
  handOut(target: MigrationTarget): M {
    const { manager, session } = this.#make(target);
    this.#handedOut.set(manager, session);
    return manager;
  }

  /** A handed-out manager that closed. */
  release(manager: M): void {
    this.#handedOut.delete(manager);
  }

  /**
   * A run on the manager of each target (kept for the next run), with the failure policy; the
   * targets `done` names (by {@link targetId}) are done with nothing, without their manager. After
   * a stop request no target starts.
   */
  async run<T>(
    work: (manager: M) => Promise<T[]>,
    done: ReadonlySet<string> = new Set(),
  ): Promise<TargetOutcome<T[]>[]> {
    if (this.#stopRequested) throw new MigrationsStoppedError(undefined);
    return runOverTargets(
      this.#targets(),
      this.#options,
      // A target known to have nothing to do: done, its session not opened.
      (target) => (done.has(targetId(target)) ? Promise.resolve([]) : work(this.#pooled(target).manager)),
      () => this.#stopRequested,
    );
  }

  /**
   * A read of every target, whatever one of them finds. A target whose database does not exist is
   * read as an empty one (`absent`), without opening a session: that would create it. With
   * `fromHistory`, the histories of the targets whose databases exist are read first, in batches
   * on one connection (see {@link surveyTargets}); a target whose history was read and for which
   * `fromHistory` answers is done with that answer, without opening its session; every other
   * target is read by `work`.
   */
  async read<T>(
    work: (manager: M) => Promise<T>,
    fromHistory?: (history: HistorySnapshot) => T | undefined,
  ): Promise<TargetOutcome<T>[]> {
    const targets = this.#targets();
    // A batched read that fails (a lost connection) leaves every target to its own read, with the
    // listing it always had.
    const batched = fromHistory && (await this.#survey(targets, 'full').catch(() => undefined));
    const { histories } = batched ?? (await this.#survey(targets, 'none'));
    return runOverTargets(
      targets,
      { concurrency: this.#options.concurrency, onTargetFailure: 'continue' },
      (target) => {
        const history = histories.get(targetId(target));
        const answer = history && fromHistory?.(history);
        return answer === undefined ? work(this.#pooled(target).manager) : Promise.resolve(answer);
      },
    );
  }

  /**
   * Runs `work` on a new manager of each target (handed out: `work` closes it, or closing this
   * manager does), at most `concurrency` at a time, each told from one listing whether its
   * database exists (a read must not create it). `onTargetFailure` and `stopped` as in
   * {@link runOverTargets}. Never throws for a target: every outcome is returned, in order.
   * `onProgress` is told once before any target starts, then as each one finishes (done or failed).
   */
  async each<T>(work: (manager: M, index: number) => Promise<T>, options: EachOptions): Promise<TargetOutcome<T>[]> {
    const targets = this.#targets();
    const made = targets.map((target) => {
      const manager = this.handOut(target);
      return { manager, session: this.#handedOut.get(manager)! };
    });
    await this.#survey(
      targets,
      'none',
      made.map((m) => m.session),
    );
    const progress = progressCounter(targets.length, options.onProgress, (error) =>
      this.#options.logger.warn(`A progress listener threw: ${error.message}`),
    );
    return runOverTargets(
      targets,
      { concurrency: this.#options.concurrency, onTargetFailure: options.onTargetFailure },
      (target, index) => work(made[index]!.manager, index).finally(() => progress.finished(targetKey(target))),
      options.stopped,
    );
  }

  /**
   * With `targets`: applies every pending migration on every target, `concurrency` targets at a
   * time, each under its own lock and in order. Results carry their `target`. Throws
   * `TargetsFailedError` naming each target that failed, after the others finished (`'stop'`
   * starts no further target; `'continue'` migrates all the others).
   *
   * The histories are read first, in batches on one connection, narrowed to what proves a target
   * current (`CURRENT_READ`: `current` sees versions and checksums, and a target with a failed
   * record is not offered): a target that `current` says has nothing to do and nothing to say is
   * done without opening its session. Every other target (or every target, when that read fails)
   * migrates as one database does.
   */
  async migrate(current?: (history: HistorySnapshot) => boolean, run: RunGuards = {}): Promise<MigrationResult[]> {
    const targets = this.#targets();
    const started = Date.now();
    const logger = this.#options.logger;
    if (targets.length > 0) {
      logger.log(
        `Migrating ${targets.length} target(s), ${Math.min(this.#options.concurrency, targets.length)} at a time`,
      );
    }
    if (this.#stopRequested) throw new MigrationsStoppedError(undefined);
    const done = new Set<string>();
    if (current) {
      // Sessions are not told what the listing found: a run may create their databases.
      const { histories } = await this.#survey(targets, 'current', []).catch((): TargetSurvey => ({
        missing: new Set(),
        histories: new Map(),
      }));
      for (const [id, history] of histories) if (current(history)) done.add(id);
    }
    const outcomes = await this.run((manager) => manager.runMigrationUp(run), done);
    const results = outcomes.flatMap((o) => (o.state === 'done' ? o.value : []));
    this.throwFailures(outcomes);
    if (targets.length > 0) {
      const changed = new Set(results.filter((r) => !r.byAnother).map((r) => targetId(r.target!))).size;
      logger.log(
        `${targets.length} target(s) current in ${Date.now() - started} ms: ` +
          `${results.filter((r) => !r.byAnother).length} migration(s) applied on ${changed} of them`,
      );
    }
    return results;
  }

  /** Throws `TargetsFailedError` when a target failed (or `MigrationsStoppedError` after a stop). */
  throwFailures(outcomes: readonly TargetOutcome<unknown>[], action: 'migrate' | 'validate' = 'migrate'): void {
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

  /** A stop request: no further target starts, and every target's run stops, as `own()` does. */
  async stop(own: () => Promise<void>): Promise<void> {
    this.#stopRequested = true;
    await Promise.all([own(), ...this.#children().map((child) => child.runner.stop())]);
  }

  /** Closes the managers of the targets no longer `listed` (after a `refresh()`). */
  async forget(listed: readonly MigrationTarget[]): Promise<void> {
    const ids = new Set(listed.map(targetId));
    const gone = [...this.#pool].filter(([id]) => !ids.has(id));
    for (const [id] of gone) this.#pool.delete(id);
    await Promise.all(gone.map(([, made]) => made.manager.close()));
  }

  /** Closes every manager of a target, pooled or handed out. */
  async close(): Promise<void> {
    await Promise.all(this.#children().map((child) => child.close()));
    this.#pool.clear();
    const survey = this.#surveySession;
    this.#surveySession = undefined;
    const session = await survey?.catch(() => undefined);
    // A connection already closed has ended its sessions with it.
    if (session) await closeSession(session).catch(() => {});
  }

  #children(): M[] {
    return [...[...this.#pool.values()].map((made) => made.manager), ...this.#handedOut.keys()];
  }

  /** This manager's pooled manager of `target`. */
  #pooled(target: MigrationTarget): MadeTenant<M> {
    const id = targetId(target);
    let made = this.#pool.get(id);
    if (!made) this.#pool.set(id, (made = this.#make(target)));
    return made;
  }

  /**
   * One survey of `targets` (see {@link surveyTargets}), with their histories: `full`, `current`
   * (only what proves a target current: a snapshot for `isCurrent` alone), or `none`; tells each
   * session not open yet whether its database exists (the pooled sessions of the targets, unless
   * `sessions` are given).
   */
  async #survey(
    targets: readonly MigrationTarget[],
    histories: 'full' | 'current' | 'none',
    sessions: readonly TargetSession[] = targets.map((target) => this.#pooled(target).session),
  ): Promise<TargetSurvey> {
    const unopened = sessions.filter((session) => !session.opened);
    // Without histories to read, only the targets whose sessions are not open need the listing.
    const surveyed = histories === 'none' ? unopened.map((s) => s.target) : targets;
    const survey = await surveyTargets(
      this.#root,
      surveyed,
      histories === 'none' ? undefined : { ...this.#options, currentOnly: histories === 'current' },
      () =>
        (this.#surveySession ??= openSession(this.#root).catch((error: unknown) => {
          // Not kept: the next survey tries again.
          this.#surveySession = undefined;
          throw error;
        })),
    );
    for (const session of unopened) session.knownMissing = survey.missing.has(targetId(session.target));
    return survey;
  }
}
