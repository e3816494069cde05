import { RecordId, Table, type QueryResponse } from 'surrealdb';
import { DatabaseUnreachableError } from '../support/database-errors.js';
import { type LockHolder } from '../support/run-errors.js';
import { UnreadableHistoryError } from '../support/state-errors.js';
import { type ResolvedMigrationsOptions } from '../options/options.js';
import { redactUrl } from '../options/urls.js';
import type { QueryClient } from '../db/session.js';
import { firstFailure, isConflictOrExists, isConnectionError, isNotExecuted } from '../db/surreal-errors.js';

/** Rows written per transaction by baseline, resolve and repair. */
const WRITE_BATCH = 500;

/** One row of the history table. Open Notebook's rows have only `version` and `appliedAt`. */
export interface AppliedRecord {
  version: number;
  name: string | undefined;
  checksum: string | undefined;
  appliedAt: Date | undefined;
  durationMs: number | undefined;
}

/**
 * A no-transaction migration that failed part-way, or is under way (`<table>_failed:<version>`).
 *
 * The record is written before the file's first statement and advanced before each next one, so
 * a run that dies at any point leaves it behind: `inProgress` with `runningStatement`, the one
 * statement that may or may not have run.
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

/** Everything the planner needs from the database, read in one round trip. */
export interface HistorySnapshot {
  applied: AppliedRecord[];
  failed: FailedRecord[];
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

/** The lease is no longer this process's: a write guarded by it was refused. */
export const LEASE_LOST = 'sbl-migrations: the migration lock lease is no longer held by this process';

/**
 * The `_sbl_migrations` table (and its `_failed` sibling). Every value is a bound parameter; only
 * the table names, validated as identifiers when the options were resolved, appear in DDL.
 *
 * A table that does not exist yet reads as empty: the tables are defined only when something is
 * about to be written.
 */
export class HistoryStore {
  readonly #db: QueryClient;
  readonly #history: Table;
  readonly #failed: Table;
  readonly #ddl: string;
  /** The history table's name as DDL writes it. */
  readonly #historyDdl: string;
  readonly #where: string;
  readonly #lock: RecordId;
  #defined = false;

  constructor(
    db: QueryClient,
    options: Pick<ResolvedMigrationsOptions, 'table' | 'failedTable' | 'lockTable' | 'url'>,
  ) {
    this.#db = db;
    this.#where = options.url === undefined ? 'the database of the given client' : redactUrl(options.url);
    this.#history = new Table(options.table);
    this.#failed = new Table(options.failedTable);
    this.#lock = new RecordId(options.lockTable, 'lock');
    this.#ddl = [options.table, options.failedTable, options.lockTable]
      .map((name) => `DEFINE TABLE IF NOT EXISTS ${ddlName(name)} SCHEMALESS;`)
      .join(' ');
    this.#historyDdl = ddlName(options.table);
  }

