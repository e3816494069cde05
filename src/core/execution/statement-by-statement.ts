/**
 * A `-- migrate:no-transaction` file: each statement its own request, with the in-progress record
 * saying how far it got.
 */
import { type MigrationDirection } from '../support/errors.js';
import { MigrationLockError, type MigrationError } from '../support/run-errors.js';
import { type FailedRecord } from '../history/history-records.js';
import { LEASE_LOST } from '../history/failed-records.js';
import type { MigrationFile } from '../files/migration-files.js';
import { errorLocation, firstFailure, isConflictOrExists, isUndecodableAnswer } from '../db/surreal-errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import type { ExecutionContext } from './execution-context.js';
import { parseOnServer } from './parse-check.js';
import { ensureLeaseHeld } from './lease-check.js';
import { unlessStalled } from './stall-guard.js';
import { forgetRolledBack } from './rolled-back.js';
import { historyStatement, holderLabel, recordFailed } from './bookkeeping.js';
import { appliedSoFar, messageOf, refuse, requestError, resolveAdvice, scriptError } from './script-errors.js';

/**
 * A `-- migrate:no-transaction` file: each statement is its own request. Before the first and
 * before each next one, the in-progress record says how far it got, written only while this
 * process holds the lease; so a run that dies at any point leaves it behind, and the next run
 * never starts the file again on its own. `record` is the version's failed or in-progress record
 * as read under the lock: where a resumed run starts. Returns true when another replica had
 * already applied the version (up only).
 */
export async function runStatementByStatement(
  ctx: ExecutionContext,
  script: MigrationFile,
  direction: MigrationDirection,
  record: FailedRecord | undefined,
): Promise<boolean> {
  const { db, history, lock } = ctx;
  const statements = surqlStatements(script.text);
  refuse(script, direction, statements);
  await parseOnServer(ctx.db, script, direction, statements);
  const resumeAfter = resumePoint(script, direction, record);
  const started = new Date();
  const progress = (completed: number) =>
    history.recordProgress({
      version: script.version,
      name: script.name,
      file: script.file,
      checksum: script.checksum,
      direction,
      statementCount: statements.length,
      completed,
      token: lock.owner.token,
      holder: holderLabel(lock.owner),
    });
  for (let index = resumeAfter; index < statements.length; index++) {
    const statement = statements[index]!;
    ensureLeaseHeld(lock, script);
    try {
      await progress(index);
    } catch (error) {
      throw progressError(script, direction, error, index);
    }
    let failure: Error | undefined;
    let located: MigrationError | undefined;
    let unknown = false;
    try {
      const responses = await unlessStalled(ctx, db.query(statement.text).responses());
      if (responses.length !== 1) {
        failure = new Error(
          `SurrealDB answered ${responses.length} statements for what this tool counted as one; it stopped ` +
            'rather than guess what ran',
        );
        unknown = true;
      } else if (!responses[0]!.success) failure = responses[0]!.error;
    } catch (error) {
      // It ran: a failed statement answers with its error as text, which always decodes.
      if (isUndecodableAnswer(error)) {
        ctx.logger.warn(
          `${script.file}: statement ${index + 1} ran, but its answer could not be read (${messageOf(error)}); ` +
            'recorded as applied.',
        );
        continue;
      }
      located = requestError(script, direction, error, 0, statement);
      failure = error as Error;
      // A parse error rejects the request before it runs; anything else came after it ran, or not.
      unknown = !errorLocation(error);
    }
    if (!failure) continue;
    await forgetRolledBack(ctx, [statement.text]);
    const reason = located?.reason ?? failure.message;
    const completed = index;
    await recordFailed(ctx, script, direction, completed, statements.length, reason);
    throw scriptError(
      script,
      direction,
      {
        statement: statement.text,
        line: located?.line ?? statement.line,
        column: located?.column ?? statement.column,
        reason,
        cause: failure,
      },
      `This file runs outside a transaction: ${appliedSoFar(completed, statements.length)}` +
        (unknown ? `, and statement ${index + 1} may or may not have run` : '') +
        `. Fix the database by hand, then ${resolveAdvice(script.version)}.`,
    );
  }
  const bookkeeping = historyStatement(ctx, script, direction);
  let failure: Error | undefined;
  try {
    const responses = await history.completeProgress(script.version, bookkeeping, started);
    failure = firstFailure(responses);
  } catch (error) {
    failure = error as Error;
  }
  if (!failure) return false;
  if (direction === 'up' && isConflictOrExists(failure)) {
    const by = await history.writerOf(script.version, lock.owner.token).catch(() => undefined);
    // Written by this run (an attempt that timed out, then committed), or by another replica.
    if (by === 'mine') return false;
    if (by !== undefined && by !== null) return true;
  }
  // Every statement ran, but the history does not say so: the operator must settle it.
  const reason = `every statement ran, but the history could not be updated: ${failure.message}`;
  await recordFailed(ctx, script, direction, statements.length, statements.length, reason);
  throw scriptError(
    script,
    direction,
    { reason, cause: failure },
    `Check the database, then ${resolveAdvice(script.version)}.`,
  );
}

/** Where a resumed no-transaction file starts: after the statement an operator confirmed. */
function resumePoint(script: MigrationFile, direction: MigrationDirection, record: FailedRecord | undefined): number {
  if (record?.resumeAfter === undefined || (record.direction ?? 'up') !== direction) return 0;
  if (record.checksum !== undefined && record.checksum !== script.checksum) {
    throw scriptError(
      script,
      direction,
      { reason: `the file changed since statement ${record.resumeAfter} of it ran` },
      `Restore the text that ran, or settle it with ${resolveAdvice(script.version)}.`,
    );
  }
  return record.resumeAfter;
}

function progressError(script: MigrationFile, direction: MigrationDirection, error: unknown, index: number): Error {
  if (messageOf(error).includes(LEASE_LOST)) {
    return new MigrationLockError(undefined, 0, {
      lost: true,
      detail: `before statement ${index + 1} of migration ${script.version} (${script.file})`,
    });
  }
  return scriptError(
    script,
    direction,
    { reason: `could not record its progress before statement ${index + 1}: ${messageOf(error)}`, cause: error },
    index === 0
      ? `Nothing of this ${direction === 'up' ? 'migration' : 'rollback'} was applied.`
      : `${appliedSoFar(index, surqlStatements(script.text).length)}; the in-progress record says so. ` +
          `Check the database, then ${resolveAdvice(script.version)}.`,
  );
}
