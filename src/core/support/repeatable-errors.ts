/**
 * Errors of the repeatable definitions (`repeatable/<name>.surql`): one that failed, statements a
 * repeatable file may not hold, and a file gone while its definitions stay in the database.
 */
import { MigrationsError } from './errors.js';
import { maskStatementSecrets } from './secrets.js';

/** Where a repeatable definition failed, or holds a refused statement. */
export interface RepeatableLocation {
  /** The file's name without `.surql`. */
  name: string;
  /** The file, relative to the working directory. */
  file: string;
  /** 1-based line in `file`, when known. */
  line?: number;
  /** 1-based column in `file`, when known. */
  column?: number;
  /** The statement at fault, when known. */
  statement?: string;
  /** SurrealDB's own message, or why the statement is refused. */
  reason: string;
}

function at(location: RepeatableLocation): string {
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}${location.column === undefined ? '' : `:${location.column}`}`;
}

function quoted(statement: string | undefined): string {
  if (!statement) return '';
  const line = maskStatementSecrets(statement).replace(/\s+/g, ' ');
  return `\n  statement: ${line.length > 120 ? `${line.slice(0, 117)}...` : line}`;
}

/**
 * A repeatable definition failed. Its transaction kept nothing, and its record still holds the text
 * applied before (or none): the next run applies it again once the file is fixed. The versions and
 * the repeatables before it, in name order, stay applied.
 */
export class RepeatableError extends MigrationsError {
  readonly code = 'REPEATABLE_FAILED';

  constructor(
    readonly location: RepeatableLocation,
    options?: { cause?: unknown },
  ) {
    super(
      `Repeatable definition ${location.name} failed at ${at(location)}: ${location.reason}${quoted(location.statement)}` +
        `\n  Nothing of this file was applied; the database keeps its previous definitions. Fix the file and run again.`,
      options,
    );
  }
}

/**
 * A repeatable file holds a statement that cannot run twice to the same effect: a `CREATE`,
 * `INSERT` or `RELATE` of data, a `DEFINE` without `OVERWRITE` or `IF NOT EXISTS`, a `REMOVE`
 * without `IF EXISTS`. Refused before anything of the run was applied, pending versions included.
 */
export class NonIdempotentRepeatableError extends MigrationsError {
  readonly code = 'REPEATABLE_NOT_IDEMPOTENT';

  constructor(readonly refused: readonly (RepeatableLocation & { fix: string })[]) {
    super(
      `${refused.length} statement(s) in repeatable definitions would not run twice to the same effect; ` +
        `nothing was applied:\n` +
        refused.map((r) => `  - ${at(r)}: ${r.reason}${quoted(r.statement)}\n    ${r.fix}`).join('\n'),
    );
  }
}

/**
 * Repeatable definitions applied before whose files are gone (`onDeletedRepeatable: 'fail'`): their
 * definitions stay in the database. Nothing was applied.
 */
export class DeletedRepeatableError extends MigrationsError {
  readonly code = 'REPEATABLE_DELETED';

  constructor(readonly names: readonly string[]) {
    super(deletedRepeatableMessage(names));
  }
}

/** What a deleted repeatable's warning and error say, and what to do. */
export function deletedRepeatableMessage(names: readonly string[]): string {
  return (
    `${names.length} repeatable definition(s) were applied but their files are gone: ` +
    `${names.map((n) => `repeatable/${n}.surql`).join(', ')}. What they defined stays in the database. ` +
    'Remove it in a new migration if it should go, then forget the records with manager.repair() ' +
    '(CLI: surreal-migrate repair); or restore the files.'
  );
}