  /** The record id of a version's history row. */
  recordId(version: number): RecordId {
    return new RecordId(this.#history.name, version);
  }

  failedRecordId(version: number): RecordId {
    return new RecordId(this.#failed.name, version);
  }

  /**
   * Applied versions only, each once: the smallest query that answers "what is applied?". Rows are
   * found by their `version` field, whatever their id (older managers wrote random ids). Throws
   * {@link UnreadableHistoryError} when a row's version cannot be read.
   */
  async readVersions(): Promise<number[]> {
    const [response] = await this.#db
      .query('SELECT VALUE version FROM $history', { history: this.#history })
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    const values = rowsOrEmpty<unknown>(response);
    const versions = values.map(toVersion);
    if (versions.some((v) => v === undefined)) throw await this.#unreadableError();
    return [...new Set(versions as number[])];
  }

  /**
   * What a readiness probe needs, in one request of three small reads: the applied versions (none
   * unreadable), the failed or in-progress records' versions and states, and the lock's holder.
   */
  async probe(): Promise<{
    versions: (number | undefined)[];
    failed: Pick<FailedRecord, 'version' | 'inProgress' | 'resumeAfter'>[];
    lock: LockHolder | undefined;
  }> {
    const [history, failed, lock] = await this.#db
      .query(
        'SELECT VALUE version FROM $history; SELECT version, in_progress, resume_after FROM $failed; ' +
          'SELECT owner, acquired_at, expires_at FROM ONLY $lock',
        { history: this.#history, failed: this.#failed, lock: this.#lock },
      )
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    const row = lock?.success ? (lock.result as Record<string, unknown> | null | undefined) : undefined;
    return {
      versions: rowsOrEmpty<unknown>(history).map(toVersion),
      failed: rowsOrEmpty<Record<string, unknown>>(failed).map((row) => {
        const record = toFailedRecord(row);
        return { version: record.version, inProgress: record.inProgress, resumeAfter: record.resumeAfter };
      }),
      lock: row && typeof row === 'object' && !Array.isArray(row) ? toHolder(row) : undefined,
    };
  }

  /** History rows whose version cannot be read, with their ids. */
  async unreadableRows(): Promise<{ id: RecordId; version: unknown }[]> {
    const [response] = await this.#db
      .query('SELECT id, version FROM $history', { history: this.#history })
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    return rowsOrEmpty<{ id: RecordId; version: unknown }>(response).filter(
      (row) => toVersion(row.version) === undefined,
    );
  }

  /** Deletes the rows of {@link unreadableRows} (repair). Returns what was deleted. */
  async removeUnreadable(): Promise<{ id: RecordId; version: unknown }[]> {
    const rows = await this.unreadableRows();
    if (rows.length > 0) await this.#run('DELETE $ids', { ids: rows.map((row) => row.id) });
    return rows;
  }

  async #unreadableError(): Promise<UnreadableHistoryError> {
    const rows = await this.unreadableRows();
    return new UnreadableHistoryError(
      this.#history.name,
      rows.map((row) => ({ id: String(row.id), version: row.version })),
    );
  }

  /** History and failed records, in one request. */
  async read(): Promise<HistorySnapshot> {
    const [history, failed] = await this.#db
      // Named fields rather than *: decoding each row's record id is a good part of the cost.
      .query(
        'SELECT version, name, checksum, applied_at, duration_ms FROM $history; ' +
          'SELECT version, name, file, checksum, statements_applied, statement_count, error, failed_at, ' +
          'direction, in_progress, running_statement, holder, resume_after FROM $failed',
        {
          history: this.#history,
          failed: this.#failed,
        },
      )
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    const rows = rowsOrEmpty<Record<string, unknown>>(history);
    if (rows.some((row) => toVersion(row.version) === undefined)) throw await this.#unreadableError();
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
    };
  }

  /** Sends a write; the first statement's real error is thrown. */
  async #run(sql: string, vars: Record<string, unknown>): Promise<void> {
    const responses = await this.#db.query(sql, vars).responses();
    const failed = firstFailure(responses);
    if (failed) throw failed;
  }

  /** A lost connection, as this library's error; anything else as it came. */
  #unreachable(error: unknown): never {
    if (isConnectionError(error)) throw new DatabaseUnreachableError(this.#where, 1, error);
    throw error;
  }

  /** Defines the bookkeeping tables, once per process, before the first write. */
  async ensureDefined(): Promise<void> {
    if (this.#defined) return;
    const responses = await this.#db.query(`${this.#ddl} INFO FOR TABLE ${this.#historyDdl};`).responses();
    const info = responses.pop();
    for (const response of responses) {
      // Replicas starting together define the same tables at once; the loser's conflict is fine.
      if (!response.success && !isConflictOrExists(response.error)) throw response.error;
    }
    await this.#completeSchemafullHistory(info);
    this.#defined = true;
  }

  /**
   * An adopted history table may be SCHEMAFULL with only Open Notebook's `version` and
   * `applied_at`: it would refuse the fields this tool writes, and every migration would fail at
   * its history statement. The fields it lacks are defined, as optional.
   */
  async #completeSchemafullHistory(info: QueryResponse | undefined): Promise<void> {
    if (!info?.success) return;
    const fields = (info.result as { fields?: Record<string, string> } | undefined)?.fields ?? {};
    // A SCHEMALESS table defined by this tool has no fields: nothing to complete.
    if (Object.keys(fields).length === 0) return;
    const [tables] = await this.#db.query('INFO FOR DB').responses();
    const definition = tables?.success
      ? ((tables.result as { tables?: Record<string, string> }).tables?.[this.#history.name] ?? '')
      : '';
    if (!/\bSCHEMAFULL\b/i.test(definition)) return;
    const missing = HISTORY_FIELDS.filter(([name]) => !(name in fields));
    if (missing.length === 0) return;
    await this.#run(
      missing
        .map(([name, type]) => `DEFINE FIELD IF NOT EXISTS ${name} ON TABLE ${this.#historyDdl} TYPE ${type};`)
        .join(' '),
      {},
    );
  }

  /**
   * The statement that writes a history row inside a migration's transaction. Its parameters use
   * the `__sbl_` prefix to stay out of the way of the script's own variables; `$__sbl_started` is
   * set by the runner at the start of the transaction.
   */
  recordStatement(entry: HistoryEntry & { appliedBy: string }): { sql: string; vars: Record<string, unknown> } {
    return {
      sql:
        'CREATE $__sbl_id CONTENT { version: $__sbl_version, name: $__sbl_name, checksum: $__sbl_checksum, ' +
        'applied_at: time::now(), duration_ms: duration::millis(time::now() - $__sbl_started), ' +
        'applied_by: $__sbl_by } RETURN version, applied_by',
      vars: {
        __sbl_id: this.recordId(entry.version),
        __sbl_version: entry.version,
        __sbl_name: entry.name,
        __sbl_checksum: entry.checksum,
        __sbl_by: entry.appliedBy,
      },
    };
  }

  /** The statement that deletes a history row inside a rollback's transaction. */
  deleteStatement(version: number): { sql: string; vars: Record<string, unknown> } {
    // Every row of the version, wherever its id. RETURN BEFORE: the runner checks the answer to
    // know the request reached this statement.
    return {
      sql: 'DELETE $__sbl_history WHERE version = $__sbl_version RETURN BEFORE',
      vars: { __sbl_history: this.#history, __sbl_version: version },
    };
  }

  /**
   * Who wrote a version's history row (`applied_by`, the lock token of the process that applied
   * it): `null` when there is no row, `''` when the row does not say.
   */
  async appliedBy(version: number): Promise<string | null> {
    const [row] = await this.#db
      .query('SELECT VALUE applied_by FROM $history WHERE version = $version', {
        history: this.#history,
        version,
      })
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    const values = rowsOrEmpty<unknown>(row);
    if (values.length === 0) return null;
    return values.map((v) => (typeof v === 'string' ? v : '')).find((v) => v !== '') ?? '';
  }

  /**
   * Writes the in-progress record of a no-transaction file, only while `entry.token` holds the
   * lease: this is the holder's check, at the database, before each statement. Rejects with
   * {@link LEASE_LOST} in its message when the lease is another's.
   */
  async recordProgress(entry: ProgressEntry): Promise<void> {
    await this.ensureDefined();
    const answers = await this.#db
      .query(
        'BEGIN TRANSACTION; ' +
          'IF (SELECT VALUE owner.token FROM ONLY $__sbl_lock) != $__sbl_token { THROW $__sbl_lost }; ' +
          'UPSERT $id CONTENT { version: $row.version, name: $row.name, file: $row.file, checksum: $row.checksum, ' +
          'direction: $row.direction, statements_applied: $row.completed, statement_count: $row.statementCount, ' +
          'running_statement: $running, in_progress: true, holder: $row.holder, error: NONE, ' +
          'failed_at: NONE, updated_at: time::now() }; ' +
          'COMMIT TRANSACTION;',
        {
          __sbl_lock: this.#lock,
          __sbl_token: entry.token,
          __sbl_lost: LEASE_LOST,
          id: this.failedRecordId(entry.version),
          row: entry,
          running: entry.completed < entry.statementCount ? entry.completed + 1 : null,
        },
      )
      .responses();
    // Every answer, whatever the server's way of answering BEGIN and COMMIT: the lease check's
    // THROW is the real error, the others say "not executed".
    const failed = firstFailure(answers);
    if (failed && !isNotExecuted(failed)) throw failed;
    if (failed) throw new Error('the in-progress record was not written: its transaction did not commit');
  }

  /**
   * After the last statement of a no-transaction file: the history row written (up) or deleted
   * (down), and the in-progress record gone, in one transaction.
   */
  async completeProgress(
    version: number,
    bookkeeping: { sql: string; vars: Record<string, unknown> },
    began: Date,
  ): Promise<QueryResponse[]> {
    return this.#db
      .query(
        `BEGIN TRANSACTION; LET $__sbl_started = $__sbl_began; ${bookkeeping.sql}; DELETE $__sbl_failed; COMMIT TRANSACTION;`,
        { ...bookkeeping.vars, __sbl_began: began, __sbl_failed: this.failedRecordId(version) },
      )
      .responses();
  }

  /** Marks a record resumable after statement `after` (an operator's `resolve … resume`). */
  async recordResume(version: number, after: number): Promise<void> {
    await this.#run(
      'UPDATE $id SET in_progress = false, running_statement = NONE, resume_after = $after, updated_at = time::now()',
      { id: this.failedRecordId(version), after },
    );
  }

  /**
   * Records versions as applied without running them (in batches of 500 per transaction), and clears
   * their failed records.
   * `how` is kept in the row (`recorded_by`) so that an operator can tell these rows apart.
   */
  async recordApplied(entries: readonly HistoryEntry[], how: 'baseline' | 'resolve'): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureDefined();
    await this.#inBatches(entries, (entry, i, vars) => {
      vars[`id${i}`] = this.recordId(entry.version);
      vars[`fail${i}`] = this.failedRecordId(entry.version);
      vars[`row${i}`] = entry;
      vars.how = how;
      return (
        `UPSERT $id${i} SET version = $row${i}.version, name = $row${i}.name, checksum = $row${i}.checksum, ` +
        `applied_at = time::now(), recorded_by = $how; DELETE $fail${i};`
      );
    });
  }

  /** Sets stored checksums (repair). */
  async updateChecksums(entries: readonly { version: number; checksum: string; name: string }[]): Promise<void> {
    for (let start = 0; start < entries.length; start += WRITE_BATCH) {
      const batch = entries.slice(start, start + WRITE_BATCH);
      const by = (pick: (entry: (typeof batch)[number]) => string) =>
        Object.fromEntries(batch.map((entry) => [String(entry.version), pick(entry)]));
      // One statement per batch: rows are found by version wherever their id, and a WHERE per
      // entry would scan the history once each (`version` has no index).
      await this.#run(
        'UPDATE $history SET checksum = $sums[<string> version], name = name ?? $names[<string> version] ' +
          'WHERE version IN $versions;',
        {
          history: this.#history,
          versions: batch.map((entry) => entry.version),
          sums: by((entry) => entry.checksum),
          names: by((entry) => entry.name),
        },
      );
    }
  }

  /**
   * Writes in transactions of at most {@link WRITE_BATCH} entries: the engine slows down far more
   * than linearly on very large write transactions (10 000 rows in one took 25 s and 6 GB;
   * batches of 500, under a second). Each write is an upsert or update, so a run stopped part-way
   * can simply be repeated.
   */
  async #inBatches<T>(
    entries: readonly T[],
    statement: (entry: T, index: number, vars: Record<string, unknown>) => string,
  ): Promise<void> {
    for (let start = 0; start < entries.length; start += WRITE_BATCH) {
      const vars: Record<string, unknown> = {};
      const statements = entries.slice(start, start + WRITE_BATCH).map((entry, i) => statement(entry, i, vars));
      await this.#run(`BEGIN TRANSACTION; ${statements.join(' ')} COMMIT TRANSACTION;`, vars);
    }
  }

