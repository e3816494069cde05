/**
 * What lint reports: its problems, and those it finds before anything runs (statements that
 * cannot share a transaction, names SurrealDB 3 cannot read back).
 */
import type { MigrationError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { serverMessage } from '../db/surreal-errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { findTransactionSplits } from './transaction-splits.js';
import { UNREADABLE_NAME_HINT, unreadableNameReason, unreadableNames } from '../surql/v3-keyword-names.js';
import { upgradeHint } from '../surql/v3-upgrade.js';
import { dataLossStatements, type DataLossStatement } from '../surql/data-loss.js';

/**
 * - `one-transaction`: statements that fail (or go wrong) in one transaction once a table has rows;
 * - `engine-limit`: what the engine judging the folder cannot do (a field SurrealDB 3 cannot read back);
 * - `data-dependent` (a warning): an up that fails over a few made-up rows;
 * - `data-loss` (a warning): a statement that deletes data wholesale, which a run refuses over rows
 *   unless the file says `-- migrate:allow-data-loss` (see `DataLossError`).
 */
export type LintProblemKind =
  | 'syntax'
  | 'execution'
  | 'irreversible'
  | 'missing-down'
  | 'down-failed'
  | 'not-checked'
  | 'one-transaction'
  | 'engine-limit'
  | 'data-dependent'
  | 'data-loss'
  | 'not-idempotent';

/** One problem lint found. */
export interface LintProblem {
  kind: LintProblemKind;
  severity: 'error' | 'warning';
  /** The file the problem is in (for a missing down script, its up script). */
  file: string;
  /** The migration's version; 0 for a repeatable definition (`repeatable/<name>.surql`). */
  version: number;
  line: number | undefined;
  column: number | undefined;
  message: string;
  hint: string | undefined;
}

export interface LintReport {
  /** No problem of severity `error`. */
  ok: boolean;
  problems: LintProblem[];
  /** Up files checked, and those with a down script proven reversible. */
  checked: number;
  reversible: number;
}

/** What lint sees before anything runs: statements that cannot share a transaction, and engine limits. */
export function staticProblems(
  up: readonly MigrationFile[],
  down: readonly MigrationFile[],
  major: number,
): LintProblem[] {
  const problems: LintProblem[] = findTransactionSplits(up, down).map((split) => ({
    kind: 'one-transaction',
    severity: 'error',
    file: split.file.file,
    version: split.file.version,
    line: split.line,
    column: split.column,
    message: split.message,
    hint: split.hint,
  }));
  problems.push(...dataLossProblems([...up, ...down]));
  if (major < 3) return problems;
  for (const file of [...up, ...down]) {
    for (const name of unreadableNames(surqlStatements(file.text))) {
      problems.push({
        kind: 'engine-limit',
        severity: 'error',
        file: file.file,
        version: file.version,
        line: name.line,
        column: name.column,
        message: unreadableNameReason(name),
        hint: UNREADABLE_NAME_HINT,
      });
    }
  }
  return problems;
}

export function problemOf(
  kind: LintProblemKind,
  file: MigrationFile,
  error: MigrationError,
  hints: boolean,
): LintProblem {
  return {
    kind,
    severity: 'error',
    file: file.file,
    version: file.version,
    line: error.line,
    column: error.column,
    message: serverMessage(error.reason),
    hint: hints ? upgradeHint(error.reason, error.statement ?? '') : undefined,
  };
}

const REMOVES: Record<DataLossStatement['kind'], string> = {
  'remove-table': 'removes table',
  'delete-table': 'deletes every row of table',
  'remove-database': 'removes database',
  'remove-namespace': 'removes namespace',
};

/** The statements that delete data wholesale, in the files that do not allow it. */
function dataLossProblems(files: readonly MigrationFile[]): LintProblem[] {
  return files
    .filter((file) => !file.allowDataLoss)
    .flatMap((file) =>
      dataLossStatements(file.text).map((loss) => ({
        kind: 'data-loss' as const,
        severity: 'warning' as const,
        file: file.file,
        version: file.version,
        line: loss.line,
        column: loss.column,
        message: `${REMOVES[loss.kind]} ${loss.name}: a run refuses it where it holds rows`,
        hint: 'Move the rows first, or, if the loss is intended, add `-- migrate:allow-data-loss` at the top of the file.',
      })),
    );
}
