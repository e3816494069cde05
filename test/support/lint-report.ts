import { lintMigrations, type LintOptions, type LintReport } from '../../src/core/analysis/lint.js';

/**
 * `lintMigrations`, without its `data-loss` warnings: for the specs of lint's other findings (their
 * folders' downs remove the tables their ups define). The warnings have a spec of their own.
 */
export async function lintOtherThanDataLoss(options: LintOptions): Promise<LintReport> {
  const report = await lintMigrations(options);
  return { ...report, problems: report.problems.filter((p) => p.kind !== 'data-loss') };
}
