/**
 * The errors of a migration's script: located in its file (line, column, statement) from what
 * SurrealDB reported, with the hint that says what was applied and what to do.
 */
import { type MigrationDirection } from '../support/errors.js';
import { MigrationError, type MigrationFailureContext } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { errorLocation } from '../db/surreal-errors.js';
import { findRefusal } from '../surql/script-policy.js';
import { surqlStatements, type SurqlStatement } from '../surql/surql-splitter.js';

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

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How an operator settles a failed or interrupted no-transaction migration, library and CLI. */
export function resolveAdvice(version: number): string {
  return (
    `call manager.resolve(${version}, 'applied' | 'rolled-back'), or manager.resolve(${version}, 'resume', ` +
    `{ after: n }) to run the rest after statement n (CLI: surreal-migrate resolve ${version} ` +
    `--applied | --rolled-back | --resume-after <n>)`
  );
}

export function appliedSoFar(applied: number, total: number): string {
  if (applied === 0) return `no statement of ${total} was applied`;
  if (applied === 1) return `statement 1 of ${total} was applied and remains`;
  return `statements 1-${applied} of ${total} were applied and remain`;
}