  /** Records a failed no-transaction attempt (it replaces the in-progress record). */
  async recordFailed(
    record: Pick<
      FailedRecord,
      'version' | 'name' | 'file' | 'checksum' | 'statementsApplied' | 'statementCount' | 'error' | 'direction'
    > & { holder?: string },
  ): Promise<void> {
    await this.ensureDefined();
    await this.#run(
      'UPSERT $id CONTENT { version: $row.version, name: $row.name, file: $row.file, checksum: $row.checksum, ' +
        'direction: $row.direction, statements_applied: $row.statementsApplied, ' +
        'statement_count: $row.statementCount, error: $row.error, in_progress: false, holder: $row.holder, ' +
        'failed_at: time::now(), updated_at: time::now() }',
      {
        id: this.failedRecordId(record.version),
        row: {
          ...record,
          checksum: record.checksum ?? null,
          holder: record.holder ?? null,
          direction: record.direction ?? null,
        },
      },
    );
  }

  /** Resolve as rolled back: the version is not applied, and its failed record is gone. Atomic. */
  async recordRolledBack(version: number): Promise<void> {
    await this.#run(
      'BEGIN TRANSACTION; DELETE $history WHERE version = $version; DELETE $failed; COMMIT TRANSACTION;',
      {
        history: this.#history,
        version,
        failed: this.failedRecordId(version),
      },
    );
  }
}

