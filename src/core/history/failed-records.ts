/**
 * Writes of the records of no-transaction files (`<table>_failed:<version>`): the in-progress
 * record advanced before each statement, its completion, a failed attempt, and an operator's
 * resume or rolled-back resolution.
 */
import type { QueryResponse } from 'surrealdb';
import { firstFailure, isNotExecuted } from '../db/surreal-errors.js';
import type { FailedAttemptRecord, ProgressEntry } from './history-records.js';
import type { HistoryTables } from './history-tables.js';

/** The lease is no longer this process's: a write guarded by it was refused. */
export const LEASE_LOST = 'sbl-migrations: the migration lock lease is no longer held by this process';

/** The in-progress and failed records of one database. */
export class FailedRecords {
  readonly #t: HistoryTables;

  constructor(tables: HistoryTables) {
    this.#t = tables;
  }

  /**
   * Writes the in-progress record of a no-transaction file, only while `entry.token` holds the
   * lease: this is the holder's check, at the database, before each statement. Rejects with
   * {@link LEASE_LOST} in its message when the lease is another's.
   */
  async recordProgress(entry: ProgressEntry): Promise<void> {
    await this.#t.ensureDefined();
    const answers = await this.#t.db
      .query(
        'BEGIN TRANSACTION; ' +
          'IF (SELECT VALUE owner.token FROM ONLY $__sbl_lock) != $__sbl_token { THROW $__sbl_lost }; ' +
          'UPSERT $id CONTENT { version: $row.version, name: $row.name, file: $row.file, checksum: $row.checksum, ' +
          'direction: $row.direction, statements_applied: $row.completed, statement_count: $row.statementCount, ' +
          'running_statement: $running, in_progress: true, holder: $row.holder, error: NONE, ' +
          'failed_at: NONE, updated_at: time::now() }; ' +
          'COMMIT TRANSACTION;',
        {
          __sbl_lock: this.#t.lock,
          __sbl_token: entry.token,
          __sbl_lost: LEASE_LOST,
          id: this.#t.failedRecordId(entry.version),
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
    return this.#t.db
      .query(
        `BEGIN TRANSACTION; LET $__sbl_started = $__sbl_began; ${bookkeeping.sql}; DELETE $__sbl_failed; COMMIT TRANSACTION;`,
        { ...bookkeeping.vars, __sbl_began: began, __sbl_failed: this.#t.failedRecordId(version) },
      )
      .responses();
  }

  /** Marks a record resumable after statement `after` (an operator's `resolve … resume`). */
  async recordResume(version: number, after: number): Promise<void> {
    await this.#t.run(
      'UPDATE $id SET in_progress = false, running_statement = NONE, resume_after = $after, updated_at = time::now()',
      { id: this.#t.failedRecordId(version), after },
    );
  }

  /** Records a failed no-transaction attempt (it replaces the in-progress record). */
  async recordFailed(
    record: Pick<
      FailedAttemptRecord,
      'version' | 'name' | 'file' | 'checksum' | 'statementsApplied' | 'statementCount' | 'error' | 'direction'
    > & { holder?: string },
  ): Promise<void> {
    await this.#t.ensureDefined();
    await this.#t.run(
      'UPSERT $id CONTENT { version: $row.version, name: $row.name, file: $row.file, checksum: $row.checksum, ' +
        'direction: $row.direction, statements_applied: $row.statementsApplied, ' +
        'statement_count: $row.statementCount, error: $row.error, in_progress: false, holder: $row.holder, ' +
        'failed_at: time::now(), updated_at: time::now() }',
      {
        id: this.#t.failedRecordId(record.version),
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
    await this.#t.run(
      'BEGIN TRANSACTION; DELETE $history WHERE version = $version; DELETE $failed; COMMIT TRANSACTION;',
      {
        history: this.#t.history,
        version,
        failed: this.#t.failedRecordId(version),
      },
    );
  }
}
