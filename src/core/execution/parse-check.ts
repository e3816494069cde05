import type { SessionLike } from '../db/session.js';
import type { MigrationDirection } from '../support/errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { errorLocation } from '../db/surreal-errors.js';
import { surqlStatements, type SurqlStatement } from '../surql/surql-splitter.js';
import { requestError, scriptError } from './script-errors.js';

/**
 * The whole file, parsed by the server without running it: the request ends with a statement
 * that cannot parse, so nothing in it runs, and the error tells whether the file itself parsed.
 */
export async function parseOnServer(
  db: Pick<SessionLike, 'query'>,
  script: MigrationFile,
  direction: MigrationDirection,
  statements: readonly SurqlStatement[] = surqlStatements(script.text),
): Promise<void> {
  // The server cannot tell a sentinel after an unclosed `{` from one at the top level.
  const unclosed = statements.at(-1)?.unclosed;
  if (unclosed) {
    throw scriptError(
      script,
      direction,
      {
        statement: statements.at(-1)?.text,
        line: unclosed.line,
        column: unclosed.column,
        reason: 'this bracket is never closed',
      },
      `Close it. Nothing of this ${direction === 'up' ? 'migration' : 'rollback'} was applied.`,
    );
  }
  const lines = script.text.split('\n').length;
  const sentinel = ')__sbl_parse_check';
  try {
    await db.query(`${script.text}\n;\n${sentinel}`).responses();
  } catch (error) {
    const at = errorLocation(error);
    if (at && at.line === lines + 2 && at.column === 1) return;
    if (at) throw requestError(script, direction, error, 0);
    throw error;
  }
  // The sentinel ran: the file's text is not closed (an open comment or string swallowed it).
  throw scriptError(script, direction, { reason: 'the file ends inside an unclosed comment or string' });
}
