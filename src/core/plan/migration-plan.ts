import { MigrationError } from '../support/run-errors.js';
import {
  ChecksumMismatchError,
  FailedMigrationPendingError,
  MissingMigrationFileError,
  OutOfOrderMigrationError,
  type ChecksumMismatch,
} from '../support/state-errors.js';
import type { AppliedRecord, FailedRecord, HistorySnapshot, InProgressRecord } from '../history/history-records.js';
import type { MigrationFile } from '../files/migration-files.js';
import { DEFAULT_ON_DELETED_REPEATABLE, type ResolvedMigrationsOptions } from '../options/options.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { repeatableProblems, repeatableState, type RepeatableState } from './repeatable-plan.js';
import { surqlStatements } from '../surql/surql-splitter.js';

/** The discovered scripts compared with the history. Pure data; computing it touches nothing. */
export interface MigrationState {
  applied: AppliedRecord[];
  failed: FailedRecord[];
  /** No-transaction runs whose in-progress record is still there, with their file when it exists. */
  interrupted: { record: InProgressRecord; file: MigrationFile | undefined }[];
  /**
   * Discovered up scripts not applied, by version. A version whose in-progress record stands is
   * pending (it is not applied); one whose failed record an operator has not settled is not.
   */
  pending: MigrationFile[];
  /** Highest applied version; 0 when nothing is applied. */
  currentVersion: number;
  /** Applied migrations whose file changed since. */
  drifted: ChecksumMismatch[];
  /** Applied rows with no stored checksum (adopted from Open Notebook), whose file exists. */
  unverified: AppliedRecord[];
  /** Applied rows with no file, below the newest discovered version. */
  missing: AppliedRecord[];
  /**
   * Applied rows above the newest discovered version: applied by a newer release of the app (an
   * older replica restarting during a rolling deploy, or a rolled-back app). Only a warning.
   */
  future: AppliedRecord[];
  /** Pending scripts older than the newest applied version. */
  outOfOrder: MigrationFile[];
  /** The repeatable definitions against their records (none judged when no files were given). */
  repeatable: RepeatableState;
}

/**
 * A failed attempt that nobody has settled yet: its version waits for `resolve`, it is not
 * pending. An in-progress or resumable record's version is still to do.
 */
export function awaitsOperator(record: Pick<FailedRecord, 'inProgress' | 'resumeAfter'>): boolean {
  return !record.inProgress && record.resumeAfter === undefined;
}

