import { lintMigrations, type LintProblem } from '../core/analysis/lint.js';
import { CliUsageError } from './cli-errors.js';
import { writeUpgradedCopy } from './lint-fix.js';
import type { CliOutput } from './output.js';
import type { ShadowSource } from '../core/shadow/shadow.js';

/** `lint`, and with `--fix --out <folder>`, a rewritten copy of the folder. */
export async function lintCommand(
  directory: string,
  fix: { out: string } | undefined,
  source: ShadowSource,
  out: CliOutput,
): Promise<{ exitCode: number; document: Record<string, unknown> }> {
  if (fix && source.surrealdb === 2) {
    throw new CliUsageError(
      'lint --fix rewrites a folder for SurrealDB 3, and --surrealdb 2 judges it by SurrealDB 2: drop one of them.',
    );
  }
  const fixed = fix ? await writeUpgradedCopy(directory, fix.out, source, out) : undefined;
  const report = await lintMigrations({
    directory: fixed ? fix!.out : directory,
    surrealdb: source.surrealdb,
    shadow: source.server,
    onProgress: out.progress('lint'),
  });
  for (const problem of report.problems) out.print(formatProblem(problem));
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const warnings = report.problems.length - errors;
  out.print(
    `${fixed ? `${fix!.out}: ` : ''}${errors} error(s), ${warnings} warning(s); ${report.checked} up script(s) ` +
      `applied, ${report.reversible} down script(s) proven.`,
  );
  return {
    exitCode: report.ok ? 0 : 1,
    document: {
      ok: report.ok,
      // Every key in every problem: null where a problem has no line, column or hint.
      problems: report.problems.map((p) => ({
        ...p,
        line: p.line ?? null,
        column: p.column ?? null,
        hint: p.hint ?? null,
      })),
      checked: report.checked,
      reversible: report.reversible,
      ...(fixed ? { fixed } : {}),
    },
  };
}

function formatProblem(p: LintProblem): string {
  const where = `${p.file}${p.line === undefined ? '' : `:${p.line}${p.column === undefined ? '' : `:${p.column}`}`}`;
  return `${p.severity} ${p.kind} ${where}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}
