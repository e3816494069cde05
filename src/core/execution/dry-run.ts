import type { QueryResponse } from 'surrealdb';
import type { MigrationFile } from '../files/migration-files.js';
import { errorLocation, isNotExecuted, isUndecodableAnswer } from '../db/surreal-errors.js';
import { surqlStatements, type SurqlStatement } from '../surql/surql-splitter.js';
import type { ExecutionContext } from './execution-context.js';
import { refuseUnreadableNames } from './v3-keyword-refusal.js';
import { answersTransactions } from './transaction-convention.js';
import { forgetRolledBack } from './rolled-back.js';
import { refuse, requestError, scriptError, statementError } from './script-errors.js';

/**
 * Runs transactional migrations in order inside one transaction that is then cancelled, so each
 * sees the ones before it and nothing is kept. Throws `MigrationError` for the first failure,
 * located in its file.
 */
export async function dryRun(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options'>,
  migrations: readonly MigrationFile[],
): Promise<void> {
  if (migrations.length === 0) return;
  await refuseUnreadableNames(ctx.connection, migrations, 'up');
  // Each script starts on a line of its own; `firstLine` is where, in the request.
  const parts = ['BEGIN TRANSACTION;'];
  const spans: { migration: MigrationFile; statements: SurqlStatement[]; firstLine: number; firstIndex: number }[] = [];
  let line = 2;
  let index = 0;
  for (const migration of migrations) {
    const statements = surqlStatements(migration.text);
    refuse(migration, 'up', statements);
    spans.push({ migration, statements, firstLine: line, firstIndex: index });
    parts.push(`${migration.text}\n;`);
    line += migration.text.split('\n').length + 1;
    index += statements.length;
  }
  parts.push('CANCEL TRANSACTION;');
  let responses: QueryResponse[];
  try {
    responses = await ctx.db.query(parts.join('\n')).responses();
    await forgetRolledBack(
      ctx,
      migrations.map((m) => m.text),
    );
  } catch (error) {
    // Every statement succeeded: a failure would have answered as text (see isUndecodableAnswer).
    if (isUndecodableAnswer(error))
      return forgetRolledBack(
        ctx,
        migrations.map((m) => m.text),
      );
    const at = errorLocation(error);
    const span = [...spans].reverse().find((s) => at && at.line >= s.firstLine) ?? spans[0]!;
    throw requestError(span.migration, 'up', error, span.firstLine - 1);
  }
  // A failed transaction: the failing statement carries the real error, CANCEL gets no answer.
  const head = (await answersTransactions(ctx)) ? 1 : 0;
  const failed = responses.findIndex((r) => !r.success && !isNotExecuted(r.error));
  if (failed < 0) return;
  const error = (responses[failed] as Extract<QueryResponse, { success: false }>).error;
  const at = failed - head;
  const span = [...spans].reverse().find((s) => at >= s.firstIndex) ?? spans[0]!;
  if (responses.length - head === index) {
    throw statementError(span.migration, 'up', error, span.statements[at - span.firstIndex]);
  }
  throw scriptError(span.migration, 'up', {
    reason:
      `${error.message} (statement ${at + 1} of the dry run as SurrealDB counts them; this tool's splitter ` +
      `counted ${index}, so the migration named may be wrong)`,
    cause: error,
  });
}
