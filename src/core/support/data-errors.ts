/**
 * Errors of what a run would do to the data already there (issue 22): data deleted wholesale.
 */
import { MigrationsError, type MigrationDirection } from './errors.js';

/** One statement a run would lose data with. */
export interface DataLossEntry {
  /** The file, as discovered. */
  file: string;
  /** Where the statement starts in the file, 1-based. */
  line: number;
  /** Where the statement starts on its line, 1-based. */
  column: number;
  /** What the statement does: removes a table, deletes every row of one, removes a database or a namespace. */
  kind: 'remove-table' | 'delete-table' | 'remove-database' | 'remove-namespace';
  /** The table, database or namespace. */
  name: string;
  /** The rows it would delete, where it runs; undefined for a database or a namespace (all of it). */
  rows: number | undefined;
}

const WHAT: Record<DataLossEntry['kind'], string> = {
  'remove-table': 'REMOVE TABLE',
  'delete-table': 'DELETE of every row of',
  'remove-database': 'REMOVE DATABASE',
  'remove-namespace': 'REMOVE NAMESPACE',
};

/**
 * A run would delete data wholesale, and nothing was applied: each statement with the rows it
 * would delete (never their values). Allow it in the file (`-- migrate:allow-data-loss`), or for
 * the run (`acceptDataLoss: true`, CLI `--accept-data-loss`).
 */
export class DataLossError extends MigrationsError {
  /** Always `DATA_LOSS`. */
  readonly code = 'DATA_LOSS';

  constructor(
    /** Each statement refused, in the order the run would reach it. */
    readonly losses: readonly DataLossEntry[],
    /** `up` for a run up or a dry run, `down` for a rollback. */
    readonly direction: MigrationDirection,
  ) {
    super(
      `Refused: this ${direction === 'down' ? 'rollback' : 'run'} would delete data, so nothing was applied.\n` +
        losses
          .map((l) => {
            const rows = l.rows === undefined ? 'all it holds' : `${l.rows} row(s)`;
            return `  - ${l.file}:${l.line}:${l.column}: ${WHAT[l.kind]} ${l.name} deletes ${rows}`;
          })
          .join('\n') +
        '\nMove or keep the rows first; or, if the loss is intended, add `-- migrate:allow-data-loss` at the top of ' +
        'the file, or run with acceptDataLoss: true (CLI: --accept-data-loss).',
    );
  }
}

/** One rule of a run's new definitions, and the rows already there that it refuses. */
export interface InvalidRowsEntry {
  /** The file whose statement sets the rule, as discovered. */
  file: string;
  /** Where that statement starts in the file, 1-based. */
  line: number;
  /** Where it starts on its line, 1-based. */
  column: number;
  /** The table whose rows it refuses. */
  table: string;
  /** The field, as defined (`a.b`, `tags[*]`); undefined for a rule of the table (SCHEMAFULL). */
  field: string | undefined;
  /**
   * The rule, as the statement words it: `TYPE int`, `ASSERT $value > 0`, `SCHEMAFULL`, `REMOVE FIELD`,
   * or `REFERENCE to a record that does not exist`.
   */
  rule: string;
  /**
   * How many rows it refuses; undefined where the rule raised an error in the engine over some row
   * (as that row's next write would), so that its rows could not be counted.
   */
  rows: number | undefined;
  /** The first few of them, as record ids (never their values). */
  ids: string[];
}

/**
 * Rows already in the database that a run's new or changed definitions would refuse (their next
 * write would fail, or, on SurrealDB 2, drop the undeclared fields), and nothing was applied. The
 * fix is in the migration: an `UPDATE` that converts the rows, before the new definition. Allow it
 * in the file (`-- migrate:allow-invalid-rows`), or skip the check for the run (`checkData: false`,
 * CLI `--no-data-check`).
 */
export class InvalidRowsError extends MigrationsError {
  /** Always `INVALID_ROWS`. */
  readonly code = 'INVALID_ROWS';

  constructor(
    /** Each rule that refuses rows, in the order the run defines them. */
    readonly invalid: readonly InvalidRowsEntry[],
  ) {
    super(
      'Refused: rows already in the database would not meet the new definitions, so nothing was applied.\n' +
        invalid
          .map((e) => {
            const what = e.field === undefined ? e.table : `${e.table}.${e.field}`;
            if (e.rows === undefined) {
              return `  - ${e.file}:${e.line}:${e.column}: ${what} ${e.rule} fails over some row(s): the engine raised an error judging them, as their next write would`;
            }
            const ids = e.ids.length > 0 ? `: ${e.ids.join(', ')}${e.rows > e.ids.length ? ', …' : ''}` : '';
            return `  - ${e.file}:${e.line}:${e.column}: ${what} ${e.rule} refuses ${e.rows} row(s)${ids}`;
          })
          .join('\n') +
        '\nConvert the rows in the migration itself, before the new definition (an UPDATE); or, if you know, add ' +
        '`-- migrate:allow-invalid-rows` at the top of the file, or run with checkData: false (CLI: --no-data-check).',
    );
  }
}
