/**
 * A repeatable definition in one transaction: its script and its record (`<table>_repeatable`,
 * fenced on the checksum) sent as one request, laid out as a migration's (`request-layout.ts`) and
 * read by the same verdict (`verdict.ts`).
 */
import type { QueryResponse } from 'surrealdb';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { REPEATABLE_FENCE } from '../history/history-store.js';
import { errorLocation, serverMessage } from '../db/surreal-errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { RepeatableError, type RepeatableLocation } from '../support/repeatable-errors.js';
import type { ExecutionContext } from './execution-context.js';
import { transactionalRequest } from './request-layout.js';
import { readVerdict } from './verdict.js';
import { answersTransactions } from './transaction-convention.js';
import { forgetRolledBack } from './rolled-back.js';
import { unlessStalled } from './stall-guard.js';
import { messageOf } from './script-errors.js';

/** Lines of the request before the script (`BEGIN …; LET …;`). */
const HEAD_LINES = 1;

/**
 * Applies one repeatable definition and writes its record, atomically, with `version` (the folder's
 * newest). Returns true when another process had applied the same text first (the fence): nothing
 * was kept, nothing is needed.
 */
export async function runRepeatable(ctx: ExecutionContext, file: RepeatableFile, version: number): Promise<boolean> {
  try {
    return await sendRepeatable(ctx, file, version);
  } catch (error) {
    // Rolled back (or its fate unknown): nothing for SurrealDB 2 to half-remember.
    await forgetRolledBack(ctx, [file.text]);
    throw error;
  }
}

async function sendRepeatable(ctx: ExecutionContext, file: RepeatableFile, version: number): Promise<boolean> {
  const record = ctx.history.repeatableStatement({
    name: file.name,
    checksum: file.checksum,
    appliedBy: ctx.lock.owner.token,
    version,
  });
  const sql = transactionalRequest(file.text, record.sql);
  const answersTransaction = await answersTransactions(ctx);
  const fail = (details: Omit<RepeatableLocation, 'name' | 'file'>, cause?: unknown) =>
    new RepeatableError({ name: file.name, file: file.file, ...details }, { cause });
  let responses: QueryResponse[];
  try {
    responses = await unlessStalled(ctx, ctx.db.query(sql, record.vars).responses());
  } catch (error) {
    const at = errorLocation(error);
    if (at && at.line > HEAD_LINES) {
      const line = Math.min(at.line - HEAD_LINES, file.text.split('\n').length);
      throw fail({ line, column: at.column, reason: serverMessage(messageOf(error)).split('\n')[0]! }, error);
    }
    // No readable answer: whether it committed is unknown; its record says, and the next run
    // applies it again if it did not (a repeatable runs twice to the same effect).
    throw fail(
      { reason: `the request got no readable answer (${messageOf(error)}); the next run applies it again if needed` },
      error,
    );
  }
  const isRecord = (response: QueryResponse) =>
    response.success &&
    (Array.isArray(response.result) ? response.result : [response.result]).some(
      (row) => (row as { checksum?: unknown } | null)?.checksum === file.checksum,
    );
  const verdict = readVerdict(responses, answersTransaction, isRecord);
  switch (verdict.outcome) {
    case 'committed':
      return false;
    case 'failed-at-history':
      if (verdict.error.message.includes(REPEATABLE_FENCE)) return true;
      throw fail({ reason: `its record in ${ctx.options.repeatableTable} was refused: ${verdict.error.message}` });
    case 'failed-in-script': {
      const statements = surqlStatements(file.text);
      const statement = verdict.scriptAnswers === statements.length ? statements[verdict.index] : undefined;
      throw fail(
        {
          line: statement?.line,
          column: statement?.column,
          statement: statement?.text,
          reason: verdict.error.message,
        },
        verdict.error,
      );
    }
    case 'ended-early':
      throw fail({
        reason:
          'the request ended before its record (a RETURN): SurrealDB committed the statements before it; ' +
          'the next run applies the file again',
      });
  }
}
