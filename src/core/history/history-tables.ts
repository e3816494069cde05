/**
 * The bookkeeping tables of one database: the history table, the table of the records of
 * no-transaction files (failed or in progress) and the lock record; their DDL, run once before the
 * first write; and the request helpers the history's readers and writers share. Every value is a
 * bound parameter; only the table names, validated as identifiers when the options were resolved,
 * appear in DDL.
 */
import { RecordId, Table, type QueryResponse } from 'surrealdb';
import { DatabaseUnreachableError } from '../support/database-errors.js';
import type { ResolvedMigrationsOptions } from '../options/options.js';
import { redactUrl } from '../options/urls.js';
import type { QueryClient } from '../db/session.js';
import { firstFailure, isConflictOrExists, isConnectionError } from '../db/surreal-errors.js';

/** The tables and the lock record of one database, for HistoryStore and FailedRecords. */
export class HistoryTables {
  readonly db: QueryClient;
  readonly history: Table;
  readonly failed: Table;
  /** The repeatable definitions' records; defined with the first one applied. */
  readonly repeatable: Table;
  readonly lock: RecordId;
  /** The history table's name as DDL writes it. */
  readonly historyDdl: string;
  readonly #ddl: string;
  readonly #where: string;
  #defined = false;
  #repeatableDefined = false;

  constructor(
    db: QueryClient,
    options: Pick<ResolvedMigrationsOptions, 'table' | 'failedTable' | 'lockTable' | 'repeatableTable' | 'url'>,
  ) {
    this.db = db;
    this.#where = options.url === undefined ? 'the database of the given client' : redactUrl(options.url);
    this.history = new Table(options.table);
    this.failed = new Table(options.failedTable);
    this.repeatable = new Table(options.repeatableTable);
    this.lock = new RecordId(options.lockTable, 'lock');
    this.#ddl = [options.table, options.failedTable, options.lockTable]
      .map((name) => `DEFINE TABLE IF NOT EXISTS ${ddlName(name)} SCHEMALESS;`)
      .join(' ');
    this.historyDdl = ddlName(options.table);
  }

  /** The record of a repeatable definition, by its name. */
  repeatableId(name: string): RecordId {
    return new RecordId(this.repeatable.name, name);
  }

  /** The record id of a version's history row. */
  recordId(version: number): RecordId {
    return new RecordId(this.history.name, version);
  }

  failedRecordId(version: number): RecordId {
    return new RecordId(this.failed.name, version);
  }

  /** Sends a write; the first statement's real error is thrown. */
  async run(sql: string, vars: Record<string, unknown>): Promise<void> {
    const responses = await this.db.query(sql, vars).responses();
    const failed = firstFailure(responses);
    if (failed) throw failed;
  }

  /** A lost connection, as this library's error; anything else as it came. */
  unreachable(error: unknown): never {
    if (isConnectionError(error)) throw new DatabaseUnreachableError(this.#where, 1, error);
    throw error;
  }

  /** Defines the bookkeeping tables, once per process, before the first write. */
  async ensureDefined(): Promise<void> {
    if (this.#defined) return;
    const responses = await this.db.query(`${this.#ddl} INFO FOR TABLE ${this.historyDdl};`).responses();
    const info = responses.pop();
    for (const response of responses) {
      // Replicas starting together define the same tables at once; the loser's conflict is fine.
      if (!response.success && !isConflictOrExists(response.error)) throw response.error;
    }
    await this.#completeSchemafullHistory(info);
    this.#defined = true;
  }

  /**
   * Defines the repeatable definitions' table, once per process, before the first record is
   * written: a database without repeatables never gets it.
   */
  async ensureRepeatableDefined(): Promise<void> {
    if (this.#repeatableDefined) return;
    const [response] = await this.db
      .query(`DEFINE TABLE IF NOT EXISTS ${ddlName(this.repeatable.name)} SCHEMALESS;`)
      .responses();
    if (response && !response.success && !isConflictOrExists(response.error)) throw response.error;
    this.#repeatableDefined = true;
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
    const [tables] = await this.db.query('INFO FOR DB').responses();
    const definition = tables?.success
      ? ((tables.result as { tables?: Record<string, string> }).tables?.[this.history.name] ?? '')
      : '';
    if (!/\bSCHEMAFULL\b/i.test(definition)) return;
    const missing = HISTORY_FIELDS.filter(([name]) => !(name in fields));
    if (missing.length === 0) return;
    await this.run(
      missing
        .map(([name, type]) => `DEFINE FIELD IF NOT EXISTS ${name} ON TABLE ${this.historyDdl} TYPE ${type};`)
        .join(' '),
      {},
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
