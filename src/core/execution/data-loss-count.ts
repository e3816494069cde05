/**
 * The rows a run's data-loss statements (surql/data-loss.ts) would delete, counted by the engine
 * where each would run: the run's scripts in order, in one transaction that is cancelled, with the
 * rows of each table counted just before the top-level statement that empties it (so a data fix
 * earlier in the script counts, and a table emptied twice counts once at the first). The counts
 * come back as the transaction's thrown error, numbers only: no row is read out, nothing is
 * written.
 *
 * `REMOVE DATABASE` and `REMOVE NAMESPACE` are not counted (rows: undefined): they always lose
 * whatever is there.
 */
import type { QueryClient } from '../db/session.js';
import type { MigrationFile } from '../files/migration-files.js';
import { quoteIdent } from '../support/identifiers.js';
import { dataLossStatements, type DataLossStatement } from '../surql/data-loss.js';
import { surqlStatements } from '../surql/surql-splitter.js';

/** A data-loss statement of a file, with the rows it would delete where it runs. */
export interface DataLoss extends DataLossStatement {
  file: string;
  /** Rows of the table when the statement runs; undefined for a database or a namespace. */
  rows: number | undefined;
}

/** The marker of the thrown counts. */
const MARK = 'sbl-data-loss-counts:';

/**
 * The data losses of `scripts`, run in order (each a file and the text that runs: an up's or a
 * down's), counted on `db` (see the file's comment). `major` says how a missing table is counted:
 * SurrealDB 3 refuses a SELECT from it, 2 reads it as empty. Without a data-loss statement, no
 * request is sent.
 */
export async function countDataLoss(
  db: QueryClient,
  scripts: readonly { file: MigrationFile; text: string }[],
  major: number,
): Promise<DataLoss[]> {
  const losses: DataLoss[] = [];
  const parts: string[] = ['BEGIN TRANSACTION;'];
  const counted: (number | undefined)[] = [];
  for (const { file, text } of scripts) {
    const found = dataLossStatements(text);
    const statements = surqlStatements(text).filter((s) => !s.empty);
    statements.forEach((statement, index) => {
      for (const loss of found.filter((l) => l.statement === index)) {
        const table = loss.kind === 'remove-table' || loss.kind === 'delete-table';
        counted.push(table ? counted.length : undefined);
        losses.push({ ...loss, file: file.file, rows: undefined });
        if (table) parts.push(`LET $__sbl_loss${losses.length - 1} = ${rowCount(loss.name, major)};`);
      }
      parts.push(`${statement.text};`);
    });
  }
  if (losses.length === 0) return [];
  const names = losses.map((_, i) => (counted[i] === undefined ? 'NONE' : `$__sbl_loss${i}`));
  parts.push(`THROW "${MARK}" + <string> [${names.join(', ')}];`, 'CANCEL TRANSACTION;');
  const answers = await db.query(parts.join('\n')).responses();
  const thrown = answers.map((a) => (a.success ? '' : a.error.message)).find((m) => m.includes(MARK));
  if (thrown === undefined) {
    // The scripts failed before the count: the run reports that failure itself.
    const failure = answers.find((a) => !a.success && !/not executed/i.test(a.error.message));
    throw failure && !failure.success ? failure.error : new Error('the data-loss count got no answer');
  }
  const values = thrown
    .slice(thrown.indexOf(MARK) + MARK.length)
    .replace(/^\[|\].*$/gs, '')
    .split(',')
    .map((v) => v.trim());
  return losses.map((loss, i) => ({ ...loss, rows: values[i] === 'NONE' ? undefined : Number(values[i]) }));
}

/**
 * The rows of `table` that removing or emptying it would lose, as an expression. On SurrealDB 3, 0
 * when it does not exist, and 0 for a view (`DEFINE TABLE … AS SELECT`), whose rows follow its
 * source: the engine says which it is where the statement runs, so a view defined earlier in the
 * same run counts too. SurrealDB 2 reads a missing table as empty, and has no `INFO` inside an
 * expression (data-loss-guard.ts reads its views before the run).
 */
export function rowCount(table: string, major: number): string {
  const name = JSON.stringify(table);
  const rows = `count(SELECT VALUE id FROM ${quoteIdent(table)})`;
  if (major < 3) return rows;
  const view = `string::contains((INFO FOR DB).tables[${name}], ' AS SELECT ')`;
  return `IF ${name} NOT IN object::keys((INFO FOR DB).tables) OR ${view} THEN 0 ELSE ${rows} END`;
}
