import { MigrationArgumentError, MigrationOptionsError } from '../core/support/errors.js';
import { DatabaseUnreachableError } from '../core/support/database-errors.js';
import { CliUsageError } from './cli-errors.js';

/** Exit codes of `surreal-migrate`. */
export const EXIT = {
  ok: 0,
  /** A migration, a validation or another operation failed. */
  failed: 1,
  /** Unknown command or option, missing or malformed argument, invalid option value. */
  usage: 2,
  /** The database could not be reached within the connect budget. */
  unreachable: 3,
  /** `status --check` found pending, failed, changed or missing migrations; `drift` found drift. */
  check: 4,
  /** Stopped by SIGINT after the current migration (128 + 2). */
  interrupted: 130,
  /** Stopped by SIGTERM after the current migration (128 + 15). */
  terminated: 143,
} as const;

/**
 * The exit codes of one target's run, from the least to the most severe: a run over many targets
 * exits with the worst of its targets' codes. Something to do (4) is less than a failure (1), a
 * failure less than a database out of reach (3), and a command line that cannot run (2) the worst.
 * (A signal's 130/143 wins over all of them: the run was stopped.)
 */
export const EXIT_SEVERITY: readonly number[] = [EXIT.ok, EXIT.check, EXIT.failed, EXIT.unreachable, EXIT.usage];

/** The worst of `codes` by {@link EXIT_SEVERITY} (a code not listed counts as a failure); 0 for none. */
export function worstExitCode(codes: Iterable<number>): number {
  const rank = (code: number) => {
    const index = EXIT_SEVERITY.indexOf(code);
    return index === -1 ? EXIT_SEVERITY.indexOf(EXIT.failed) : index;
  };
  let worst: number = EXIT.ok;
  for (const code of codes) if (rank(code) > rank(worst)) worst = code;
  return worst;
}

/** The exit code for an error thrown while running a command. */
export function exitCodeFor(error: unknown): number {
  if (
    error instanceof CliUsageError ||
    error instanceof MigrationOptionsError ||
    error instanceof MigrationArgumentError
  ) {
    return EXIT.usage;
  }
  if (error instanceof DatabaseUnreachableError) return EXIT.unreachable;
  return EXIT.failed;
}
