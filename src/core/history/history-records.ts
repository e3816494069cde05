/**
 * The history's records: an applied row, the record of a no-transaction file (failed part-way, or
 * in progress), what is written with them, and how a row read from the database becomes one.
 */
import type { QueryResponse } from 'surrealdb';
import { toDate } from '../db/datetime.js';

/** One row of the history table. Open Notebook's rows have only `version` and `appliedAt`. */
export interface AppliedRecord {
  version: number;
  name: string | undefined;
  checksum: string | undefined;
  appliedAt: Date | undefined;
  durationMs: number | undefined;
}

/**
 * The record of a no-transaction migration (`<table>_failed:<version>`), in either state:
 * failed part-way ({@link FailedAttemptRecord}) or in progress ({@link InProgressRecord}), told
 * apart by `inProgress`.
 *
 * The record is written before the file's first statement and advanced before each next one, so
 * a run that dies at any point leaves it behind: `inProgress` with `runningStatement`, the one
 * statement that may or may not have run. (The public name dates from before the in-progress
 * record had a name of its own; it is kept.)
 */
export interface FailedRecord {
  version: number;
  name: string;
  file: string;
  checksum: string | undefined;
  /** Statements known to have completed, from the first. */
  statementsApplied: number;
  statementCount: number;
  error: string;
  failedAt: Date | undefined;
  /** Up or down; undefined in records written before this field existed. */
  direction: 'up' | 'down' | undefined;
  /** Written while the file runs; still set when the run that wrote it died. */
  inProgress: boolean;
  /** 1-based statement that was running when the record was last written, if any. */
  runningStatement: number | undefined;
  /** The process that ran it: `host pid token`. */
  holder: string | undefined;
  /** Set by `resolve(version, 'resume', { after })`: the next run starts after this statement. */
  resumeAfter: number | undefined;
}

/** A no-transaction migration that failed part-way: its `error` says why; an operator settles it. */
export interface FailedAttemptRecord extends FailedRecord {
  inProgress: false;
}

/**
 * A no-transaction migration under way, or whose run died part-way: `runningStatement` may or may
 * not have run, so nothing runs it again until an operator says how far it got.
 */
export interface InProgressRecord extends FailedRecord {
  inProgress: true;
}

/** The record of a repeatable definition (`<table>_repeatable:<name>`): the text last applied. */
export interface RepeatableRecord {
  /** The file's name without `.surql`. */
  name: string;
  checksum: string | undefined;
  appliedAt: Date | undefined;
  /** The newest version of the folder that applied it: a release's, so that an older one leaves it. */
  version: number | undefined;
}

/** Everything the planner needs from the database, read in one round trip. */
export interface HistorySnapshot {
  applied: AppliedRecord[];
  failed: FailedRecord[];
  /** The repeatable definitions' records, by name (none before the first repeatable is applied). */
  repeatable: RepeatableRecord[];
}

/** Fields written with each history row. */
export interface HistoryEntry {
  version: number;
  name: string;
  checksum: string;
}

/** What the in-progress record of a no-transaction file says at one point of its run. */
export interface ProgressEntry {
  version: number;
  name: string;
  file: string;
  checksum: string;
  direction: 'up' | 'down';
  statementCount: number;
  /** Statements completed so far. */
  completed: number;
  /** The lock owner's token and a readable `host pid token`. */
  token: string;
  holder: string;
}

