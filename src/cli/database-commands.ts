/**
 * The commands on one database (`status`, `up`, `down`, `plan`, `dry-run`, `validate`, `drift`,
 * `baseline`, `resolve`, `repair`, `unlock`), run on a connected manager; a run over many targets
 * runs them on each target's manager.
 */
import type { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationResult } from '../core/runner/migration-runner.js';
import type { MigrationEventMap } from '../core/events/migration-events.js';
import type { CliCommand } from './args.js';
import { DataLossError, InvalidRowsError } from '../core/support/data-errors.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, type CliOutput, type Mark } from './output.js';
import { ok, type Outcome } from './outcome.js';
import { columnsOf, formatRow, printRepeatables, printRows } from './rows.js';
import { driftOutcome, reportEmpty, SINGLE_DATABASE, status } from './status.js';

export async function runCommand(
  manager: MigrationManager,
  command: Exclude<CliCommand, { name: 'help' | 'create' | 'lint' | 'schema' | 'types' | 'diff' }>,
  out: CliOutput,
  progress: Record<string, unknown>,
  /** Where the command line names this database (for the advice on an empty one). */
  names = SINGLE_DATABASE,
): Promise<Outcome> {
  switch (command.name) {
    case 'status':
      return status(manager, command.check, out, names);

    case 'up': {
      const empty = await reportEmpty(manager, out, names);
      const applied: MigrationResult[] = [];
      const repeatable: RepeatableApplied[] = [];
      progress.applied = applied;
      reportProgress(manager, out, applied, repeatable);
      const results = command.to === undefined ? await manager.runMigrationUp() : await manager.migrateTo(command.to);
      const currentVersion = await manager.getCurrentVersion();
      const definitions = repeatable.length > 0 ? ` and ${repeatable.length} repeatable definition(s)` : '';
      out.print(
        results.length + repeatable.length === 0
          ? `Nothing to apply; current version ${currentVersion}.`
          : `Applied ${results.length} migration(s)${definitions}; current version ${currentVersion}.`,
      );
      return ok({ applied: results, repeatable, currentVersion, ...(empty ? { empty } : {}) });
    }

    case 'down': {
      const rolledBack: MigrationResult[] = [];
      progress.rolledBack = rolledBack;
      reportProgress(manager, out, rolledBack);
      const results = await manager.rollback(rollbackOptions(command));
      const currentVersion = await manager.getCurrentVersion();
      out.print(
        results.length === 0
          ? `Nothing to roll back; current version ${currentVersion}.`
          : `Rolled back ${results.length} migration(s); current version ${currentVersion}.`,
      );
      return ok({ rolledBack: results, currentVersion });
    }

    case 'plan': {
      const plan = await manager.plan({ direction: command.down ? 'down' : 'up', ...rollbackOptions(command) });
      const downs = new Set(manager.downMigrations.map((d) => d.version));
      const verb = plan.direction === 'up' ? 'apply' : 'roll back';
      const nothing = plan.migrations.length === 0 && plan.repeatable.pending.length === 0;
      out.print(
        plan.migrations.length === 0
          ? nothing
            ? `Nothing to ${verb}.`
            : 'No migration to apply.'
          : `Would ${verb} ${plan.migrations.length} migration(s), in this order:`,
      );
      printRows(
        out,
        plan.migrations.map((m) => {
          const missingDown = plan.direction === 'down' && !downs.has(m.version);
          const details = missingDown
            ? 'no down script: the rollback would refuse to start'
            : `${m.file} (${m.statements} statement(s)${m.noTransaction ? ', no transaction' : ''})`;
          return { ...(missingDown ? { mark: 'missing' as const } : {}), version: m.version, name: m.name, details };
        }),
      );
      printRepeatables(out, plan.repeatable);
      // What the run would refuse, the plan refuses as the run would (exit 1, with the run's code).
      const { dataLoss, invalidRows } = plan.refusals;
      if (invalidRows.length > 0) throw new InvalidRowsError(invalidRows);
      if (dataLoss.length > 0) throw new DataLossError(dataLoss, plan.direction);
      return ok({ ...plan });
    }

    case 'dry-run': {
      const report = await manager.dryRun();
      const all = [...report.verified, ...report.notVerifiable];
      if (report.absent) await reportEmpty(manager, out, names);
      if (all.length === 0) out.print('Nothing pending to verify.');
      printRows(out, [
        ...report.verified.map((m) => ({ mark: 'ok' as const, version: m.version, name: m.name, details: m.file })),
        ...report.notVerifiable.map((m) => ({
          mark: 'skipped' as const,
          version: m.version,
          name: m.name,
          details: `${m.file} (${report.absent ? 'not verified: the database does not exist yet' : 'not verifiable: runs outside a transaction'})`,
        })),
      ]);
      if (all.length > 0) {
        out.print(
          `Dry run: ${report.verified.length} migration(s) ran and were rolled back` +
            (report.absent && report.verified.length > 0
              ? ' (on an empty shadow database: this one does not exist)'
              : '') +
            (report.notVerifiable.length ? `, ${report.notVerifiable.length} not verifiable.` : '.'),
        );
      }
      return ok({ ...report });
    }

    case 'validate': {
      const report = await manager.validate({ requireCurrent: command.requireCurrent });
      for (const warning of report.warnings) out.warn(warning);
      if (command.drift) {
        const drift = await driftOutcome(manager, out);
        if (drift.exitCode !== EXIT.ok) {
          return {
            exitCode: EXIT.check,
            document: { ...report, drift: drift.document.drift, error: drift.document.error },
          };
        }
      }
      out.print(`Valid: the history matches ${manager.settings.directory}; ${report.pending} migration(s) pending.`);
      return ok({ ...report });
    }

    case 'drift':
      return driftOutcome(manager, out);

    case 'baseline': {
      const recorded = await manager.baseline(command.version);
      out.print(
        recorded.length === 0
          ? `Nothing to record: no pending migration at or below ${command.version}.`
          : `Recorded ${recorded.length} migration(s) as applied without running them: ${recorded.join(', ')}.`,
      );
      return ok({ recorded });
    }

    case 'resolve': {
      await manager.resolve(
        command.version,
        command.outcome,
        command.after === undefined ? {} : { after: command.after },
      );
      out.print(
        command.outcome === 'applied'
          ? `Migration ${command.version} is recorded as applied.`
          : command.outcome === 'resume'
            ? `Migration ${command.version} resumes after statement ${command.after} at the next run.`
            : `Migration ${command.version} is recorded as not applied; it is pending again.`,
      );
      return ok({ version: command.version, outcome: command.outcome });
    }

    case 'repair': {
      const updated = await manager.repair({ changed: command.changed });
      out.print(
        updated.length === 0
          ? 'Nothing to repair.'
          : `Stored the current checksum of ${updated.length} migration(s): ${updated.join(', ')}.`,
      );
      return ok({ updated });
    }

    case 'unlock': {
      const removed = await manager.forceUnlock();
      out.print(
        removed
          ? `Removed the migration lock held by ${removed.host} pid ${removed.pid} (token ${removed.token})` +
              (removed.expiresAt ? `, due to expire at ${removed.expiresAt.toISOString()}.` : '.')
          : 'No migration lock was held.',
      );
      return ok({ removed: removed ?? null });
    }
  }
}

