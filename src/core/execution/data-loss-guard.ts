/**
 * The refusal of a run that would delete data wholesale (issue 22, item 2), before anything of it
 * is applied: the run's scripts, in order, counted by the engine (data-loss-count.ts). A statement
 * over a table with no rows there loses nothing and passes; `REMOVE DATABASE` and `REMOVE
 * NAMESPACE` always count. A file allows its own (`-- migrate:allow-data-loss`), a run all of them
 * (`acceptDataLoss`). Costs no request when no script of the run holds such a statement. A view
 * (`DEFINE TABLE … AS SELECT`) loses nothing: its rows follow its source. SurrealDB 3 says which
 * tables are views where each statement runs (data-loss-count.ts); SurrealDB 2 cannot read its
 * schema inside an expression, so there the views are those the database holds before the run.
 */
import type { MigrationFile } from '../files/migration-files.js';
import { DataLossError, type DataLossEntry } from '../support/data-errors.js';
import type { MigrationDirection } from '../support/errors.js';
import { dataLossStatements } from '../surql/data-loss.js';
import { countDataLoss, rowCount, type DataLoss } from './data-loss-count.js';
import type { ExecutionContext } from './execution-context.js';
import { answersTransactions } from './transaction-convention.js';
import { forgetRolledBack } from './rolled-back.js';
import { writesUnnamedTables } from '../db/rolled-back-tables.js';

/** Throws `DataLossError` when the run of `scripts` (in order) would delete data it is not allowed to. */
export async function refuseDataLoss(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options'>,
  scripts: readonly MigrationFile[],
  direction: MigrationDirection,
  accept: boolean,
): Promise<void> {
  const refused = await findDataLoss(ctx, scripts, accept);
  if (refused.length > 0) throw new DataLossError(refused, direction);
}

/** What {@link refuseDataLoss} would refuse: each statement of the run of `scripts` that would delete data it is not allowed to. */
export async function findDataLoss(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options'>,
  scripts: readonly MigrationFile[],
  accept: boolean,
): Promise<DataLossEntry[]> {
  if (accept || !scripts.some((file) => !file.allowDataLoss && dataLossStatements(file.text).length > 0)) return [];
  // SurrealDB 3 answers BEGIN and COMMIT, 2 does not: how a missing table is counted differs.
  const major = (await answersTransactions(ctx)) ? 3 : 2;
  const byPath = new Map(scripts.map((file) => [file.file, file]));
  // On SurrealDB 2, a cancelled transaction that wrote to a table it cannot be made to forget (its
  // name is computed) would leave that table undefined for the run's own writes: counted now instead.
  const unnamed = major < 3 && scripts.some((file) => writesUnnamedTables(file.text));
  const losses = unnamed
    ? await countedNow(ctx, scripts, major)
    : await countDataLoss(
        ctx.db,
        scripts.map((file) => ({ file, text: file.text })),
        major,
      )
        .catch(() => countedNow(ctx, scripts, major))
        // SurrealDB 2 keeps believing in the tables the cancelled transaction wrote to (rolled-back.ts).
        .finally(() =>
          forgetRolledBack(
            ctx,
            scripts.map((file) => file.text),
          ),
        );
  // A view's rows follow its source: removing or emptying a view loses nothing of the source's.
  const views =
    major < 3 && losses.some((l) => l.kind === 'remove-table' || l.kind === 'delete-table') ? await viewsOf(ctx) : [];
  const refused = losses.filter(
    (loss) =>
      !byPath.get(loss.file)?.allowDataLoss &&
      !(loss.kind !== 'remove-database' && loss.kind !== 'remove-namespace' && views.includes(loss.name)) &&
      (loss.rows === undefined || loss.rows > 0),
  );
  return refused.map(({ file, line, column, kind, name, rows }) => ({ file, line, column, kind, name, rows }));
}

/**
 * Where the scripts cannot run in one transaction to be counted (a statement that fails there, such
 * as a `CONCURRENTLY` index): each table's rows as they are now, before the run.
 */
async function countedNow(
  ctx: Pick<ExecutionContext, 'db'>,
  scripts: readonly MigrationFile[],
  major: number,
): Promise<DataLoss[]> {
  const losses = scripts.flatMap((file) =>
    dataLossStatements(file.text).map((loss) => ({ ...loss, file: file.file, rows: undefined as number | undefined })),
  );
  const tables = losses.filter((l) => l.kind === 'remove-table' || l.kind === 'delete-table');
  if (tables.length === 0) return losses;
  const answers = await ctx.db.query(tables.map((l) => `RETURN ${rowCount(l.name, major)};`).join('\n')).responses();
  tables.forEach((loss, i) => {
    const answer = answers[i];
    loss.rows = answer?.success ? Number(answer.result) : undefined;
  });
  return losses;
}

/** The tables of the database that are views (`DEFINE TABLE … AS SELECT`), as it stands before the run (SurrealDB 2). */
async function viewsOf(ctx: Pick<ExecutionContext, 'db'>): Promise<string[]> {
  const [info] = await ctx.db.query('INFO FOR DB').responses();
  const tables =
    (info?.success ? (info.result as { tables?: Record<string, string> } | null)?.tables : undefined) ?? {};
  return Object.entries(tables)
    .filter(([, definition]) => /\sAS\s+SELECT\b/i.test(definition))
    .map(([name]) => name);
}
