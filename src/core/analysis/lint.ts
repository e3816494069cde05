/**
 * `lint`: every problem of a migrations folder in one pass, on a shadow database (never the
 * user's). Syntax of every up and down file, each on its own; execution of the ups in order, going
 * on past a failure; the down scripts proven by applying up then down and comparing the schema with
 * the one before; a hint for each problem a known SurrealDB 2 → 3 change explains.
 */
import type { ShadowOptions, SurrealDbMajor } from '../options/options.js';
import { shadowSource } from '../shadow/shadow.js';
import { ShadowDatabase } from '../shadow/shadow-database.js';
import { LintPass } from './lint-pass.js';
import type { LintReport } from './lint-problems.js';
import { progressReporter, type MigrationProgressListener } from '../events/progress.js';

export type { LintProblem, LintProblemKind, LintReport } from './lint-problems.js';

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
    return await LintPass.run(shadow, options.directory, source, progressReporter(options.onProgress));
  } finally {
    await shadow.close();
  }
}
