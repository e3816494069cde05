/** What a rollback runs: the versions to undo, newest first, each with its down script. */
import { expectedDownFile } from '../files/down-files.js';
import { MissingDownMigrationError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { MigrationState } from './migration-plan.js';

/** One step of a rollback. */
export interface DownStep {
  version: number;
  /** The name in the version's history row, else its up script's; '' when neither has one. */
  name: string;
  /** The name in the version's history row, when it has one. */
  recorded: string | undefined;
  /** Its down script; undefined when the folder has none. */
  down: MigrationFile | undefined;
}

/** A rollback step whose down script exists. */
export type RunnableDownStep = Omit<DownStep, 'down'> & { down: MigrationFile };

/**
 * The steps that roll back `versions` (applied in `state`), newest first, each with the down
 * script of `files` it needs. Touches nothing; a missing down script is a step without one.
 */
export function planDown(
  state: Pick<MigrationState, 'applied'>,
  versions: readonly number[],
  files: { up: readonly MigrationFile[]; down: readonly MigrationFile[] },
): DownStep[] {
  const downs = new Map(files.down.map((d) => [d.version, d]));
  const names = new Map(files.up.map((u) => [u.version, u.name]));
  const recorded = new Map(state.applied.map((r) => [r.version, r.name]));
  return [...versions]
    .sort((a, b) => b - a)
    .map((version) => ({
      version,
      name: recorded.get(version) ?? names.get(version) ?? '',
      recorded: recorded.get(version),
      down: downs.get(version),
    }));
}

/**
 * The steps, when each has its down script; else `MissingDownMigrationError` naming every missing
 * one as it would be named next to its up script in `directory`.
 */
export function requireDownScripts(
  steps: readonly DownStep[],
  directory: string,
  up: readonly MigrationFile[],
): RunnableDownStep[] {
  const missing = steps.filter((s) => !s.down);
  if (missing.length > 0) {
    throw new MissingDownMigrationError(
      missing.map((s) => ({
        version: s.version,
        name: s.name,
        expectedFile: expectedDownFile(directory, s.version, up),
      })),
    );
  }
  return steps as RunnableDownStep[];
}
