/**
 * A command over many targets (`--targets <file>`, `--all-databases`): the targets' options, each
 * target's run of the single-database command with its output grouped under its name, and the
 * summary with the worst exit code.
 */
import type { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationsOptions, MigrationTarget } from '../core/options/options.js';
import { targetKey } from '../core/options/target-list.js';
import { MigrationsStoppedError } from '../core/support/run-errors.js';
import { allDatabases } from '../core/tenants/targets.js';
import { cliAdvice } from './advice.js';
import type { CliCommand, ManyTargets, MANY_TARGET_COMMANDS } from './args.js';
import { CliUsageError } from './cli-errors.js';
import { runCommand } from './database-commands.js';
import { EXIT, exitCodeFor, worstExitCode } from './exit-codes.js';
import { errorDocument, TargetGroups, type CliOutput } from './output.js';
import type { Outcome } from './outcome.js';
import { readTargetsFile } from './targets.js';

/** The options of a run over many targets: the list (or how to find it) and the policy. */
export async function targetsOptions(many: ManyTargets, options: MigrationsOptions): Promise<MigrationsOptions> {
  // Each target names its database (and, from a file, its namespace): the connection selects none.
  options.database = undefined;
  let targets: MigrationsOptions['targets'];
  if (many.source.from === 'file') {
    options.namespace = undefined;
    targets = await readTargetsFile(many.source.file);
  } else {
    const namespace = options.namespace;
    if (!namespace) {
      throw new CliUsageError(
        '--all-databases needs --ns <namespace> (or SURREAL_NAMESPACE): the namespace whose databases are the targets.',
      );
    }
    targets = allDatabases(namespace);
  }
  return {
    targets,
    onTargetFailure: many.continueOnError ? 'continue' : 'stop',
    ...(many.concurrency === undefined ? {} : { concurrency: many.concurrency }),
  };
}

export type ManyTargetsCommand = Extract<CliCommand, { name: (typeof MANY_TARGET_COMMANDS)[number] }>;

/** Commands that only read: they go over every target, whatever one of them finds. */
const READS: ReadonlySet<string> = new Set(['status', 'validate', 'drift']);

/**
 * How the summary calls a target whose command exited 4, for the commands that can: something to
 * do (`status --check`), drift. Its JSON key is the same words in camel case.
 */
const FLAGGED: Partial<Record<ManyTargetsCommand['name'], { words: string; key: string }>> = {
  status: { words: 'not current', key: 'notCurrent' },
  validate: { words: 'drifted', key: 'drifted' },
  drift: { words: 'drifted', key: 'drifted' },
};

/**
 * Runs `command` on each target of the manager, each on its own `forTarget` manager, at most
 * `--concurrency` at a time. `up` and `down` start no further target once one failed, unless
 * `--continue-on-error`; reads cover every target. Each target's output is its single-database
 * output, grouped under its name; the JSON document has one entry per target. The exit code is the
 * worst of the targets' ({@link worstExitCode}).
 */
export async function runOverManyTargets(
  manager: MigrationManager,
  command: ManyTargetsCommand,
  many: ManyTargets,
  out: CliOutput,
  stopped: () => NodeJS.Signals | undefined,
): Promise<Outcome> {
  const targets = manager.targets;
  const names = targets.map(targetKey);
  const onTargetFailure = READS.has(command.name) ? ('continue' as const) : manager.settings.onTargetFailure;
  if (targets.length === 0) {
    out.warn(
      many.source.from === 'file'
        ? `No targets: ${many.source.file} lists none.`
        : `No targets: the namespace ${manager.settings.namespace ?? '?'} has no database (check --ns).`,
    );
  }
  const groups = new TargetGroups(out, names);
  // For the advice on an empty database: where this command line names it.
  const where = many.source.from === 'file' ? `its entry in ${many.source.file}` : '--ns';
  const progress: Record<string, unknown>[] = targets.map(() => ({}));
  // One listing tells each target whether its database exists (a read must not create it).
  const outcomes = await manager.overTargets(
    async (tenant, index) => {
      try {
        return await runCommand(tenant, command, groups.output(index), progress[index]!, where);
      } catch (error) {
        const signal = stopped();
        groups.print(
          index,
          signal && error instanceof MigrationsStoppedError
            ? `Stopped by ${signal}; ${error.remaining ?? 'some'} migration(s) left for the next run.`
            : `${out.red('error:')} ${cliAdvice(error instanceof Error ? error.message : String(error))}`,
        );
        throw error;
      } finally {
        await tenant.close().catch((error: unknown) => out.warn(`Could not close ${names[index]}: ${String(error)}`));
        groups.finish(index);
      }
    },
    { onTargetFailure, stopped: () => stopped() !== undefined, onProgress: out.progress(command.name) },
  );

  const signal = stopped();
  const entries = outcomes.map((o, index) => {
    const { namespace, database } = o.target;
    if (o.state === 'done') {
      const { ok: _ok, ...document } = o.value.document;
      const { exitCode } = o.value;
      // A status entry is ok when its target is current, --check or not.
      const ok = exitCode === EXIT.ok && (document as { current?: boolean }).current !== false;
      return { namespace, database, ok, state: 'done', exitCode, ...document };
    }
    if (o.state === 'failed') {
      const state = signal && o.error instanceof MigrationsStoppedError ? 'stopped' : 'failed';
      const error = errorDocument(o.error);
      return { namespace, database, ok: false, state, exitCode: exitCodeFor(o.error), ...progress[index], error };
    }
    groups.print(
      index,
      signal
        ? `not started: stopped by ${signal}`
        : 'not started: an earlier target failed (--continue-on-error goes on with the others)',
    );
    groups.finish(index);
    return { namespace, database, ok: false, state: 'not started', exitCode: null };
  });
  return summarize(command.name, entries, out, signal);
}

