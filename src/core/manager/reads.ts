/**
 * The manager's reads: versions, status, probe, validation and plans. A read of a database that
 * does not exist answers as an empty one, and creates nothing; with `targets`, a read covers every
 * target, whatever one of them finds.
 */
import { type MigrationDirection } from '../support/errors.js';
import { PendingMigrationsError } from '../support/state-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { awaitsOperator, computeState, findProblems, type MigrationState } from '../plan/migration-plan.js';
import type { FailedRecord, RepeatableRecord } from '../history/history-records.js';
import { repeatableState } from '../plan/repeatable-plan.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { withTimeout } from '../support/timing.js';
import { targetKey } from '../options/target-list.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { planDown } from '../plan/down-plan.js';
import { toHolder } from '../lock/lock-record.js';
import { asScript, refuseNonIdempotent } from '../runner/repeatable-steps.js';
import { rollbackSelector } from './arguments.js';
import type { ManagerContext } from './context.js';
import type {
  MigrationPlan,
  MigrationsProbe,
  MigrationStatus,
  RepeatableReport,
  RollbackOptions,
  ValidationReport,
} from './reports.js';
import { sumProbes, sumStatuses } from './target-reads.js';

/** What the reads ask of a target's manager (the facade, by its shape: no import of it). */
export interface ReadsOfTarget extends Tenant {
  needsMigration(): Promise<boolean>;
  validate(options: { requireCurrent?: boolean }): Promise<ValidationReport>;
  probe(): Promise<MigrationsProbe>;
}

/** The reads of one manager; see the file's comment. */
export class Reads<M extends ReadsOfTarget> {
  readonly #ctx: ManagerContext;
  readonly #tenants: Tenants<M>;
  /** The reads of a target's manager. */
  readonly #of: (manager: M) => Reads<M>;

  constructor(ctx: ManagerContext, tenants: Tenants<M>, of: (manager: M) => Reads<M>) {
    this.#ctx = ctx;
    this.#tenants = tenants;
    this.#of = of;
  }

