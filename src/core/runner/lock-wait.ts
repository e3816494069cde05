import { computeState, latestVersion, type MigrationState } from '../plan/migration-plan.js';
import { repeatableState, type RepeatableState } from '../plan/repeatable-plan.js';
import type { RunnerContext } from './runner-context.js';
import type { RunQueue } from './run-queue.js';

/**
 * Runs `work` holding the lock, waiting for it while `remaining` says there is work left;
 * `nothingToDo` when the wait ended without it: another replica did it all (or a stop ended the
 * wait, which then throws if work was left).
 */
export async function underLock<T>(
  ctx: Pick<RunnerContext, 'lock' | 'history' | 'events' | 'logger'>,
  queue: RunQueue,
  remaining: () => Promise<number>,
  work: () => Promise<T>,
  nothingToDo: T,
): Promise<T> {
  const { lock, history, events } = ctx;
  await history.ensureDefined();
  const acquired = await lock.acquire(remaining, events);
  if (!acquired) {
    // The wait ended: another replica did the work, or a stop interrupted it.
    if (queue.stopRequested) queue.ensureRunning(await remaining());
    return nothingToDo;
  }
  try {
    return await work();
  } finally {
    await lock
      .release()
      .catch((error: unknown) => ctx.logger.warn(`Could not release the migration lock: ${(error as Error).message}`));
  }
}

/**
 * The state from the applied versions and the repeatables' checksums alone (the smallest query):
 * enough for a waiting replica to see how much work is left. The full state is read once the lock is held.
 */
export async function readWaitingState(
  ctx: Pick<RunnerContext, 'history' | 'files'>,
): Promise<{ state: MigrationState; repeatable: RepeatableState }> {
  const { versions, repeatable } = await ctx.history.readWaiting();
  const applied = versions
    .sort((a, b) => a - b)
    .map((version) => ({
      version,
      name: undefined,
      checksum: undefined,
      appliedAt: undefined,
      durationMs: undefined,
    }));
  const files = ctx.files();
  return {
    state: computeState(files.up, { applied, failed: [], repeatable }),
    repeatable: repeatableState(files.repeatable, repeatable, latestVersion(files.up)),
  };
}
