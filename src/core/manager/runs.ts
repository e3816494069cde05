/**
 * The manager's runs: the runner's steps (over every target with `targets`), migrating to a
 * version, rolling back, and the dry run.
 */
import { serverMajor } from '../db/connection.js';
import { selectedExists } from '../db/selection.js';
import { MigrationOptionsError } from '../support/errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { isCurrent } from '../plan/migration-plan.js';
import type { MigrationResult, RunnerOps } from '../runner/migration-runner.js';
import { coreOps, type RunGuards } from '../runner/runner-core.js';
import { asScript, refuseNonIdempotent } from '../runner/repeatable-steps.js';
import { verifyOnShadow } from '../analysis/schema-code.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { requireVersion, rollbackSelector } from './arguments.js';
import type { ManagerContext } from './context.js';
import type { DryRunReport, RollbackOptions } from './reports.js';

/** The runs of one manager; see the file's comment. */
export class Runs<M extends Tenant> {
  readonly #ctx: ManagerContext;
  readonly #tenants: Tenants<M>;

  constructor(ctx: ManagerContext, tenants: Tenants<M>) {
    this.#ctx = ctx;
    this.#tenants = tenants;
  }

  /** The runner's steps: the core's, or with `targets` the runs over every target. */
  runnerOps(): RunnerOps {
    const ctx = this.#ctx;
    const own = coreOps(ctx.core);
    return {
      runAll: () => this.runAll({}),
      runOneUp: async () => {
        ctx.ensureOpen();
        ctx.one('runner.runOneUp');
        return ctx.tag(await own.runOneUp());
      },
      runOneDown: async () => {
        ctx.ensureOpen();
        ctx.one('runner.runOneDown');
        return ctx.tag(await own.runOneDown());
      },
      stop: () => this.#tenants.stop(() => own.stop()),
    };
  }

  /** Every pending migration, on this database or every target, with this call's guards. */
  async runAll(run: RunGuards): Promise<MigrationResult[]> {
    const ctx = this.#ctx;
    ctx.ensureOpen();
    if (!ctx.targets) return ctx.tag(await ctx.core.migrateUp((state) => state.pending, run, { repeatables: true }));
    // A target whose history shows nothing to do and nothing to say opens no session.
    return ctx.guard(() => this.#tenants.migrate((history) => isCurrent(ctx.files, history, ctx.options), run));
  }

  async migrateTo(version: number, run: RunGuards = {}): Promise<MigrationResult[]> {
    const ctx = this.#ctx;
    ctx.one('migrateTo');
    requireVersion(version, 'to');
    return ctx.tag(await ctx.core.migrateUp((state) => state.pending.filter((m) => m.version <= version), run));
  }

  async rollback(options: RollbackOptions): Promise<MigrationResult[]> {
    const ctx = this.#ctx;
    ctx.one('rollback');
    const select = rollbackSelector(options);
    return ctx.tag(
      await ctx.core.migrateDown(select, { acceptDataLoss: options.acceptDataLoss, checkData: options.checkData }),
    );
  }

  async dryRun(run: RunGuards = {}): Promise<DryRunReport> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      ctx.one('dryRun');
      const absent = (await ctx.absent()) || !(await this.#existsOnV2());
      const state = await ctx.readState(absent);
      const firstNoTx = state.pending.findIndex((m) => m.noTransaction);
      const runnable = firstNoTx === -1 ? state.pending : state.pending.slice(0, firstNoTx);
      const rest = firstNoTx === -1 ? [] : state.pending.slice(firstNoTx);
      const brief = ({ version, name, file }: MigrationFile) => ({ version, name, file });
      // The repeatable definitions after the versions, as the run applies them (after a
      // no-transaction version, which a dry run cannot run, they are not verifiable either).
      refuseNonIdempotent(state.repeatable.pending);
      const repeatable = state.repeatable.pending.map(({ name, file }) => ({ name, file }));
      const withRepeatable = (verified: boolean) => (repeatable.length > 0 && verified ? { repeatable } : {});
      // A database that does not exist is empty: the migrations are tried on an empty shadow of
      // the server's version, so that nothing is created here to be rolled back.
      if (absent) {
        const source = await ctx.shadowSource();
        const opened = await verifyOnShadow(ctx.options.directory, new Set(runnable.map((m) => m.version)), source)
          .then(() => true)
          .catch((error: unknown) => {
            // No embedded engine to build the shadow with (a remote-only install): nothing verified.
            if (error instanceof MigrationOptionsError) return false;
            throw error;
          });
        if (!opened) return { verified: [], notVerifiable: state.pending.map(brief), absent: true };
        const verified = runnable.map(brief);
        return { verified, notVerifiable: rest.map(brief), absent: true, ...withRepeatable(rest.length === 0) };
      }
      const scripts = rest.length === 0 ? [...runnable, ...state.repeatable.pending.map(asScript)] : runnable;
      await ctx.core.dryRun(scripts, run);
      return { verified: runnable.map(brief), notVerifiable: rest.map(brief), ...withRepeatable(rest.length === 0) };
    });
  }

  /**
   * Whether this manager's one database exists, on SurrealDB 2 (where a connection's `use`
   * creates nothing, so `absent()` does not know): a failed transaction there leaves the database
   * it ran in defined. True on SurrealDB 3, and for a forTarget session.
   */
  async #existsOnV2(): Promise<boolean> {
    const { place, connection } = this.#ctx;
    const target = place.target;
    if (!target || place.session || (await serverMajor(connection.db)) !== 2) return true;
    return selectedExists(connection.db, target.namespace, target.database);
  }
}