/** The newest version of a folder's up scripts; 0 for none. */
export function latestVersion(up: readonly Pick<MigrationFile, 'version'>[]): number {
  return up.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Compares the folder with the history; the repeatable definitions too when `repeatable` (the
 * folder's) is given.
 */
export function computeState(
  up: readonly MigrationFile[],
  history: HistorySnapshot,
  repeatable?: readonly RepeatableFile[],
): MigrationState {
  const files = new Map(up.map((m) => [m.version, m]));
  const appliedVersions = new Set(history.applied.map((r) => r.version));
  const failedVersions = new Set(history.failed.filter(awaitsOperator).map((r) => r.version));
  const currentVersion = history.applied.reduce((max, r) => Math.max(max, r.version), 0);
  const pending = up.filter((m) => !appliedVersions.has(m.version) && !failedVersions.has(m.version));
  const drifted: ChecksumMismatch[] = [];
  const unverified: AppliedRecord[] = [];
  const missing: AppliedRecord[] = [];
  const future: AppliedRecord[] = [];
  const latest = latestVersion(up);
  for (const record of history.applied) {
    const file = files.get(record.version);
    if (!file) (record.version > latest ? future : missing).push(record);
    else if (record.checksum === undefined) unverified.push(record);
    else if (record.checksum !== file.checksum) {
      drifted.push({
        version: record.version,
        name: file.name,
        file: file.file,
        stored: record.checksum,
        current: file.checksum,
      });
    }
  }
  return {
    applied: history.applied,
    failed: history.failed,
    interrupted: history.failed
      .filter((r): r is InProgressRecord => r.inProgress)
      // A down record's statements are the down script's, which the plan does not hold.
      .map((record) => ({ record, file: record.direction === 'down' ? undefined : files.get(record.version) })),
    pending,
    currentVersion,
    drifted,
    unverified,
    missing,
    future,
    outOfOrder: pending.filter((m) => m.version < currentVersion),
    repeatable: repeatable
      ? repeatableState(repeatable, history.repeatable, latest)
      : { pending: [], deleted: [], future: [], recorded: [] },
  };
}

/** What is wrong with the state, as the errors the options make fatal, and the warnings. */
export interface StateProblems {
  errors: Error[];
  warnings: string[];
}

/**
 * Checks a state before migrating up (and in `validate`): failed records, drift, missing files and
 * order. Which of them are fatal is decided by the options.
 */
export function findProblems(
  state: MigrationState,
  options: Pick<ResolvedMigrationsOptions, 'validateChecksums' | 'allowMissing' | 'allowOutOfOrder'> &
    Partial<Pick<ResolvedMigrationsOptions, 'onDeletedRepeatable'>>,
  context: { lockHeld?: boolean } = {},
): StateProblems {
  const { errors, warnings } = repeatableProblems(state.repeatable, {
    onDeletedRepeatable: options.onDeletedRepeatable ?? DEFAULT_ON_DELETED_REPEATABLE,
  });
  // Held by this process, the lock says that the run that wrote an in-progress record is gone;
  // before that, the run may still be going on, and the lock wait decides.
  if (context.lockHeld) errors.push(...state.interrupted.map(({ record, file }) => interruptedError(record, file)));
  const settled = state.failed.filter(awaitsOperator);
  if (settled.length > 0) errors.push(new FailedMigrationPendingError(settled));
  if (state.drifted.length > 0) {
    if (options.validateChecksums) errors.push(new ChecksumMismatchError(state.drifted));
    else warnings.push(new ChecksumMismatchError(state.drifted).message);
  }
  if (state.missing.length > 0) {
    const error = new MissingMigrationFileError(state.missing);
    if (options.allowMissing) warnings.push(error.message);
    else errors.push(error);
  }
  if (state.outOfOrder.length > 0 && !options.allowOutOfOrder) {
    errors.push(new OutOfOrderMigrationError(state.outOfOrder, state.currentVersion));
  }
  if (state.future.length > 0) {
    warnings.push(
      `The database has migration(s) newer than this app's folder: ${state.future
        .map((r) => r.version)
        .join(', ')}. A newer release applied them; this one runs against that schema.`,
    );
  }
  if (state.unverified.length > 0) {
    warnings.push(
      `${state.unverified.length} applied migration(s) have no stored checksum (adopted history): ` +
        `${state.unverified.map((r) => r.version).join(', ')}. Record them with manager.repair() ` +
        `or \`surreal-migrate repair\`.`,
    );
  }
  return { errors, warnings };
}

/**
 * Whether a migration up over this history would do nothing and say nothing: nothing pending, no
 * failed or in-progress record, no problem the options make fatal and no warning to log. A start
 * over many targets leaves such a target alone without opening its session; any other goes the
 * way of one database (its lock, its order, its errors and its logs).
 */
export function isCurrent(
  files: { up: readonly MigrationFile[]; repeatable: readonly RepeatableFile[] },
  history: HistorySnapshot,
  options: Parameters<typeof findProblems>[1],
): boolean {
  const state = computeState(files.up, history, files.repeatable);
  if (state.pending.length > 0 || state.failed.length > 0 || state.repeatable.pending.length > 0) return false;
  const { errors, warnings } = findProblems(state, options);
  return errors.length === 0 && warnings.length === 0;
}

/**
 * A no-transaction run stopped part-way and left its in-progress record: nothing runs it again
 * until an operator says how far it got.
 */
export function interruptedError(record: InProgressRecord, file: MigrationFile | undefined): MigrationError {
  const running = record.runningStatement;
  const statement = running === undefined || !file ? undefined : surqlStatements(file.text)[running - 1];
  const done = record.statementsApplied;
  const total = record.statementCount;
  const completed =
    done === 0 ? 'no statement completed' : done === 1 ? 'statement 1 completed' : `statements 1-${done} completed`;
  return new MigrationError(
    {
      version: record.version,
      name: record.name,
      // The file as this process names it; the record has the path as the other process saw it.
      file: file?.file ?? record.file,
      direction: record.direction ?? 'up',
      statement: statement?.text,
      line: statement?.line,
      column: statement?.column,
      reason:
        `a run of this no-transaction file${record.holder ? ` by ${record.holder}` : ''} stopped part-way: ` +
        `${completed} of ${total}` +
        (running === undefined ? '' : `, and statement ${running} may or may not have run`),
    },
    `Nothing was run again. Check the database${running === undefined ? '' : ` for the effect of statement ${running}`}, ` +
      `then call manager.resolve(${record.version}, 'resume', { after: ${done} }) (or { after: ${running ?? done} } if ` +
      `it took effect) to run the rest, or resolve it as 'applied' or 'rolled-back' (CLI: surreal-migrate resolve ` +
      `${record.version} --resume-after <n> | --applied | --rolled-back).`,
  );
}
