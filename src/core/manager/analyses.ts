/**
 * The manager's analyses on a private shadow database: drift (the live schema against the one the
 * applied migrations produce) and lint. The analyses themselves live in `src/core/analysis/`.
 */
import { folderSchema } from '../analysis/schema-code.js';
import { lintMigrations, type LintReport } from '../analysis/lint.js';
import { compareDefinitions } from '../analysis/computed-definitions.js';
import { readSchema } from '../shadow/shadow.js';
import type { ManagerContext } from './context.js';
import type { DriftReport } from './reports.js';
import { checkProgressListener, progressReporter, type MigrationProgressListener } from '../events/progress.js';

/**
 * A method's `onProgress`, checked before anything is read; what it throws is logged as a warning,
 * as events' listeners' faults are.
 */
function guarded(ctx: ManagerContext, listener: unknown, method: string): MigrationProgressListener {
  const checked = checkProgressListener(listener, method);
  return progressReporter(checked, (error) => ctx.options.logger.warn(`A progress listener threw: ${error.message}`));
}

/** The live schema against the one the applied migrations produce. */
export function drift(ctx: ManagerContext, onProgress?: MigrationProgressListener): Promise<DriftReport> {
  return ctx.guard(async () => {
    ctx.one('drift');
    const progress = guarded(ctx, onProgress, 'drift');
    const absent = await ctx.absent();
    const state = await ctx.readState(absent);
    const pending = state.pending.map(({ version, name, file }) => ({ version, name, file }));
    // A database that does not exist has nothing applied and no schema: no shadow to build.
    if (absent) return { ok: true, drift: [], pending, computed: [] };
    const applied = new Set(state.applied.map((r) => r.version));
    // Built under the live database's names: `session::db()` evaluates there as it did here.
    const names = ctx.place.target;
    const source = { ...(await ctx.shadowSource()), names };
    const expected = await folderSchema(ctx.options.directory, applied, source, progress);
    const live = await readSchema(ctx.bookkeeping, ctx.options.table);
    const scripts = ctx.files.up.filter((m) => applied.has(m.version)).map((m) => m.text);
    const { changes, computed } = compareDefinitions(expected, live, scripts);
    const drift = changes.map((c) => ({
      change: c.change,
      kind: c.kind,
      table: c.table,
      name: c.name,
      live: c.after,
      expected: c.before,
    }));
    return { ok: drift.length === 0, drift, pending, computed };
  });
}

/** Lints the manager's folder on a private shadow database. */
export function lint(ctx: ManagerContext, onProgress?: MigrationProgressListener): Promise<LintReport> {
  return ctx.guard(async () => {
    const progress = guarded(ctx, onProgress, 'lint');
    const { surrealdb, server } = await ctx.shadowSource();
    return lintMigrations({ directory: ctx.options.directory, surrealdb, shadow: server, onProgress: progress });
  });
}
