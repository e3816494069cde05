/**
 * A migration in one transaction: its script and its history statement sent as one request (see
 * `request-layout.ts`), read by the places of its answers (see `verdict.ts`).
 */
import type { QueryResponse } from 'surrealdb';
import type { MigrationDirection } from '../support/errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { errorLocation, isConflictOrExists, isRetryableConflict } from '../db/surreal-errors.js';
import { surqlStatements, type SurqlStatement } from '../surql/surql-splitter.js';
import type { ExecutionContext } from './execution-context.js';
import { transactionalRequest } from './request-layout.js';
import { readVerdict } from './verdict.js';
import { answersTransactions } from './transaction-convention.js';
import { forgetRolledBack } from './rolled-back.js';
import { unlessStalled } from './stall-guard.js';
import { historyStatement, recordFailed } from './bookkeeping.js';
import {
  appliedSoFar,
  messageOf,
  refuse,
  requestError,
  resolveAdvice,
  scriptError,
  statementError,
} from './script-errors.js';

/** Transactional migrations that lose to a write conflict are tried again this many times. */
const CONFLICT_RETRIES = 3;

/**
 * One request, `BEGIN; LET …; <script>; <history statement>; COMMIT` (see `request-layout.ts`),
 * read by the places of its answers counted from the end. Returns true when another replica had
 * already applied the version (up only).
 */
export async function runTransactional(
  ctx: ExecutionContext,
  script: MigrationFile,
  direction: MigrationDirection,
): Promise<boolean> {
  const statements = surqlStatements(script.text);
  refuse(script, direction, statements);
  try {
    return await sendTransactional(ctx, script, direction, statements);
  } catch (error) {
    // Sent, and rolled back (or its fate unknown): nothing for SurrealDB 2 to half-remember.
    await forgetRolledBack(ctx, [script.text]);
    throw error;
  }
}

async function sendTransactional(
  ctx: ExecutionContext,
  script: MigrationFile,
  direction: MigrationDirection,
  statements: SurqlStatement[],
): Promise<boolean> {
  const { db, lock } = ctx;
  const version = script.version;
  const bookkeeping = historyStatement(ctx, script, direction);
  const sql = transactionalRequest(script.text, bookkeeping.sql);
  const answersTransaction = await answersTransactions(ctx);
  const isHistoryRow = (response: QueryResponse) => {
    if (!response.success) return false;
    const rows = Array.isArray(response.result) ? (response.result as { version?: unknown }[]) : [];
    return rows.some((row) => Number(row?.version) === version);
  };

  for (let attempt = 0; ; attempt++) {
    let responses: QueryResponse[];
    try {
      responses = await unlessStalled(ctx, db.query(sql, bookkeeping.vars).responses());
    } catch (error) {
      if (errorLocation(error)) throw requestError(script, direction, error, 1);
      // No readable answer (a dropped connection, a value the client cannot decode, a conflict
      // reported for the whole request): the transaction may or may not have committed. The
      // history row, and who wrote it, say which.
      const by = await ctx.history.writerOf(version, lock.owner.token).catch(() => undefined);
      if (direction === 'up' && by !== undefined && by !== null) {
        if (by === 'mine') {
          ctx.logger.warn(`Migration ${version} committed, but its answers could not be read: ${messageOf(error)}`);
          return false;
        }
        // Written without this run's token: another process (or an older release of this tool).
        return true;
      }
      if (direction === 'down' && by === null) return false;
      if (by !== undefined && isRetryableConflict(error) && attempt < CONFLICT_RETRIES) continue;
      throw requestError(
        script,
        direction,
        error,
        1,
        undefined,
        by === undefined
          ? 'The request got no readable answer, and the history could not be read: whether it committed is ' +
              `unknown. Check \`surreal-migrate status\` before running it again.`
          : `The request got no readable answer, and the history shows it did not commit: nothing of this ` +
              `${direction === 'up' ? 'migration' : 'rollback'} was applied.`,
      );
    }
    const verdict = readVerdict(responses, answersTransaction, isHistoryRow);
    switch (verdict.outcome) {
      case 'committed':
        if (verdict.scriptAnswers !== statements.length) warnCount(ctx, script, verdict.scriptAnswers, statements);
        return false;
      case 'ended-early':
        return recordEndedEarly(ctx, script, direction, statements, verdict.ran);
      case 'failed-at-history':
        // The history record's fixed id is the fence: a second apply of the same version fails its
        // commit and keeps nothing. Who wrote the row tells "applied by another" from a failure.
        if (direction === 'up') {
          if (await appliedByAnother(ctx, version)) return true;
          if (isRetryableConflict(verdict.error) && attempt < CONFLICT_RETRIES) continue;
        }
        throw scriptError(
          script,
          direction,
          {
            reason: `the history table ${ctx.options.table} refused the ${direction === 'up' ? 'new row' : 'deletion'}: ${verdict.error.message}`,
            cause: verdict.error,
          },
          `Nothing of this ${direction === 'up' ? 'migration' : 'rollback'} was applied. The script ran, but its ` +
            `history statement failed: check the history table's definition (\`INFO FOR TABLE ${ctx.options.table}\`).`,
        );
      case 'failed-in-script': {
        if (direction === 'up' && isConflictOrExists(verdict.error)) {
          if (await appliedByAnother(ctx, version)) return true;
          if (isRetryableConflict(verdict.error) && attempt < CONFLICT_RETRIES) continue;
        }
        const agree = verdict.scriptAnswers === statements.length;
        if (agree) throw statementError(script, direction, verdict.error, statements[verdict.index]);
        throw scriptError(script, direction, {
          reason:
            `${verdict.error.message} (statement ${verdict.index + 1} as SurrealDB counts them; ` +
            `this tool's splitter counted ${statements.length}, so it does not name the statement)`,
          cause: verdict.error,
        });
      }
    }
  }
}

/** Whether a history row of `version` exists, written by another process than this one. */
async function appliedByAnother(ctx: Pick<ExecutionContext, 'history' | 'lock'>, version: number): Promise<boolean> {
  return (await ctx.history.writerOf(version, ctx.lock.owner.token)) === 'another';
}

function warnCount(
  ctx: Pick<ExecutionContext, 'logger'>,
  script: MigrationFile,
  answered: number,
  statements: readonly SurqlStatement[],
): void {
  ctx.logger.warn(
    `Migration ${script.version} (${script.file}) committed with its history row, but SurrealDB answered ` +
      `${answered} statement(s) where this tool counted ${statements.length}. Please report the file: ` +
      `messages about it may name the wrong statement.`,
  );
}

/**
 * A request that ended before its history statement (a RETURN the refusal did not foresee): the
 * engine committed part of the script without its bookkeeping. Record it as failed, so start-up
 * refuses until an operator resolves it, and say so.
 */
async function recordEndedEarly(
  ctx: ExecutionContext,
  script: MigrationFile,
  direction: MigrationDirection,
  statements: readonly SurqlStatement[],
  ran: number,
): Promise<never> {
  const known = ran <= statements.length;
  const last = known ? statements[ran - 1] : undefined;
  const reason =
    'the request ended before its history statement: SurrealDB skipped the rest of the transaction after a ' +
    'RETURN and committed the statements before it';
  await recordFailed(ctx, script, direction, ran, statements.length, reason);
  throw scriptError(
    script,
    direction,
    { statement: last?.text, line: last?.line, column: last?.column, reason },
    `SurrealDB committed what ran: ${appliedSoFar(ran, statements.length)}. Remove the RETURN, fix the ` +
      `database by hand, then ${resolveAdvice(script.version)}.`,
  );
}
