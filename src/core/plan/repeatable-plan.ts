/**
 * The repeatable definitions compared with their records: which files are new or changed (to
 * apply, in name order) and which records have lost their file. Pure data.
 */
import type { RepeatableRecord } from '../history/history-records.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import type { ResolvedMigrationsOptions } from '../options/options.js';
import { DeletedRepeatableError, deletedRepeatableMessage } from '../support/repeatable-errors.js';

export interface RepeatableState {
  /** Files never applied, or whose text changed since their record: to apply, in name order. */
  pending: RepeatableFile[];
  /** Records whose file is gone. */
  deleted: RepeatableRecord[];
}

/** Compares the `repeatable/` folder with the records. */
export function repeatableState(
  files: readonly RepeatableFile[],
  records: readonly RepeatableRecord[],
): RepeatableState {
  const applied = new Map(records.map((r) => [r.name, r.checksum]));
  const present = new Set(files.map((f) => f.name));
  return {
    pending: files.filter((f) => applied.get(f.name) !== f.checksum),
    deleted: records.filter((r) => !present.has(r.name)),
  };
}

/** What `onDeletedRepeatable` makes of records whose file is gone: an error, or a warning. */
export function repeatableProblems(
  state: RepeatableState,
  options: Pick<ResolvedMigrationsOptions, 'onDeletedRepeatable'>,
): { errors: Error[]; warnings: string[] } {
  if (state.deleted.length === 0) return { errors: [], warnings: [] };
  const names = state.deleted.map((r) => r.name);
  return options.onDeletedRepeatable === 'fail'
    ? { errors: [new DeletedRepeatableError(names)], warnings: [] }
    : { errors: [], warnings: [deletedRepeatableMessage(names)] };
}
