/**
 * The runner's side of SurrealDB 3's unreadable names (see `v3-keyword-names.ts`): a run that would
 * define one is refused before its first migration starts, and the raw conversion error met on a
 * database that already holds one is said in a sentence.
 */
import type { Surreal } from 'surrealdb';
import { serverMajor } from '../db/connection.js';
import { type MigrationDirection } from '../support/errors.js';
import { MigrationError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import {
  UNREADABLE_NAME_HINT,
  explainUnreadableName,
  isUnreadableNameError,
  statementTable,
  unreadableNameReason,
  unreadableNames,
} from '../surql/v3-keyword-names.js';

/** Cheap test first: every such name is escaped, or a view's alias. */
const MAY_HOLD = /`|⟨|\bAS\b/i;

/**
 * On SurrealDB 3, refuses `scripts` (the run's migrations, in order) when one defines a name the
 * engine cannot read back. Nothing of the run has been applied then.
 */
export async function refuseUnreadableNames(
  connection: Surreal,
  scripts: readonly MigrationFile[],
  direction: MigrationDirection,
): Promise<void> {
  if (!scripts.some((s) => MAY_HOLD.test(s.text))) return;
  if ((await serverMajor(connection)) < 3) return;
  for (const script of scripts) {
    const [name] = MAY_HOLD.test(script.text) ? unreadableNames(surqlStatements(script.text)) : [];
    if (!name) continue;
    throw new MigrationError(
      {
        version: script.version,
        name: script.name,
        file: script.file,
        direction,
        statement: name.statement,
        line: name.line,
        column: name.column,
        reason: unreadableNameReason(name),
      },
      `${UNREADABLE_NAME_HINT} Nothing of this run was applied: it stopped before its first ` +
        `${direction === 'up' ? 'migration' : 'rollback'}.`,
    );
  }
}

/**
 * A migration's failure with SurrealDB 3's raw conversion error, said in one sentence: the table
 * of the statement that met it, the field (when `folder` defines one on that table) and the limit.
 * Rewrites the error's reason and message in place; any other error is left as it is.
 */
export function translateUnreadable(error: unknown, folder: readonly MigrationFile[]): void {
  if (!(error instanceof MigrationError) || !isUnreadableNameError(error.reason)) return;
  const table = statementTable(error.statement);
  const known = folder.flatMap((f) => (MAY_HOLD.test(f.text) ? unreadableNames(surqlStatements(f.text)) : []));
  const sentence = explainUnreadableName(table, known);
  error.message = error.message.replace(error.reason, sentence);
  (error as { reason: string }).reason = sentence;
}
