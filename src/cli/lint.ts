import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lintMigrations, type LintProblem } from '../core/lint.js';
import { discoverMigrations } from '../core/migration-files.js';
import { upgradeScript } from '../core/v3-upgrade.js';
import { CliUsageError } from './cli-errors.js';
import type { CliOutput } from './output.js';
import type { ShadowSource } from '../core/shadow.js';

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
  const fixed = fix ? await writeUpgradedCopy(directory, fix.out, out) : undefined;
  const report = await lintMigrations({
    directory: fixed ? fix!.out : directory,
    surrealdb: source.surrealdb,
    shadow: source.server,
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

/**
 * Copies the folder to `target` with the mechanical SurrealDB 2 -> 3 rewrites applied to its
 * migrations, file by file; never edits the folder itself. Returns what changed.
 */
async function writeUpgradedCopy(
  directory: string,
  target: string,
  out: CliOutput,
): Promise<{ file: string; rules: string[] }[]> {
  const source = path.resolve(directory);
  const copy = path.resolve(target);
  if (copy === source || copy.startsWith(source + path.sep)) {
    throw new CliUsageError(
      `lint --fix never writes into the folder it reads: give --out a folder outside ${directory}.`,
    );
  }
  const existing = await readdir(target).catch(() => undefined);
  if (existing && existing.length > 0) {
    throw new CliUsageError(`lint --fix writes a new copy: ${target} exists and is not empty.`);
  }
  const discovered = await discoverMigrations(directory);
  const scripts = new Map([...discovered.up, ...discovered.down].map((m) => [path.basename(m.file), m]));
  await mkdir(target, { recursive: true });
  const changed: { file: string; rules: string[] }[] = [];
  for (const name of (await readdir(directory)).sort()) {
    const script = scripts.get(name);
    if (!script) {
      await copyFile(path.join(directory, name), path.join(target, name)).catch(() => {});
      continue;
    }
    // Rewritten as written: a BOM and CRLF line ends stay, and an unchanged file is copied as is.
    const upgraded = upgradeScript(await readFile(path.join(directory, name), 'utf8'));
    if (upgraded.rules.length === 0) {
      await copyFile(path.join(directory, name), path.join(target, name));
      continue;
    }
    await writeFile(path.join(target, name), upgraded.text);
    changed.push({ file: name, rules: upgraded.rules });
    out.print(`fixed ${name}: ${upgraded.rules.join(', ')}`);
  }
  return changed;
}