export function toVersion(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

export function mergeRecords(a: AppliedRecord, b: AppliedRecord): AppliedRecord {
  return {
    version: a.version,
    name: a.name ?? b.name,
    checksum: a.checksum ?? b.checksum,
    appliedAt: a.appliedAt ?? b.appliedAt,
    durationMs: a.durationMs ?? b.durationMs,
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function toAppliedRecord(row: Record<string, unknown>): AppliedRecord {
  return {
    version: toVersion(row.version) ?? Number.NaN,
    name: optionalString(row.name),
    checksum: optionalString(row.checksum),
    appliedAt: toDate(row.applied_at),
    durationMs: row.duration_ms === undefined || row.duration_ms === null ? undefined : Number(row.duration_ms),
  };
}

export function toFailedRecord(row: Record<string, unknown>): FailedRecord {
  return {
    version: Number(row.version),
    name: String(row.name ?? ''),
    file: String(row.file ?? ''),
    checksum: optionalString(row.checksum),
    statementsApplied: Number(row.statements_applied ?? 0),
    statementCount: Number(row.statement_count ?? 0),
    error: String(row.error ?? ''),
    failedAt: toDate(row.failed_at),
    direction: row.direction === 'up' || row.direction === 'down' ? row.direction : undefined,
    inProgress: row.in_progress === true,
    runningStatement: typeof row.running_statement === 'number' ? row.running_statement : undefined,
    holder: optionalString(row.holder),
    resumeAfter: typeof row.resume_after === 'number' ? row.resume_after : undefined,
  };
}

/** The repeatable definitions' records, each by its name and checksum: the third answer of every history read. */
export const REPEATABLE_READ = 'SELECT name, checksum, applied_at, version FROM $repeatable';

/**
 * The history read: the applied rows and the records of no-transaction files, in two SELECTs of
 * `$history` and `$failed` (the two tables). One database's read ({@link HistoryStore.read}) and a
 * read of many databases in one request (a `USE` before each database's two) send the same.
 * Named fields rather than *: decoding each row's record id is a good part of the cost.
 */
export const HISTORY_READ =
  'SELECT version, name, checksum, applied_at, duration_ms FROM $history; ' +
  'SELECT version, name, file, checksum, statements_applied, statement_count, error, failed_at, ' +
  'direction, in_progress, running_statement, holder, resume_after FROM $failed; ' +
  REPEATABLE_READ;

/**
 * {@link HISTORY_READ} narrowed to what proves a history current (`isCurrent` in
 * plan/migration-plan.ts reads versions and checksums, and any failed or in-progress record makes
 * it not current): each row's version and checksum, and whether a failed record exists. Its
 * snapshot (the first answer alone) holds only those; a start over many targets reads 1 000
 * histories this way in about three quarters of the time (bench case tenants).
 */
export const CURRENT_READ = `SELECT version, checksum FROM $history; SELECT id FROM $failed LIMIT 1; ${REPEATABLE_READ}`;

/**
 * The two answers of {@link HISTORY_READ} as a snapshot: the one reading of a history's rows.
 * Undefined when a history row's version cannot be read (the caller reads which rows); a SELECT
 * the server refused (other than a table that does not exist yet) is thrown.
 */
export function toSnapshot(
  history: QueryResponse | undefined,
  failed: QueryResponse | undefined,
  repeatable: QueryResponse | undefined,
): HistorySnapshot | undefined {
  const rows = rowsOrEmpty<Record<string, unknown>>(history);
  if (rows.some((row) => toVersion(row.version) === undefined)) return undefined;
  // Two rows for one version (an adopted history): one applied version, with what either says.
  const byVersion = new Map<number, AppliedRecord>();
  for (const record of rows.map(toAppliedRecord)) {
    const seen = byVersion.get(record.version);
    byVersion.set(record.version, seen ? mergeRecords(seen, record) : record);
  }
  return {
    applied: [...byVersion.values()].sort((a, b) => a.version - b.version),
    failed: rowsOrEmpty<Record<string, unknown>>(failed)
      .map(toFailedRecord)
      .sort((a, b) => a.version - b.version),
    repeatable: toRepeatableRecords(repeatable),
  };
}

/** Rows of a SELECT, or [] when the table does not exist yet (SurrealDB 3 reports NotFound). */
export function rowsOrEmpty<T>(response: QueryResponse | undefined): T[] {
  if (!response) return [];
  if (response.success) return (response.result as T[] | null | undefined) ?? [];
  if (response.error.kind === 'NotFound') return [];
  throw response.error;
}

/** The answer of {@link REPEATABLE_READ} as records, by name; rows without a name are not this tool's. */
export function toRepeatableRecords(response: QueryResponse | undefined): RepeatableRecord[] {
  return rowsOrEmpty<Record<string, unknown>>(response)
    .filter((row) => typeof row.name === 'string')
    .map((row) => ({
      name: row.name as string,
      checksum: optionalString(row.checksum),
      appliedAt: toDate(row.applied_at),
      version: toVersion(row.version),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
