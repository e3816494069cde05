/**
 * The errors a script's run raises, located in its file: a request the server refused whole (a
 * parse error, or a transport failure), a failing statement, a statement the policy refuses before
 * anything runs; and the parse check that runs a script's text past the server without running it.
 */
import { MigrationError, type MigrationDirection, type MigrationFailureContext } from './errors.js';
import type { MigrationFile } from './migration-files.js';
import { findRefusal } from './script-policy.js';
import { surqlStatements, type SurqlStatement } from './surql-splitter.js';
import { errorLocation } from './surreal-errors.js';
import type { SessionLike } from './targets.js';

/**
 * An error that rejected the whole request: a parse error (located in the file: the request's
 * line minus `prefixLines`, or relative to `statement` for a single statement), or a transport
 * failure.
 */
export function requestError(
  script: MigrationFile,
  direction: MigrationDirection,
  error: unknown,
  prefixLines: number,
  statement?: SurqlStatement,
  hint?: string,
): MigrationError {
  const message = error instanceof Error ? error.message : String(error);
  const at = errorLocation(error);
  let line: number | undefined;
  let column: number | undefined;
  if (at) {
    const { line: l, column: c } = at;
    if (statement) {
      line = statement.line + l - 1;
      column = l === 1 ? statement.column + c - 1 : c;
    } else if (l - prefixLines >= 1) {
      // An error found at the end of the script (a statement left unfinished) is reported on the
      // request's own line after it: clamp it to the file's last line.
      const lastLine = script.text.split('\n').length;
      line = Math.min(l - prefixLines, lastLine);
      column = l - prefixLines > lastLine ? undefined : c;
    }
  }
  const statementAt = statement ?? (line === undefined ? undefined : statementAtLine(script.text, line));
  return scriptError(
    script,
    direction,
    {
      statement: statementAt?.text,
      line,
      column,
      reason: message.split('\n')[0] ?? message,
      cause: error,
    },
    hint,
  );
}

/** A MigrationError about `script`; the version, name and file come from it. */
export function scriptError(
  script: MigrationFile,
  direction: MigrationDirection,
  details: Omit<MigrationFailureContext, 'version' | 'name' | 'file' | 'direction'>,
  hint?: string,
): MigrationError {
  return new MigrationError(
    { version: script.version, name: script.name, file: script.file, direction, ...details },
    hint,
  );
}

/** A failing statement's error, located at the statement's start in the file. */
export function statementError(
  script: MigrationFile,
  direction: MigrationDirection,
  error: Error,
  statement: SurqlStatement | undefined,
): MigrationError {
  return scriptError(script, direction, {
    statement: statement?.text,
    line: statement?.line,
    column: statement?.column,
    reason: error.message,
    cause: error,
  });
}

function statementAtLine(text: string, line: number): SurqlStatement | undefined {
  let found: SurqlStatement | undefined;
  for (const statement of surqlStatements(text)) {
    if (statement.line > line) break;
    found = statement;
  }
  return found;
}

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

/** Refuses, before anything runs, a script that holds a statement the runner cannot run safely. */
export function refuse(
  script: MigrationFile,
  direction: MigrationDirection,
  statements: readonly SurqlStatement[],
): void {
  const refusal = findRefusal(statements, script.noTransaction);
  if (!refusal) return;
  throw scriptError(
    script,
    direction,
    { statement: refusal.statement, line: refusal.line, column: refusal.column, reason: refusal.reason },
    `${refusal.hint} Nothing of this ${direction === 'up' ? 'migration' : 'rollback'} was applied.`,
  );
}
