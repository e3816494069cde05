/**
 * What an operator writes in the history by hand: a baseline, the outcome of a failed
 * no-transaction migration, and repairs. Each under the migration lock.
 */
import { MigrationArgumentError } from '../support/errors.js';
import { requireVersion } from './arguments.js';
import type { ManagerContext } from './context.js';

/** The operator's writes of one manager; see the file's comment. */
export class OperatorWrites {
  readonly #ctx: ManagerContext;

  constructor(ctx: ManagerContext) {
    this.#ctx = ctx;
  }

  async baseline(version: number): Promise<number[]> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      ctx.one('baseline');
      requireVersion(version, 'version');
      return ctx.core.exclusive(async () => {
        const state = await ctx.core.readState();
        const toRecord = state.pending.filter((m) => m.version <= version);
        await ctx.history.recordApplied(
          toRecord.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
          'baseline',
        );
        return toRecord.map((m) => m.version);
      });
    });
  }

  async resolve(
    version: number,
    outcome: 'applied' | 'rolled-back' | 'resume',
    options: { after?: number },
  ): Promise<void> {
    const ctx = this.#ctx;
    ctx.one('resolve');
    requireVersion(version, 'version');
    if (outcome !== 'applied' && outcome !== 'rolled-back' && outcome !== 'resume') {
      throw new MigrationArgumentError(
        `resolve: outcome must be 'applied', 'rolled-back' or 'resume', got ${String(outcome)}.`,
      );
    }
    await ctx.core.exclusive(async () => {
      const state = await ctx.core.readState();
      const failed = state.failed.find((f) => f.version === version);
      if (!failed) {
        throw new MigrationArgumentError(
          `resolve: version ${version} has no failed record; failed versions: ${
            state.failed.map((f) => f.version).join(', ') || 'none'
          }.`,
        );
      }
      if (outcome === 'resume') {
        const after = options.after;
        const low = failed.statementsApplied;
        const high = Math.min(failed.statementCount, failed.statementsApplied + 1);
        if (after === undefined || !Number.isSafeInteger(after) || after < low || after > high) {
          throw new MigrationArgumentError(
            `resolve: resume needs { after: n } with n the last statement that took effect: ${low}` +
              (high > low ? ` or ${high} (statement ${high} may or may not have run)` : '') +
              `, got ${String(after)}.`,
          );
        }
        await ctx.history.recordResume(version, after);
      } else if (outcome === 'applied') {
        const file = ctx.files.up.find((m) => m.version === version);
        await ctx.history.recordApplied(
          [{ version, name: file?.name ?? failed.name, checksum: file?.checksum ?? failed.checksum ?? '' }],
          'resolve',
        );
      } else {
        await ctx.history.recordRolledBack(version);
      }
    });
  }

  async repair(options: { changed?: boolean }): Promise<number[]> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      ctx.one('repair');
      // Rows whose version cannot be read hold nothing a run could use: they go first, named.
      const removed = await ctx.core.exclusive(() => ctx.history.removeUnreadable());
      if (removed.length > 0) {
        ctx.options.logger.warn(
          `Removed ${removed.length} history row(s) whose version could not be read: ` +
            removed.map((r) => `${String(r.id)} (version ${JSON.stringify(r.version ?? null)})`).join(', '),
        );
      }
      const state = await ctx.core.readState();
      // Records of repeatable definitions whose files are gone: forgotten, named.
      const gone = state.repeatable.deleted.map((r) => r.name);
      if (gone.length > 0) {
        await ctx.core.exclusive(() => ctx.history.forgetRepeatables(gone));
        ctx.options.logger.warn(
          `Forgot the record(s) of ${gone.length} repeatable definition(s) whose file is gone: ${gone.join(', ')}`,
        );
      }
      const files = new Map(ctx.files.up.map((m) => [m.version, m]));
      const versions = [
        ...state.unverified.map((r) => r.version),
        ...(options.changed ? state.drifted.map((d) => d.version) : []),
      ];
      const entries = versions.flatMap((version) => {
        const file = files.get(version);
        return file ? [{ version, checksum: file.checksum, name: file.name }] : [];
      });
      await ctx.core.exclusive(() => ctx.history.updateChecksums(entries));
      return entries.map((e) => e.version).sort((a, b) => a - b);
    });
  }
}