/** The fields this tool writes in a history row, with the types an adopted SCHEMAFULL table gets. */
const HISTORY_FIELDS: readonly (readonly [string, string])[] = [
  ['version', 'int'],
  ['applied_at', 'option<datetime>'],
  ['name', 'option<string>'],
  ['checksum', 'option<string>'],
  ['duration_ms', 'option<number>'],
  ['applied_by', 'option<string>'],
  ['recorded_by', 'option<string>'],
];

/**
 * A table name as DDL writes it: escaped, so that a name that is also a keyword (`select`, `none`)
 * still names the table. Names are validated as `[A-Za-z_][A-Za-z0-9_]*` when the options are read.
 */
export function ddlName(name: string): string {
  return `\`${name}\``;
}

/** Rows of a SELECT, or [] when the table does not exist yet (SurrealDB 3 reports NotFound). */
function rowsOrEmpty<T>(response: QueryResponse | undefined): T[] {
  if (!response) return [];
  if (response.success) return (response.result as T[] | null | undefined) ?? [];
  if (response.error.kind === 'NotFound') return [];
  throw response.error;
}

/** A SurrealDB datetime (the SDK's DateTime), a Date or an ISO string, as a Date. */
/** A lock record as its holder: who, and the lease's dates (a garbage date reads as none). */
export function toHolder(row: Record<string, unknown>): LockHolder {
  const owner = (row.owner ?? {}) as Record<string, unknown>;
  return {
    host: String(owner.host ?? 'unknown'),
    pid: Number(owner.pid ?? 0),
    token: String(owner.token ?? ''),
    acquiredAt: toDate(row.acquired_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value;
  if (typeof (value as { toDate?: unknown }).toDate === 'function') return (value as { toDate(): Date }).toDate();
  // Only a text can spell a date; an array or an object that happens to hold one does not.
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A row's version: a whole number >= 0 (or such a number written as a string), else undefined. */
function toVersion(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

function mergeRecords(a: AppliedRecord, b: AppliedRecord): AppliedRecord {
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

function toAppliedRecord(row: Record<string, unknown>): AppliedRecord {
  return {
    version: toVersion(row.version) ?? Number.NaN,
    name: optionalString(row.name),
    checksum: optionalString(row.checksum),
    appliedAt: toDate(row.applied_at),
    durationMs: row.duration_ms === undefined || row.duration_ms === null ? undefined : Number(row.duration_ms),
  };
}

function toFailedRecord(row: Record<string, unknown>): FailedRecord {
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
