import { MigrationsStoppedError } from '../support/run-errors.js';

/**
 * A runner's runs, one at a time in the order they were asked for, and the stop request that ends
 * them: after `stop()`, no further migration starts.
 */
export class RunQueue {
  #stopRequested = false;
  #active: Promise<unknown> = Promise.resolve();
  /** What an error leaving a run becomes (masked, as this library's error). */
  readonly #leaving: (error: unknown) => unknown;

  constructor(leaving: (error: unknown) => unknown) {
    this.#leaving = leaving;
  }

  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** Asks for a stop, `interrupt`s a wait, and waits until the run in progress has ended. */
  async stop(interrupt: () => void): Promise<void> {
    this.#stopRequested = true;
    interrupt();
    await this.#active.catch(() => {});
  }

  /** After `stop()`, no further migration starts. */
  ensureRunning(remaining: number | undefined): void {
    if (this.#stopRequested && remaining !== 0) throw new MigrationsStoppedError(remaining);
  }

  /** Runs `run` once the runs before it have ended (unless a stop came first). */
  track<T>(run: () => Promise<T>): Promise<T> {
    const promise = this.#active
      .catch(() => {})
      .then(() => {
        this.ensureRunning(undefined);
        return run();
      })
      .catch((error: unknown) => {
        throw this.#leaving(error);
      });
    this.#active = promise;
    return promise;
  }
}
