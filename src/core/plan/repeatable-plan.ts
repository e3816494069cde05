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
  /**
   * Records a newer release wrote (its folder's newest version is above this one's) with a text
   * this folder does not hold: left as they are, as a newer release's versions are. An older
   * replica of a rolling deploy must not put its older text back, nor call the newer file deleted.
   */
  future: RepeatableRecord[];
  /** Every record, as read. */
  recorded: RepeatableRecord[];
}

/** Compares the `repeatable/` folder, whose newest version is `latest`, with the records. */
export function repeatableState(
  files: readonly RepeatableFile[],
  records: readonly RepeatableRecord[],
  latest: number,
): RepeatableState {
  const byName = new Map(records.map((r) => [r.name, r]));
  const sums = new Map(files.map((f) => [f.name, f.checksum]));
  const newer = (r: RepeatableRecord | undefined) => r?.version !== undefined && r.version > latest;
  return {
    pending: files.filter((f) => byName.get(f.name)?.checksum !== f.checksum && !newer(byName.get(f.name))),
    deleted: records.filter((r) => !sums.has(r.name) && !newer(r)),
    future: records.filter((r) => newer(r) && sums.get(r.name) !== r.checksum),
    recorded: [...records],
  };
}

/** What `onDeletedRepeatable` makes of records whose file is gone: an error, or a warning. */
export function repeatableProblems(
  state: RepeatableState,
  options: Pick<ResolvedMigrationsOptions, 'onDeletedRepeatable'>,
): { errors: Error[]; warnings: string[] } {
  const warnings = state.future.length === 0 ? [] : [futureRepeatablesMessage(state.future)];
  if (state.deleted.length === 0) return { errors: [], warnings };
  const names = state.deleted.map((r) => r.name);
  return options.onDeletedRepeatable === 'fail'
    ? { errors: [new DeletedRepeatableError(names)], warnings }
    : { errors: [], warnings: [...warnings, deletedRepeatableMessage(names)] };
}

/** The warning of records a newer release wrote. */
function futureRepeatablesMessage(records: readonly RepeatableRecord[]): string {
  return (
    `${records.length} repeatable definition(s) were applied by a newer release of the app (a folder up to ` +
    `version ${Math.max(...records.map((r) => r.version ?? 0))}): ${records.map((r) => r.name).join(', ')}. ` +
    'This one leaves them as they are.'
  );
}
