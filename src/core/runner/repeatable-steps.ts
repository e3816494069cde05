/**
 * The repeatable definitions of a run up, after its versions (see `execution/repeatable-run.ts`):
 * refused first when a file holds a statement that cannot run twice, then applied in name order,
 * each in its own transaction with its record, under the lock the versions held.
 */
import type { RepeatableFile } from '../files/repeatable-files.js';
import type { MigrationFile } from '../files/migration-files.js';
import { ensureLeaseHeld } from '../execution/lease-check.js';
import { runRepeatable } from '../execution/repeatable-run.js';
import { NonIdempotentRepeatableError } from '../support/repeatable-errors.js';
import { repeatableRefusals } from '../surql/repeatable-policy.js';
import type { RunnerContext } from './runner-context.js';
import type { RunQueue } from './run-queue.js';

/** One repeatable definition applied by a run. */
export interface RepeatableResult {
  /** The file's name without `.surql`. */
  name: string;
  file: string;
  durationMs: number;
  /** Another replica applied the same text first; this one applied nothing. */
  byAnother: boolean;
}

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
): Promise<RepeatableResult[]> {
  const results: RepeatableResult[] = [];
  if (files.length === 0) return results;
  await ctx.history.ensureRepeatableDefined();
  for (const file of files) {
    queue.ensureRunning(files.length - results.length);
    ensureLeaseHeld(ctx.lock, { file: file.file });
    const started = performance.now();
    try {
      const byAnother = await runRepeatable(ctx, file);
      const result = {
        name: file.name,
        file: file.file,
        durationMs: Math.round(performance.now() - started),
        byAnother,
      };
      ctx.events.emit('repeatableApplied', result);
      results.push(result);
    } catch (error) {
      ctx.options.redactor.error(error);
      throw error;
    }
  }
  return results;
}
