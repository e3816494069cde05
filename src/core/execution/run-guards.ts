/**
 * What a run is refused for before it applies anything, in order: statements a migration may not
 * hold (BEGIN, COMMIT, CANCEL, USE, …), names SurrealDB 3 cannot read back, data it would delete
 * (data-loss-guard.ts) and rows its new definitions would refuse (row-check.ts). The statement
 * policy goes first: the last two run the scripts inside a transaction of their own, which a
 * script's own COMMIT, CANCEL or USE would escape.
 */
import type { MigrationFile } from '../files/migration-files.js';
import type { DataLossEntry, InvalidRowsEntry } from '../support/data-errors.js';
import type { MigrationDirection } from '../support/errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { findDataLoss, refuseDataLoss } from './data-loss-guard.js';
import type { ExecutionContext } from './execution-context.js';
import { findInvalidRows, refuseInvalidRows } from './row-check.js';
import { refuse } from './script-errors.js';
import { refuseUnreadableNames } from './v3-keyword-refusal.js';

/** What one run may do to the data already there, over the options' defaults. */
export interface RunGuards {
  /** Run statements that delete data wholesale (see `DataLossError`). */
  acceptDataLoss?: boolean;
  /** Check the rows already there against the run's new definitions (see `InvalidRowsError`). */
  checkData?: boolean;
}

/** What a run would be refused for (see `DataLossError`, `InvalidRowsError`); empty lists when nothing. */
export interface RunRefusals {
  dataLoss: DataLossEntry[];
  invalidRows: InvalidRowsEntry[];
}

type Context = Pick<ExecutionContext, 'db' | 'connection' | 'options' | 'logger'>;

/** Throws what the run of `scripts` (in order) is refused for, before anything of it is applied. */
export async function refuseBeforeRun(
  ctx: Context,
  scripts: readonly MigrationFile[],
  direction: MigrationDirection,
  run: RunGuards,
): Promise<void> {
  refuseStatements(scripts, direction);
  await refuseUnreadableNames(ctx.connection, scripts, direction);
  await refuseDataLoss(ctx, scripts, direction, run.acceptDataLoss ?? ctx.options.acceptDataLoss);
  await refuseInvalidRows(ctx, scripts, run.checkData ?? ctx.options.checkData);
}

/**
 * What the run of `scripts` would be refused for by the data checks, found as the run finds them;
 * a script's refused statement throws, as the run would.
 */
export async function findRefusals(
  ctx: Context,
  scripts: readonly MigrationFile[],
  direction: MigrationDirection,
  run: RunGuards,
): Promise<RunRefusals> {
  refuseStatements(scripts, direction);
  const dataLoss = await findDataLoss(ctx, scripts, run.acceptDataLoss ?? ctx.options.acceptDataLoss);
  const invalidRows = await findInvalidRows(ctx, scripts, run.checkData ?? ctx.options.checkData);
  return { dataLoss, invalidRows };
}

/** Throws the first statement a script may not hold (the runner's own refusal, file and line). */
function refuseStatements(scripts: readonly MigrationFile[], direction: MigrationDirection): void {
  for (const script of scripts) refuse(script, direction, surqlStatements(script.text));
}
