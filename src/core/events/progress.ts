/**
 * Progress on long work (lint, a folder replayed on a shadow, a run over many targets): a callback
 * told how far the work has come, which can never break the work it watches.
 */
import { MigrationArgumentError } from '../support/errors.js';
import { listenerFault } from './migration-events.js';

/** How far a long piece of work has come. */
export interface MigrationProgress {
  /** Steps finished: files checked or applied, targets done. */
  done: number;
  /** Steps in all. `done === total` is the last report of a piece of work that ran to its end. */
  total: number;
  /**
   * What the work is at: in a folder's files (lint, a replay), the file being applied now (absent
   * from the last report, once all are); over targets, the target (`namespace/database`) that just
   * finished (absent from the first report, before any has).
   */
  current?: string;
}

/**
 * Told how far long work has come: once as each file starts (and once at the end), or as each target
 * finishes. Whatever it throws, or the promise it returns rejects with, is caught: the work goes on.
 */
export type MigrationProgressListener = (progress: MigrationProgress) => unknown;

/** Refuses an `onProgress` that is given but is not a function, naming the method it was given to. */
export function checkProgressListener(listener: unknown, method?: string): MigrationProgressListener | undefined {
  if (listener === undefined || typeof listener === 'function') return listener as MigrationProgressListener;
  throw new MigrationArgumentError(
    `${method ? `${method}: ` : ''}onProgress must be a function (or left out), ` +
      `got ${listener === null ? 'null' : typeof listener}.`,
  );
}

/**
 * `listener` made safe to call from the middle of a run: it never throws, and a promise it returns
 * that rejects never becomes an unhandled rejection. Each fault goes to `onFault` (itself guarded),
 * as an `Error` from {@link listenerFault}. A no-op when there is no listener.
 */
export function progressReporter(
  listener: MigrationProgressListener | undefined,
  onFault: (error: Error) => void = () => {},
): (progress: MigrationProgress) => void {
  const checked = checkProgressListener(listener);
  if (!checked) return () => {};
  const report = (thrown: unknown, how: 'threw' | 'rejected with') => {
    try {
      onFault(listenerFault(thrown, how));
    } catch {
      // A failing fault handler has nothing left to tell: the work goes on.
    }
  };
  return (progress) => {
    let returned: unknown;
    try {
      returned = checked({ ...progress });
    } catch (thrown) {
      report(thrown, 'threw');
      return;
    }
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')) {
      // Adopted by a fresh promise: whatever a thenable's `then` does, the outcome lands here.
      new Promise<unknown>((resolve) => resolve(returned)).catch((reason: unknown) => report(reason, 'rejected with'));
    }
  };
}

/**
 * The reports of work over `total` items that finish in any order (targets run side by side): a
 * first report with nothing done, then `finished(name)` reports one more done.
 */
export function progressCounter(
  total: number,
  listener: MigrationProgressListener | undefined,
  onFault?: (error: Error) => void,
): { finished(current: string): void } {
  const report = progressReporter(listener, onFault);
  let done = 0;
  report({ done, total });
  return { finished: (current) => report({ done: ++done, total, current }) };
}
