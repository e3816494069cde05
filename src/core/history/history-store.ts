/**
 * The history of one database (`_sbl_migrations`, and its `_failed` sibling): what is applied,
 * read with the records of no-transaction files in one round trip; the history rows written inside
 * a migration's transaction, or by baseline, resolve and repair. The in-progress and failed
 * records are written by {@link FailedRecords}; the tables and their DDL are {@link HistoryTables}.
 */
import type { QueryResponse, RecordId } from 'surrealdb';
import { UnreadableHistoryError } from '../support/state-errors.js';
import type { ResolvedMigrationsOptions } from '../options/options.js';
import type { QueryClient } from '../db/session.js';
import {
  HISTORY_READ,
  REPEATABLE_READ,
  rowsOrEmpty,
  toRepeatableRecords,
  toFailedRecord,
  toSnapshot,
  toVersion,
  type FailedRecord,
  type HistoryEntry,
  type HistorySnapshot,
  type ProgressEntry,
  type RepeatableRecord,
} from './history-records.js';
import { HistoryTables } from './history-tables.js';
import { FailedRecords } from './failed-records.js';

/** What the fence of a repeatable's record throws: another process applied the same text first. */
export const REPEATABLE_FENCE = 'sbl: repeatable already applied';

/** Rows written per transaction by baseline, resolve and repair. */
const WRITE_BATCH = 500;

/**
 * The `_sbl_migrations` table (and its `_failed` sibling). Every value is a bound parameter; only
 * the table names, validated as identifiers when the options were resolved, appear in DDL.
 *
 * A table that does not exist yet reads as empty: the tables are defined only when something is
 * about to be written.
 */
export class HistoryStore {
  readonly #t: HistoryTables;
  readonly #records: FailedRecords;

  constructor(
    db: QueryClient,
    options: Pick<ResolvedMigrationsOptions, 'table' | 'failedTable' | 'lockTable' | 'repeatableTable' | 'url'>,
  ) {
    this.#t = new HistoryTables(db, options);
    this.#records = new FailedRecords(this.#t);
  }

  /** The record id of a version's history row. */
  recordId(version: number): RecordId {
    return this.#t.recordId(version);
  }

  failedRecordId(version: number): RecordId {
    return this.#t.failedRecordId(version);
  }

