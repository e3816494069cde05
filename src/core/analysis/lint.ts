/**
 * `lint`: every problem of a migrations folder in one pass, on a shadow database (never the
 * user's). Syntax of every up and down file, each on its own; execution of the ups in order, going
 * on past a failure; the down scripts proven by applying up then down and comparing the schema with
 * the one before; a hint for each problem a known SurrealDB 2 → 3 change explains.
 */
import type { MigrationError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { ShadowOptions, SurrealDbMajor } from '../options/options.js';
import {
  compareSchemas,
  describeObject,
  shadowSource,
  type DatabaseSchema,
  type ShadowSource,
} from '../shadow/shadow.js';
import { ShadowDatabase } from '../shadow/shadow-database.js';
import { RowSampler } from './lint-samples.js';
import { serverMessage } from '../db/surreal-errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { findTransactionSplits } from './transaction-splits.js';
import { UNREADABLE_NAME_HINT, unreadableNameReason, unreadableNames } from '../surql/v3-keyword-names.js';
import { upgradeHint } from '../surql/v3-upgrade.js';
import { progressReporter, type MigrationProgress, type MigrationProgressListener } from '../events/progress.js';

/**
 * - `one-transaction`: statements that fail (or go wrong) in one transaction once a table has rows;
 * - `engine-limit`: what the engine judging the folder cannot do (a field SurrealDB 3 cannot read back);
 * - `data-dependent` (a warning): an up that fails over a few made-up rows.
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
  | 'data-dependent';

/** One problem lint found. */
export interface LintProblem {
  kind: LintProblemKind;
  severity: 'error' | 'warning';
  /** The file the problem is in (for a missing down script, its up script). */
  file: string;
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

export interface LintOptions {
  /** The migrations folder. */
  directory: string;
  /**
   * The SurrealDB major version whose embedded engine judges the folder. Lint for the version your
   * servers run; lint for 3 a folder written for 2 to see what an upgrade needs (with hints).
   * @default DEFAULT_SURREALDB (3)
   */
  surrealdb?: SurrealDbMajor;
  /** Judge the folder on a scratch database of this server instead (its version decides). */
  shadow?: ShadowOptions;
  /** Told as each up file is checked, and once all are (see {@link MigrationProgressListener}). */
  onProgress?: MigrationProgressListener;
}

/**
 * Lints a migrations folder on a private in-memory database. Needs only the folder (and the
 * embedded engine of the version it judges by: `@surrealdb/node` for 3, `@surrealdb/wasm` 2.x for 2),
 * or the `shadow` server.
 *
 * @example
 * ```ts
 * const report = await lintMigrations({ directory: 'migrations' });
 * for (const p of report.problems) console.log(`${p.file}:${p.line ?? ''} ${p.kind}: ${p.message}`);
 * ```
 */
export async function lintMigrations(options: LintOptions): Promise<LintReport> {
  const source = shadowSource(options, 'lint');
  const shadow = await ShadowDatabase.open(options.directory, source);
  try {
    return await lintShadow(shadow, options.directory, source, progressReporter(options.onProgress));
  } finally {
    await shadow.close();
  }
}

async function lintShadow(
  first: ShadowDatabase,
  directory: string,
  source: ShadowSource,
  progress: (progress: MigrationProgress) => void,
): Promise<LintReport> {
  let shadow = first;
  // On the shadow's own engine: a session of it, opened again with each new shadow.
  let sampler = await RowSampler.open(shadow.db, shadow.major, !source.server);
  // Upgrade hints explain SurrealDB 3's refusals of SurrealDB 2's syntax: only when judging for 3.
  const fromError = (kind: LintProblemKind, file: MigrationFile, error: MigrationError) =>
    problemOf(kind, file, error, first.major >= 3);
  const problems: LintProblem[] = [];
  const downs = new Map(shadow.down.map((d) => [d.version, d]));

  // Syntax: every file on its own, so that every parse error of the folder is listed.
  const unparsable = new Set<string>();
  for (const [file, direction] of [
    ...shadow.up.map((f) => [f, 'up'] as const),
    ...shadow.down.map((f) => [f, 'down'] as const),
  ]) {
    const error = await shadow.parse(file, direction);
    if (!error) continue;
    unparsable.add(file.file);
    problems.push(fromError('syntax', file, error));
  }
  const foreseen = staticProblems(shadow.up, shadow.down, first.major);
  problems.push(...foreseen);
  /** A refusal the static pass already listed (the runner refuses the same names). */
  const listed = (file: MigrationFile, error: MigrationError) =>
    foreseen.some((p) => p.file === file.file && p.line === error.line && p.message === error.reason);

  // Execution and reversibility, in version order, carrying on past failures.
  let failedBefore: MigrationFile | undefined;
  const applied: number[] = [];
  let checked = 0;
  let reversible = 0;
  let before: DatabaseSchema = await shadow.schema();
  const note = (problem: LintProblem) => {
    if (failedBefore) problem.message += ` (${failedBefore.file} failed before it, so this may follow from that)`;
    return problem;
  };
  /** After a pair that did not undo itself, the shadow is not what a replay gives: replay it. */
  const rebuild = async () => {
    await sampler?.close();
    await shadow.close();
    shadow = await ShadowDatabase.open(directory, source);
    sampler = await RowSampler.open(shadow.db, shadow.major, !source.server);
    for (const version of applied) await shadow.applyUp(version);
    before = await shadow.schema();
  };
  let started = 0;
  try {
    for (const up of shadow.up) {
      progress({ done: started++, total: first.up.length, current: up.file });
      const down = downs.get(up.version);
      if (unparsable.has(up.file)) {
        failedBefore ??= up;
        continue;
      }
      const error = await shadow.applyUp(up.version);
      checked++;
      if (error) {
        if (!listed(up, error)) problems.push(note(fromError('execution', up, error)));
        failedBefore ??= up;
        // A no-transaction file keeps what ran before its failure.
        if (up.noTransaction) before = await shadow.schema();
        continue;
      }
      applied.push(up.version);
      const sampled = await sampler?.check(up, before);
      // What the static pass explains already is not said again as a guess.
      if (sampled && !foreseen.some((p) => p.file === up.file && p.line === sampled.line)) {
        problems.push({
          kind: 'data-dependent',
          severity: 'warning',
          file: up.file,
          version: up.version,
          line: sampled.line,
          column: sampled.column,
          message:
            `${up.file} fails over a few made-up rows in ${sampled.tables.map((t) => `\`${t}\``).join(', ')} ` +
            `(an empty table passes it): ${sampled.message}`,
          hint: 'The rows are made up: check whether the real data meets it.',
        });
      }
      if (!down) {
        problems.push({
          kind: 'missing-down',
          severity: 'warning',
          file: up.file,
          version: up.version,
          line: undefined,
          column: undefined,
          message: `no down script: ${up.file} cannot be rolled back`,
          hint: undefined,
        });
        before = await shadow.schema();
        continue;
      }
      if (unparsable.has(down.file)) {
        before = await shadow.schema();
        continue;
      }
      const downError = await shadow.applyDown(up.version);
      if (downError) {
        if (!listed(down, downError)) problems.push(fromError('down-failed', down, downError));
        if (down.noTransaction) await rebuild();
        else before = await shadow.schema();
        continue;
      }
      const changes = compareSchemas(before, await shadow.schema());
      for (const change of changes) {
        const what = describeObject(change);
        problems.push(
          note({
            kind: 'irreversible',
            severity: 'error',
            file: down.file,
            version: up.version,
            line: undefined,
            column: undefined,
            message:
              change.change === 'added'
                ? `${what} is left behind by ${down.file} (${change.after})`
                : change.change === 'removed'
                  ? `${what} is lost: ${down.file} removes it, but ${up.file} did not define it (${change.before})`
                  : `${what} is changed by the pair: before ${change.before}, after ${change.after}`,
            hint: undefined,
          }),
        );
      }
      // Up again, so that the next migration meets the schema it was written for.
      const again = await shadow.applyUp(up.version);
      if (again) {
        problems.push({
          ...fromError('irreversible', up, again),
          message: `${up.file} fails when applied again after ${down.file}: ${serverMessage(again.reason)}`,
        });
      }
      if (changes.length === 0 && !again) {
        reversible++;
        before = await shadow.schema();
      } else {
        await rebuild();
      }
    }
    progress({ done: started, total: first.up.length });
  } finally {
    await sampler?.close();
    if (shadow !== first) await shadow.close();
  }
  return { ok: !problems.some((p) => p.severity === 'error'), problems, checked, reversible };
}

/** What lint sees before anything runs: statements that cannot share a transaction, and engine limits. */
function staticProblems(up: readonly MigrationFile[], down: readonly MigrationFile[], major: number): LintProblem[] {
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

function problemOf(kind: LintProblemKind, file: MigrationFile, error: MigrationError, hints: boolean): LintProblem {
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