/** Prints each migration as it completes, with its duration, and collects the results. */
/** A repeatable definition `up` applied, as its event says it (without the target). */
type RepeatableApplied = Omit<MigrationEventMap['repeatableApplied'], 'target'>;

function reportProgress(
  manager: MigrationManager,
  out: CliOutput,
  done: MigrationResult[],
  repeatable: RepeatableApplied[] = [],
): void {
  const columns = columnsOf(manager.upMigrations, true);
  const print = (mark: Mark, e: { version: number; name: string }, details: string) =>
    out.print(formatRow(out, { mark, version: e.version, name: e.name, details }, columns));
  manager.events.subscribe({
    migrated: (e) => {
      done.push({ ...e, direction: 'up' });
      print(
        'applied',
        e,
        e.byAnother ? `${e.file} (applied by another process)` : `${e.file} in ${formatDuration(e.durationMs)}`,
      );
    },
    rolledBack: (e) => {
      done.push({ ...e, direction: 'down', byAnother: false });
      print('rolled back', e, `${e.file} in ${formatDuration(e.durationMs)}`);
    },
    failed: (e) => print('failed', e, e.file),
    repeatableApplied: ({ name, file, durationMs, byAnother }) => {
      repeatable.push({ name, file, durationMs, byAnother });
      const details = byAnother ? `${file} (applied by another process)` : `${file} in ${formatDuration(durationMs)}`;
      out.print(`${out.mark('applied')}  repeatable ${name}  ${out.dim(details)}`);
    },
    lockWaiting: (e) =>
      out.note(
        'Waiting for the migration lock' +
          (e.holder ? `, held by ${e.holder.host} pid ${e.holder.pid}` : '') +
          ' (`surreal-migrate unlock` removes it if that process is gone)...',
      ),
  });
}

function rollbackOptions(command: { to?: number; steps?: number }): { to?: number; steps?: number } {
  return {
    ...(command.to === undefined ? {} : { to: command.to }),
    ...(command.steps === undefined ? {} : { steps: command.steps }),
  };
}
