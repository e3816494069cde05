import type { MigrationDirection } from '../support/errors.js';
import type { MigrationTarget } from '../support/target.js';

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