/**
 * The summary line, and the outcome of a run over many targets from its entries: the worst exit
 * code, and an `error` naming the targets that failed (or were stopped, or not started), else
 * those with something to do or drift.
 */
function summarize(
  name: ManyTargetsCommand['name'],
  entries: readonly (MigrationTarget & { ok: boolean; state: string; exitCode: number | null })[],
  out: CliOutput,
  signal: NodeJS.Signals | undefined,
): Outcome {
  const keys = (state: string, ok?: boolean) =>
    entries.filter((e) => e.state === state && (ok === undefined || e.ok === ok)).map((e) => targetKey(e));
  const succeeded = keys('done', true);
  const flagged = keys('done', false);
  const failed = keys('failed');
  const stopped = keys('stopped');
  const notStarted = keys('not started');
  const flag = FLAGGED[name];
  const summary = {
    total: entries.length,
    ok: succeeded.length,
    ...(flag ? { [flag.key]: flagged.length } : {}),
    failed: failed.length,
    ...(signal ? { stopped: stopped.length } : {}),
    notStarted: notStarted.length,
  };
  if (entries.length > 0) out.print('');
  out.print(
    `${entries.length} target(s): ${succeeded.length} ok, ` +
      (flag ? `${flagged.length} ${flag.words}, ` : '') +
      `${failed.length} failed, ` +
      (signal ? `${stopped.length} stopped, ` : '') +
      `${notStarted.length} not started`,
  );

  const exitCode = worstExitCode(entries.flatMap((e) => (e.exitCode === null ? [] : [e.exitCode])));
  const document = { targets: entries, summary };
  const notStartedText =
    notStarted.length > 0 ? `${notStarted.length} target(s) not started: ${notStarted.join(', ')}` : '';
  if (signal) {
    const message =
      `Stopped by ${signal}` +
      [
        stopped.length > 0 ? `${stopped.join(', ')} stopped after the current migration` : '',
        failed.length > 0 ? `\`${name}\` failed on ${failed.join(', ')}` : '',
        notStartedText,
      ]
        .filter(Boolean)
        .map((part, i) => (i === 0 ? `: ${part}` : `; ${part}`))
        .join('') +
      '.';
    out.note(message);
    return { exitCode, document: { ...document, error: { code: 'STOPPED', message, failed, stopped, notStarted } } };
  }
  if (failed.length > 0) {
    const message =
      `\`${name}\` failed on ${failed.length} of ${entries.length} target(s): ${failed.join(', ')}` +
      (notStartedText ? `; ${notStartedText} (--continue-on-error goes on with the others).` : '.');
    out.error(message);
    return { exitCode, document: { ...document, error: { code: 'TARGETS_FAILED', message, failed, notStarted } } };
  }
  if (flagged.length > 0 && exitCode !== EXIT.ok) {
    // The targets' own code: CHECK_FAILED (status --check) or DRIFT.
    const first = entries.find((e) => e.state === 'done' && !e.ok) as { error?: { code?: string } } | undefined;
    const message = `${flagged.length} of ${entries.length} target(s) ${flag?.words ?? 'not ok'}: ${flagged.join(', ')}.`;
    out.note(message);
    return {
      exitCode,
      document: { ...document, error: { code: first?.error?.code ?? 'CHECK_FAILED', message, flagged } },
    };
  }
  return { exitCode, document };
}
