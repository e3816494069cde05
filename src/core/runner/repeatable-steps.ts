/**
 * The repeatable definitions of a run up, after its versions (see `execution/repeatable-run.ts`):
 * refused first when a file holds a statement that cannot run twice, then applied in name order,
 * each in its own transaction with its record, under the lock the versions held.
 */
import type { RepeatableFile } from '../files/repeatable-files.js';
import type { MigrationFile } from '../files/migration-files.js';
import { ensureLeaseHeld } from '../execution/lease-check.js';
import { latestVersion } from '../plan/migration-plan.js';
import { runRepeatable } from '../execution/repeatable-run.js';
import { NonIdempotentRepeatableError } from '../support/repeatable-errors.js';
import { repeatableRefusals } from '../surql/repeatable-policy.js';
import type { RunnerContext } from './runner-context.js';
import type { RunQueue } from './run-queue.js';

/**
 * A repeatable file as the checks before a run read a script (statement policy, data loss, rows
 * its definitions refuse): an up, in a transaction, of no version.
 */
export function asScript(file: RepeatableFile): MigrationFile {
  return { ...file, version: 0, direction: 'up', noTransaction: false };
}

/** Refuses, before anything runs, repeatable files that hold a statement that cannot run twice. */
export function refuseNonIdempotent(files: readonly RepeatableFile[]): void {
  const refused = files.flatMap((f) => repeatableRefusals(f.text).map((r) => ({ name: f.name, file: f.file, ...r })));
  if (refused.length > 0) throw new NonIdempotentRepeatableError(refused);
}

/** Applies `files` in order, the lock held; a failure stops the run (those before it stay applied). */
export async function applyRepeatables(
  ctx: RunnerContext,
  queue: RunQueue,
  files: readonly RepeatableFile[],
): Promise<void> {
  if (files.length === 0) return;
  await ctx.history.ensureRepeatableDefined();
  for (const [i, file] of files.entries()) {
    queue.ensureRunning(files.length - i);
    ensureLeaseHeld(ctx.lock, { file: file.file });
    const started = performance.now();
    try {
      // The record says which release applied it: its folder's newest version.
      const byAnother = await runRepeatable(ctx, file, latestVersion(ctx.files().up));
      const durationMs = Math.round(performance.now() - started);
      ctx.events.emit('repeatableApplied', { name: file.name, file: file.file, durationMs, byAnother });
    } catch (error) {
      ctx.options.redactor.error(error);
      throw error;
    }
  }
}
