import { RecordId, Table, type QueryResponse, type Surreal } from 'surrealdb';
import { DatabaseUnreachableError } from './errors.js';
import { redactUrl, type ResolvedMigrationsOptions } from './options.js';
import { isConflictOrExists, isConnectionError } from './surreal-errors.js';

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

/** A no-transaction migration that failed part-way (`<table>_failed:<version>`). */
export interface FailedRecord {
  version: number;
  name: string;
  file: string;
  checksum: string | undefined;
  statementsApplied: number;
  statementCount: number;
  error: string;
  failedAt: Date | undefined;
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

/**
 * The `_sbl_migrations` table (and its `_failed` sibling). Every value is a bound parameter; only
 * the table names, validated as identifiers when the options were resolved, appear in DDL.
 *
 * A table that does not exist yet reads as empty: the tables are defined only when something is
 * about to be written.
 */
export class HistoryStore {
  readonly #db: Surreal;
  readonly #history: Table;
  readonly #failed: Table;
  readonly #ddl: string;
  readonly #where: string;
  #defined = false;

  constructor(db: Surreal, options: Pick<ResolvedMigrationsOptions, 'table' | 'failedTable' | 'lockTable' | 'url'>) {
    this.#db = db;
    this.#where = options.url === undefined ? 'the database of the given client' : redactUrl(options.url);
    this.#history = new Table(options.table);
    this.#failed = new Table(options.failedTable);
    this.#ddl = [options.table, options.failedTable, options.lockTable]
      .map((name) => `DEFINE TABLE IF NOT EXISTS ${name} SCHEMALESS;`)
      .join(' ');
  }

  /** The record id of a version's history row. */
  recordId(version: number): RecordId {
    return new RecordId(this.#history.name, version);
  }

  failedRecordId(version: number): RecordId {
    return new RecordId(this.#failed.name, version);
  }

  /** Applied versions only: the smallest query that answers "what is applied?". */
  async readVersions(): Promise<number[]> {
    const [response] = await this.#db
      .query('SELECT VALUE version FROM $history', { history: this.#history })
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    return rowsOrEmpty<unknown>(response).map(Number);
  }

  /** History and failed records, in one request. */
  async read(): Promise<HistorySnapshot> {
    const [history, failed] = await this.#db
      // Named fields rather than *: decoding each row's record id is a good part of the cost.
      .query(
        'SELECT version, name, checksum, applied_at, duration_ms FROM $history; ' +
          'SELECT version, name, file, checksum, statements_applied, statement_count, error, failed_at FROM $failed',
        {
          history: this.#history,
          failed: this.#failed,
        },
      )
      .responses()
      .catch((error: unknown) => this.#unreachable(error));
    return {
      applied: rowsOrEmpty<Record<string, unknown>>(history)
        .map(toAppliedRecord)
        .sort((a, b) => a.version - b.version),
      failed: rowsOrEmpty<Record<string, unknown>>(failed)
        .map(toFailedRecord)
        .sort((a, b) => a.version - b.version),
    };
  }

  /** A lost connection, as this library's error; anything else as it came. */
  #unreachable(error: unknown): never {
    if (isConnectionError(error)) throw new DatabaseUnreachableError(this.#where, 1, error);
    throw error;
  }

  /** Defines the bookkeeping tables, once per process, before the first write. */
  async ensureDefined(): Promise<void> {
    if (this.#defined) return;
    const responses = await this.#db.query(this.#ddl).responses();
    for (const response of responses) {
      // Replicas starting together define the same tables at once; the loser's conflict is fine.
      if (!response.success && !isConflictOrExists(response.error)) throw response.error;
    }
    this.#defined = true;
  }

  /**
   * The statement that writes a history row inside a migration's transaction. Its parameters use
   * the `__sbl_` prefix to stay out of the way of the script's own variables; `$__sbl_started` is
   * set by the runner at the start of the transaction.
   */
  recordStatement(entry: HistoryEntry): { sql: string; vars: Record<string, unknown> } {
    return {
      sql:
        'CREATE $__sbl_id CONTENT { version: $__sbl_version, name: $__sbl_name, checksum: $__sbl_checksum, ' +
        'applied_at: time::now(), duration_ms: duration::millis(time::now() - $__sbl_started) }',
      vars: {
        __sbl_id: this.recordId(entry.version),
        __sbl_version: entry.version,
        __sbl_name: entry.name,
        __sbl_checksum: entry.checksum,
      },
    };
  }

  /** The statement that deletes a history row inside a rollback's transaction. */
  deleteStatement(version: number): { sql: string; vars: Record<string, unknown> } {
    // RETURN BEFORE: the runner checks the answer to know the request reached this statement.
    return { sql: 'DELETE $__sbl_id RETURN BEFORE', vars: { __sbl_id: this.recordId(version) } };
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
    await this.#inBatches(entries, (entry, i, vars) => {
      vars[`id${i}`] = this.recordId(entry.version);
      vars[`sum${i}`] = entry.checksum;
      vars[`name${i}`] = entry.name;
      return `UPDATE $id${i} SET checksum = $sum${i}, name = name ?? $name${i};`;
    });
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
      await this.#db.query(`BEGIN TRANSACTION; ${statements.join(' ')} COMMIT TRANSACTION;`, vars);
    }
  }

  /** Records a failed no-transaction attempt. */
  async recordFailed(record: Omit<FailedRecord, 'failedAt'>): Promise<void> {
    await this.ensureDefined();
    await this.#db.query(
      'UPSERT $id CONTENT { version: $row.version, name: $row.name, file: $row.file, checksum: $row.checksum, ' +
        'statements_applied: $row.statementsApplied, statement_count: $row.statementCount, error: $row.error, ' +
        'failed_at: time::now() }',
      { id: this.failedRecordId(record.version), row: { ...record, checksum: record.checksum ?? null } },
    );
  }

  /** Resolve as rolled back: the version is not applied, and its failed record is gone. Atomic. */
  async recordRolledBack(version: number): Promise<void> {
    await this.#db.query('BEGIN TRANSACTION; DELETE $id; DELETE $failed; COMMIT TRANSACTION;', {
      id: this.recordId(version),
      failed: this.failedRecordId(version),
    });
  }
}

/** Rows of a SELECT, or [] when the table does not exist yet (SurrealDB 3 reports NotFound). */
function rowsOrEmpty<T>(response: QueryResponse | undefined): T[] {
  if (!response) return [];
  if (response.success) return (response.result as T[] | null | undefined) ?? [];
  if (response.error.kind === 'NotFound') return [];
  throw response.error;
}

/** A SurrealDB datetime (the SDK's DateTime), a Date or an ISO string, as a Date. */
export function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value;
  if (typeof (value as { toDate?: unknown }).toDate === 'function') return (value as { toDate(): Date }).toDate();
  const date = new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function toAppliedRecord(row: Record<string, unknown>): AppliedRecord {
  return {
    version: Number(row.version),
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
  };
}
