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
