/**
 * Issue 18, item 4: lint for SurrealDB 2 is SurrealDB 2's truth. The SurrealDB 2 corpus (see its
 * README) judged by SurrealDB 2 itself names only what fails there, with no upgrade hint; judged
 * by 3 (test/integration/lint.spec.ts) it names the upgrade's problems, with hints.
 */
import { lintOtherThanDataLoss } from '../support/lint-report.js';
import path from 'node:path';
import { type LintProblem, type LintReport } from '../../src/core/analysis/lint.js';
import { UPGRADE_RULES } from '../../src/core/surql/v3-upgrade.js';
import { MigrationManager } from '../../src/index.js';
import { repoRoot } from '../support/child.js';
import { MEM, SURREALDB } from '../support/engine.js';
import { tempMigrations } from '../support/migrations-dir.js';

const V2_CORPUS = path.join(repoRoot, 'test', 'fixtures', 'v2-corpus');

/** A problem without its message: what a test compares exactly. */
function brief(p: LintProblem) {
  return { kind: p.kind, severity: p.severity, file: path.basename(p.file), line: p.line, column: p.column };
}

describe('lint: a SurrealDB 2 folder on SurrealDB 2 (its own truth)', () => {
  let report: LintReport;
  beforeAll(async () => {
    report = await lintOtherThanDataLoss({ directory: V2_CORPUS, surrealdb: 2 });
  });

  it('reports only what fails on SurrealDB 2 itself: the down that removes a table that does not exist', () => {
    const file = (name: string) => path.join(path.relative(process.cwd(), V2_CORPUS), name);
    expect(report.problems).toEqual([
      // 0003, 0004, 0006 and 0008 are SurrealDB 2's syntax; 0009 and 0011 read tables that SurrealDB 2
      // lets be missing. Applied, 0004 and 0009 have no down script.
      // Before anything runs: 0008 builds two full-text indexes in the transaction that defines
      // their analyzer, which fails on a task table with rows.
      ...[4, 5].map((line) => ({
        kind: 'one-transaction',
        severity: 'error',
        file: file('0008_task_search.surql'),
        version: 8,
        line,
        column: 1,
        message: expect.stringMatching(/analyzer `task_text`, defined in the same transaction/),
        hint: expect.stringMatching(/^Split it/),
      })),
      {
        kind: 'missing-down',
        severity: 'warning',
        file: file('0004_slug_functions.surql'),
        version: 4,
        line: undefined,
        column: undefined,
        message: `no down script: ${file('0004_slug_functions.surql')} cannot be rolled back`,
        hint: undefined,
      },
      {
        kind: 'missing-down',
        severity: 'warning',
        file: file('0009_import_legacy_tickets.surql'),
        version: 9,
        line: undefined,
        column: undefined,
        message: `no down script: ${file('0009_import_legacy_tickets.surql')} cannot be rolled back`,
        hint: undefined,
      },
      {
        kind: 'down-failed',
        severity: 'error',
        file: file('0010_labels.down.surql'),
        version: 10,
        line: 4,
        column: 1,
        message: "The table 'tag' does not exist",
        hint: undefined,
      },
    ]);
    expect(report.ok).toBe(false);
    // Every up applied; every down proven but 0010's (0004 and 0009 have none).
    expect(report.checked).toBe(12);
    expect(report.reversible).toBe(9);
  });

  it('gives no SurrealDB 3 hint, and names no v3 syntax', () => {
    expect(JSON.stringify(report)).not.toMatch(/SurrealDB 3|type::is_|FULLTEXT/);
  });

  it('reads a SurrealDB 3 form as SurrealDB 2 does: an error of its own, without an upgrade hint', async () => {
    const folder = await tempMigrations({
      '0001_email.surql':
        'DEFINE TABLE person SCHEMALESS;\nDEFINE FIELD email ON person TYPE string ASSERT string::is_email($value);\n',
      '0001_email.down.surql': 'REMOVE TABLE person;\n',
    });
    try {
      const v2 = await lintOtherThanDataLoss({ directory: folder.dir, surrealdb: 2 });
      expect(v2.problems.map(brief)).toEqual([
        { kind: 'syntax', severity: 'error', file: '0001_email.surql', line: 2, column: 49 },
      ]);
      // SurrealDB 2's own message, without the "There was a problem with the database: " it puts first.
      expect(v2.problems[0]!.message).toBe(
        'Parse error: Invalid function/constant path, did you maybe mean `string::is::email`',
      );
      expect(v2.problems[0]!.hint).toBeUndefined();
      // Linted for 3, the same folder is clean.
      expect(await lintOtherThanDataLoss({ directory: folder.dir, surrealdb: 3 })).toEqual({
        ok: true,
        problems: [],
        checked: 1,
        reversible: 1,
      });
    } finally {
      await folder.dispose();
    }
  });

  it('names SurrealDB 3 in every upgrade hint: they are for linting for 3 only', () => {
    for (const rule of UPGRADE_RULES)
      expect([rule.id, rule.hint]).toEqual([rule.id, expect.stringMatching(/SurrealDB 3/)]);
  });
});

describe("the manager's lint(): judged by the connected server's major version", () => {
  it('lints the folder as the suite engine (SurrealDB ' + String(SURREALDB) + ') would', async () => {
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 'test',
      database: 'test',
      directory: V2_CORPUS,
      logger: false,
    });
    try {
      const full = await manager.lint();
      const report = { ...full, problems: full.problems.filter((p) => p.kind !== 'data-loss') };
      expect(report).toEqual(await lintOtherThanDataLoss({ directory: V2_CORPUS, surrealdb: SURREALDB }));
      // SurrealDB 3 refuses 7 of its files, with hints; SurrealDB 2, one down, without. Both flag
      // 0008's two indexes that share the transaction of their analyzer (a hint of their own).
      expect(report.problems.filter((p) => p.severity === 'error')).toHaveLength(SURREALDB >= 3 ? 9 : 3);
      const upgrade = report.problems.filter((p) => p.kind !== 'one-transaction');
      expect(upgrade.some((p) => p.hint !== undefined)).toBe(SURREALDB >= 3);
    } finally {
      await manager.close();
    }
  });
});
