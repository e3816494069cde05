import { lintMigrations, type LintOptions, type LintReport } from '../../src/core/analysis/lint.js';

/**
 * `lintMigrations`, without its `data-loss` warnings: for the specs of lint's other findings (their
 * folders' downs remove the tables their ups define). The warnings have a spec of their own.
 */
export async function lintOtherThanDataLoss(options: LintOptions): Promise<LintReport> {
  const report = await lintMigrations(options);
  return { ...report, problems: report.problems.filter((p) => p.kind !== 'data-loss') };
}

/** The hint of lint's `data-loss` warnings. */
export const DATA_LOSS_HINT =
  'Move the rows first, or, if the loss is intended, add `-- migrate:allow-data-loss` at the top of the file.';

/** The two lines lint's text prints for the `data-loss` warning of `REMOVE TABLE <table>` at `file:line:1`. */
export function dataLossText(file: string, line: number, table: string): string[] {
  return [
    `warning data-loss ${file}:${line}:1: removes table ${table}: a run refuses it where it holds rows`,
    `  hint: ${DATA_LOSS_HINT}`,
  ];
}

/** The `--json` problem of the `data-loss` warning of `REMOVE TABLE <table>` at `file:line:1`. */
export function dataLossProblem(file: string, version: number, line: number, table: string): Record<string, unknown> {
  return {
    kind: 'data-loss',
    severity: 'warning',
    file,
    version,
    line,
    column: 1,
    message: `removes table ${table}: a run refuses it where it holds rows`,
    hint: DATA_LOSS_HINT,
  };
}

/**
 * Lint's text output, split: the tables its `data-loss` warnings name, and the rest of its lines. Throws
 * when a `data-loss` warning is not followed by its hint.
 */
export function apartFromDataLoss(stdout: string): { removed: string[]; rest: string[] } {
  const lines = stdout.trimEnd().split('\n');
  const removed: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const table = /^warning data-loss \S+: removes table (\S+): a run refuses it where it holds rows$/.exec(lines[i]!);
    if (!table) {
      rest.push(lines[i]!);
      continue;
    }
    if (lines[i + 1] !== `  hint: ${DATA_LOSS_HINT}`) throw new Error(`no hint after: ${lines[i]}`);
    removed.push(table[1]!);
    i++;
  }
  return { removed, rest };
}