  async getCurrentVersion(): Promise<number> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      ctx.one('getCurrentVersion');
      if (await ctx.absent()) return 0;
      return (await ctx.history.readVersions()).reduce((max, v) => Math.max(max, v), 0);
    });
  }

  async isEmpty(): Promise<boolean> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      ctx.one('isEmpty');
      if (await ctx.absent()) return true;
      const [info] = await ctx.bookkeeping.query('INFO FOR DB').responses();
      if (!info?.success) return false;
      const tables = (info.result as { tables?: Record<string, unknown> } | undefined)?.tables ?? {};
      return Object.keys(tables).length === 0;
    });
  }

  probe(options: { timeoutMs?: number }): Promise<MigrationsProbe> {
    const ctx = this.#ctx;
    if (ctx.targets) return ctx.guard(() => this.#probeTargets(options.timeoutMs));
    return ctx.guard(async () => {
      if (await ctx.absent()) return this.#absentProbe();
      const { versions, failed, lockRow, repeatable } = await ctx.history.probe();
      const lock = lockRow ? toHolder(lockRow) : undefined;
      return {
        ...this.#probeOf(versions, failed, repeatable),
        lock: lock ? { host: lock.host, pid: lock.pid, expiresAt: lock.expiresAt?.toISOString() ?? null } : null,
      };
    });
  }

  /**
   * A probe's figures from the versions applied (undefined: unreadable), the failed records and
   * the repeatable definitions' records (one whose text changed counts as pending).
   */
  #probeOf(
    versions: readonly (number | undefined)[],
    failed: readonly Pick<FailedRecord, 'version' | 'inProgress' | 'resumeAfter'>[],
    repeatable: readonly RepeatableRecord[],
  ): Omit<MigrationsProbe, 'lock'> {
    const ctx = this.#ctx;
    const applied = new Set(versions.filter((v): v is number => v !== undefined));
    const settled = new Set(failed.filter(awaitsOperator).map((r) => r.version));
    return {
      currentVersion: [...applied].reduce((max, v) => Math.max(max, v), 0),
      latestVersion: ctx.latestVersion(),
      pending:
        ctx.files.up.filter((m) => !applied.has(m.version) && !settled.has(m.version)).length +
        repeatableState(ctx.files.repeatable, repeatable, ctx.latestVersion()).pending.length,
      failed: [...new Set(failed.map((r) => r.version))].sort((a, b) => a - b),
      unreadable: versions.filter((v) => v === undefined).length,
    };
  }

  async needsMigration(): Promise<boolean> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      if (ctx.targets) {
        // Each target's own answer: a target that cannot be read is an error, not "nothing to do".
        const outcomes = await this.#tenants.read(
          (manager) => manager.needsMigration(),
          (history) =>
            this.#needs(
              history.applied.map((r) => r.version),
              history.repeatable,
            ),
        );
        this.#tenants.throwFailures(outcomes, 'validate');
        return outcomes.some((o) => o.state === 'done' && o.value);
      }
      if (await ctx.absent()) return ctx.files.up.length > 0 || ctx.files.repeatable.length > 0;
      const { versions, repeatable } = await ctx.history.readWaiting();
      return this.#needs(versions, repeatable);
    });
  }

  /** Whether a version is not applied, or a repeatable definition's text changed. */
  #needs(versions: readonly number[], repeatable: readonly RepeatableRecord[]): boolean {
    const ctx = this.#ctx;
    const applied = new Set(versions);
    const changed = repeatableState(ctx.files.repeatable, repeatable, ctx.latestVersion()).pending;
    return changed.length > 0 || ctx.files.up.some((m) => !applied.has(m.version));
  }

  async status(): Promise<MigrationStatus> {
    const ctx = this.#ctx;
    if (ctx.targets) return ctx.guard(() => this.#statusOverTargets());
    return ctx.guard(async () => {
      const own = await this.#ownStatus(await ctx.absent());
      const { namespace = '', database = '' } = ctx.place.target ?? {};
      return { ...own, targets: [{ namespace, database, ...own, error: null }] };
    });
  }

  async validate(options: { requireCurrent?: boolean }): Promise<ValidationReport> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      if (ctx.targets) {
        const outcomes = await this.#tenants.read(
          (manager) => manager.validate(options),
          // A target with a problem is validated by its own manager, which throws it.
          (history) => {
            const report = this.#judge(computeState(ctx.files.up, history, ctx.files.repeatable), options);
            return report instanceof Error ? undefined : report;
          },
        );
        this.#tenants.throwFailures(outcomes, 'validate');
        const done = outcomes.flatMap((o) => (o.state === 'done' ? [{ target: o.target, report: o.value }] : []));
        return {
          warnings: done.flatMap(({ target, report }) => report.warnings.map((w) => `${targetKey(target)}: ${w}`)),
          pending: done.reduce((sum, { report }) => sum + report.pending, 0),
        };
      }
      return this.#validate(options, await ctx.absent());
    });
  }

  async plan(options: { direction?: MigrationDirection } & RollbackOptions): Promise<MigrationPlan> {
    const ctx = this.#ctx;
    return ctx.guard(async () => {
      ctx.one('plan');
      const direction = options.direction ?? 'up';
      const absent = await ctx.absent();
      const state = await ctx.readState(absent);
      const guards = { acceptDataLoss: options.acceptDataLoss, checkData: options.checkData };
      const refusals = async (scripts: readonly MigrationFile[]) =>
        absent ? { dataLoss: [], invalidRows: [] } : ctx.core.refusals(scripts, direction, guards);
      const describe = (m: MigrationFile, version = m.version, name = m.name) => ({
        version,
        name,
        file: m.file,
        statements: surqlStatements(m.text).length,
        noTransaction: m.noTransaction,
      });
      if (direction === 'up') {
        const pending =
          options.to === undefined ? state.pending : state.pending.filter((m) => m.version <= options.to!);
        // What the run would refuse before anything, the plan refuses as the run would.
        if (options.to === undefined) refuseNonIdempotent(state.repeatable.pending);
        return {
          direction,
          migrations: pending.map((m) => describe(m)),
          refusals: await refusals(
            options.to === undefined ? [...pending, ...state.repeatable.pending.map(asScript)] : pending,
          ),
          repeatable: options.to === undefined ? repeatableReport(state) : { pending: [], deleted: [] },
        };
      }
      const steps = planDown(state, rollbackSelector(options)(state), ctx.files);
      return {
        direction,
        refusals: await refusals(steps.flatMap((s) => s.down ?? [])),
        repeatable: { pending: [], deleted: [] },
        migrations: steps.map(({ version, recorded, down }) => {
          const name = recorded ?? '';
          return down
            ? describe(down, version, name || down.name)
            : { version, name, file: '(missing down script)', statements: 0, noTransaction: false };
        }),
      };
    });
  }

  /** This database's status, without the list of targets. */
  async #ownStatus(absent: boolean): Promise<Omit<MigrationStatus, 'targets'>> {
    return this.#statusOf(await this.#ctx.readState(absent));
  }

  /** The status of a database in `state`, without the list of targets. */
  #statusOf(state: MigrationState): Omit<MigrationStatus, 'targets'> {
    const ctx = this.#ctx;
    const files = new Map(ctx.files.up.map((m) => [m.version, m]));
    const status = {
      currentVersion: state.currentVersion,
      latestVersion: ctx.latestVersion(),
      applied: state.applied.map((record) => {
        const file = files.get(record.version);
        return {
          version: record.version,
          name: record.name ?? file?.name ?? '',
          appliedAt: record.appliedAt,
          ...(record.checksum === undefined ? {} : { checksum: record.checksum }),
          ...(record.durationMs === undefined ? {} : { durationMs: record.durationMs }),
          verified: record.checksum === undefined || !file ? null : record.checksum === file.checksum,
        };
      }),
      pending: state.pending.map(({ version, name, file }) => ({ version, name, file })),
      drifted: state.drifted,
      missing: state.missing.map(({ version, name }) => ({ version, name })),
      future: state.future.map(({ version, name }) => ({ version, name })),
      failed: state.failed.map((f) => ({ ...f, error: ctx.options.redactor.text(f.error) })),
      repeatable: repeatableReport(state),
    };
    return { ...status, ok: this.#isOk(status) };
  }

  /** Whether a status is clean: nothing pending, failed, changed or (unless allowed) missing. */
  #isOk(status: Pick<MigrationStatus, 'pending' | 'failed' | 'drifted' | 'missing' | 'repeatable'>): boolean {
    const options = this.#ctx.options;
    return (
      status.pending.length === 0 &&
      status.repeatable.pending.length === 0 &&
      (status.repeatable.deleted.length === 0 || options.onDeletedRepeatable === 'warn') &&
      status.failed.length === 0 &&
      (status.drifted.length === 0 || !options.validateChecksums) &&
      (status.missing.length === 0 || options.allowMissing)
    );
  }

  /**
   * status() with `targets`: each target's, and the sum of them. Never stops at a failing target.
   * The histories of the targets whose databases exist are read in batches on one connection.
   */
  async #statusOverTargets(): Promise<MigrationStatus> {
    const outcomes = await this.#tenants.read(
      async (manager) => {
        const reads = this.#of(manager);
        return reads.#ownStatus(await reads.#ctx.absent());
      },
      (history) => this.#statusOf(computeState(this.#ctx.files.up, history, this.#ctx.files.repeatable)),
    );
    return sumStatuses(outcomes, this.#ctx.latestVersion(), (text) => this.#ctx.options.redactor.text(text));
  }

  /**
   * probe() with `targets`: the histories of the targets whose databases exist read in batches on
   * one connection, and one request for each other target, at most `concurrency` at a time.
   */
  async #probeTargets(timeoutMs: number | undefined): Promise<MigrationsProbe> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const late = () => new Error(`no answer within ${timeoutMs} ms`);
    const outcomes = await this.#tenants.read(
      (manager) =>
        deadline === undefined
          ? manager.probe()
          : Date.now() >= deadline
            ? Promise.reject(late())
            : withTimeout(manager.probe(), deadline - Date.now(), () => late().message),
      // Read in time: the probe of one database, from the same rows (its lock is not summed up).
      (history) =>
        deadline !== undefined && Date.now() >= deadline
          ? undefined
          : {
              ...this.#probeOf(
                history.applied.map((r) => r.version),
                history.failed,
                history.repeatable,
              ),
              lock: null,
            },
    );
    return sumProbes(outcomes, this.#ctx.latestVersion(), (text) => this.#ctx.options.redactor.text(text));
  }

  /** The probe of a database that does not exist: nothing applied. */
  #absentProbe(): MigrationsProbe {
    const latestVersion = this.#ctx.latestVersion();
    return {
      currentVersion: 0,
      latestVersion,
      pending: this.#ctx.files.up.length + this.#ctx.files.repeatable.length,
      failed: [],
      unreadable: 0,
      lock: null,
    };
  }

  async #validate(options: { requireCurrent?: boolean }, absent: boolean): Promise<ValidationReport> {
    const report = this.#judge(await this.#ctx.readState(absent), options);
    if (report instanceof Error) throw report;
    return report;
  }

  /** What {@link validate} says of `state`: its report, or the first problem it throws. */
  #judge(state: MigrationState, options: { requireCurrent?: boolean }): ValidationReport | Error {
    const { errors, warnings } = findProblems(state, this.#ctx.options);
    if (errors[0]) return errors[0];
    // A changed repeatable definition is pending too (listed by its file, with no version).
    const repeatable = state.repeatable.pending.map(({ name, file }) => ({ version: 0, name, file }));
    if (options.requireCurrent && state.pending.length + repeatable.length > 0) {
      return new PendingMigrationsError([...state.pending, ...repeatable]);
    }
    return { warnings, pending: state.pending.length };
  }
}

/** The repeatable definitions of `state`, as status and plan report them. */
function repeatableReport(state: MigrationState): RepeatableReport {
  return {
    pending: state.repeatable.pending.map(({ name, file }) => ({ name, file })),
    deleted: state.repeatable.deleted.map(({ name, appliedAt }) => ({ name, appliedAt })),
  };
}