  /**
   * Applied versions only, each once: the smallest query that answers "what is applied?". Rows are
   * found by their `version` field, whatever their id (older managers wrote random ids). Throws
   * {@link UnreadableHistoryError} when a row's version cannot be read.
   */
  async readVersions(): Promise<number[]> {
    const [response] = await this.#t.db
      .query('SELECT VALUE version FROM $history', { history: this.#t.history })
      .responses()
      .catch((error: unknown) => this.#t.unreachable(error));
    const values = rowsOrEmpty<unknown>(response);
    const versions = values.map(toVersion);
    if (versions.some((v) => v === undefined)) throw await this.#unreadableError();
    return [...new Set(versions as number[])];
  }

  /**
   * What a readiness probe needs, in one request of four small reads: the applied versions (none
   * unreadable), the failed or in-progress records' versions and states, the lock record, and the
   * repeatable definitions' records.
   */
  async probe(): Promise<{
    versions: (number | undefined)[];
    failed: Pick<FailedRecord, 'version' | 'inProgress' | 'resumeAfter'>[];
    /** The lock record as read (`toHolder` in lock/ reads it as its holder), or undefined. */
    lockRow: Record<string, unknown> | undefined;
    repeatable: RepeatableRecord[];
  }> {
    const [history, failed, lock, repeatable] = await this.#t.db
      .query(
        'SELECT VALUE version FROM $history; SELECT version, in_progress, resume_after FROM $failed; ' +
          `SELECT owner, acquired_at, expires_at FROM ONLY $lock; ${REPEATABLE_READ}`,
        { ...this.#tables(), lock: this.#t.lock },
      )
      .responses()
      .catch((error: unknown) => this.#t.unreachable(error));
    const row = lock?.success ? (lock.result as Record<string, unknown> | null | undefined) : undefined;
    return {
      versions: rowsOrEmpty<unknown>(history).map(toVersion),
      failed: rowsOrEmpty<Record<string, unknown>>(failed).map((row) => {
        const record = toFailedRecord(row);
        return { version: record.version, inProgress: record.inProgress, resumeAfter: record.resumeAfter };
      }),
      lockRow: row && typeof row === 'object' && !Array.isArray(row) ? row : undefined,
      repeatable: toRepeatableRecords(repeatable),
    };
  }

  /** History rows whose version cannot be read, with their ids. */
  async unreadableRows(): Promise<{ id: RecordId; version: unknown }[]> {
    const [response] = await this.#t.db
      .query('SELECT id, version FROM $history', { history: this.#t.history })
      .responses()
      .catch((error: unknown) => this.#t.unreachable(error));
    return rowsOrEmpty<{ id: RecordId; version: unknown }>(response).filter(
      (row) => toVersion(row.version) === undefined,
    );
  }

  /** Deletes the rows of {@link unreadableRows} (repair). Returns what was deleted. */
  async removeUnreadable(): Promise<{ id: RecordId; version: unknown }[]> {
    const rows = await this.unreadableRows();
    if (rows.length > 0) await this.#t.run('DELETE $ids', { ids: rows.map((row) => row.id) });
    return rows;
  }

  async #unreadableError(): Promise<UnreadableHistoryError> {
    const rows = await this.unreadableRows();
    return new UnreadableHistoryError(
      this.#t.history.name,
      rows.map((row) => ({ id: String(row.id), version: row.version })),
    );
  }

  /**
   * What a replica waiting for the lock reads to see how much is left: the applied versions and
   * the repeatable definitions' records, in one request.
   */
  async readWaiting(): Promise<{ versions: number[]; repeatable: RepeatableRecord[] }> {
    const [history, repeatable] = await this.#t.db
      .query(`SELECT VALUE version FROM $history; ${REPEATABLE_READ}`, this.#tables())
      .responses()
      .catch((error: unknown) => this.#t.unreachable(error));
    const versions = rowsOrEmpty<unknown>(history).map(toVersion);
    if (versions.some((v) => v === undefined)) throw await this.#unreadableError();
    return { versions: [...new Set(versions as number[])], repeatable: toRepeatableRecords(repeatable) };
  }

  /** The tables the history reads name. */
  #tables(): Record<string, unknown> {
    return { history: this.#t.history, failed: this.#t.failed, repeatable: this.#t.repeatable };
  }

  /** History, failed and repeatable records, in one request ({@link HISTORY_READ}). */
  async read(): Promise<HistorySnapshot> {
    const [history, failed, repeatable] = await this.#t.db
      .query(HISTORY_READ, this.#tables())
      .responses()
      .catch((error: unknown) => this.#t.unreachable(error));
    const snapshot = toSnapshot(history, failed, repeatable);
    if (!snapshot) throw await this.#unreadableError();
    return snapshot;
  }

  /** Defines the bookkeeping tables, once per process, before the first write. */
  ensureDefined(): Promise<void> {
    return this.#t.ensureDefined();
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

  /** See {@link HistoryTables.ensureRepeatableDefined}. */
  ensureRepeatableDefined(): Promise<void> {
    return this.#t.ensureRepeatableDefined();
  }

  /**
   * The statement that records a repeatable definition inside its transaction, fenced: when the
   * record already holds this checksum (another process applied it meanwhile), it throws
   * {@link REPEATABLE_FENCE} and the transaction keeps nothing.
   */
  repeatableStatement(entry: { name: string; checksum: string; appliedBy: string; version: number }): {
    sql: string;
    vars: Record<string, unknown>;
  } {
    return {
      // One statement that answers the record on SurrealDB 2 and 3 (an IF block's UPSERT answers
      // null on 2), the fence inside its value.
      sql:
        'UPSERT $__sbl_rid CONTENT { name: $__sbl_name, checksum: IF (SELECT VALUE checksum FROM ONLY $__sbl_rid) ' +
        `= $__sbl_checksum { THROW '${REPEATABLE_FENCE}' } ELSE { $__sbl_checksum }, applied_at: time::now(), ` +
        'duration_ms: duration::millis(time::now() - $__sbl_started), applied_by: $__sbl_by, ' +
        'version: $__sbl_version } RETURN name, checksum',
      vars: {
        __sbl_rid: this.#t.repeatableId(entry.name),
        __sbl_name: entry.name,
        __sbl_checksum: entry.checksum,
        __sbl_by: entry.appliedBy,
        __sbl_version: entry.version,
      },
    };
  }

  /** Forgets the records of repeatable definitions whose files are gone (repair). */
  async forgetRepeatables(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.#t.run('DELETE $ids', { ids: names.map((name) => this.#t.repeatableId(name)) });
  }

  /** The statement that deletes a history row inside a rollback's transaction. */
  deleteStatement(version: number): { sql: string; vars: Record<string, unknown> } {
    // Every row of the version, wherever its id. RETURN BEFORE: the runner checks the answer to
    // know the request reached this statement.
    return {
      sql: 'DELETE $__sbl_history WHERE version = $__sbl_version RETURN BEFORE',
      vars: { __sbl_history: this.#t.history, __sbl_version: version },
    };
  }

  /**
   * Who wrote a version's history row, as the process holding the lock token `token` reads it
   * (`applied_by` is the lock token of the process that applied it): `'mine'` when it is `token`;
   * `'another'` when it is another's, or the row does not say (an older release of this tool);
   * `null` when there is no row. The one reading of `applied_by`.
   */
  async writerOf(version: number, token: string): Promise<'mine' | 'another' | null> {
    const [row] = await this.#t.db
      .query('SELECT VALUE applied_by FROM $history WHERE version = $version', {
        history: this.#t.history,
        version,
      })
      .responses()
      .catch((error: unknown) => this.#t.unreachable(error));
    const values = rowsOrEmpty<unknown>(row);
    if (values.length === 0) return null;
    const by = values.map((v) => (typeof v === 'string' ? v : '')).find((v) => v !== '') ?? '';
    return by === token ? 'mine' : 'another';
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
      await this.#t.run(
        'UPDATE $history SET checksum = $sums[<string> version], name = name ?? $names[<string> version] ' +
          'WHERE version IN $versions;',
        {
          history: this.#t.history,
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
      await this.#t.run(`BEGIN TRANSACTION; ${statements.join(' ')} COMMIT TRANSACTION;`, vars);
    }
  }

  /** See {@link FailedRecords.recordProgress}. */
  recordProgress(entry: ProgressEntry): Promise<void> {
    return this.#records.recordProgress(entry);
  }

  /** See {@link FailedRecords.completeProgress}. */
  completeProgress(
    version: number,
    bookkeeping: { sql: string; vars: Record<string, unknown> },
    began: Date,
  ): Promise<QueryResponse[]> {
    return this.#records.completeProgress(version, bookkeeping, began);
  }

  /** See {@link FailedRecords.recordResume}. */
  recordResume(version: number, after: number): Promise<void> {
    return this.#records.recordResume(version, after);
  }

  /** See {@link FailedRecords.recordFailed}. */
  recordFailed(record: Parameters<FailedRecords['recordFailed']>[0]): Promise<void> {
    return this.#records.recordFailed(record);
  }

  /** See {@link FailedRecords.recordRolledBack}. */
  recordRolledBack(version: number): Promise<void> {
    return this.#records.recordRolledBack(version);
  }
}
