import {
  DatabaseUnreachableError,
  MigrationArgumentError,
  MigrationOptionsError,
  MigrationsStoppedError,
} from '../core/errors.js';
import { forEachTarget, MigrationManager, type MigrationStatus } from '../core/migration-manager.js';
import type { MigrationResult } from '../core/migration-runner.js';
import {
  DEFAULT_DIRECTORY,
  DEFAULT_TABLE,
  redactUrl,
  targetKey,
  type MigrationsOptions,
  type MigrationTarget,
} from '../core/options.js';
import { allDatabases, runOverTargets } from '../core/targets.js';
import { cliAdvice } from './advice.js';
import {
  commandName,
  connectionOptions,
  ENV,
  parseCliArgs,
  USAGE,
  wantsJson,
  type CliArgs,
  type CliCommand,
  type ManyTargets,
  type MANY_TARGET_COMMANDS,
} from './args.js';
import { CliUsageError } from './cli-errors.js';
import { createMigration } from './create.js';
import { EXIT, worstExitCode } from './exit-codes.js';
import { shadowSource, type ShadowSource } from '../core/shadow.js';
import { splitUrlCredentials } from '../core/secrets.js';
import { lintCommand } from './lint.js';
import { diffCommand, driftCommand, schemaCommand } from './schema.js';
import { CliOutput, errorDocument, formatDuration, TargetGroups, type CliStream, type Mark } from './output.js';
import { readTargetsFile } from './targets.js';

export { EXIT, EXIT_SEVERITY, worstExitCode } from './exit-codes.js';

/** Where the CLI writes and what environment it reads. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: NodeJS.ProcessEnv;
}

/** The exit code for an error thrown while running a command. */
export function exitCodeFor(error: unknown): number {
  if (
    error instanceof CliUsageError ||
    error instanceof MigrationOptionsError ||
    error instanceof MigrationArgumentError
  ) {
    return EXIT.usage;
  }
  if (error instanceof DatabaseUnreachableError) return EXIT.unreachable;
  return EXIT.failed;
}

/** Where the CLI user sets each option the core may reject. */
const OPTION_SOURCES: Record<string, string> = {
  url: '--url or SURREAL_URL',
  namespace: '--ns or SURREAL_NAMESPACE',
  database: '--db or SURREAL_DATABASE',
  auth: '--user/--pass or SURREAL_USER/SURREAL_PASSWORD',
  directory: '--dir',
  surrealdb: '--surrealdb',
  'shadow.url': '--shadow-url or SURREAL_SHADOW_URL',
  table: '--table',
  'connect.timeoutMs': '--connect-timeout',
  'connect.retries': '--connect-retries',
  'connect.backoffMs': '--connect-backoff',
  'lock.waitTimeoutMs': '--lock-timeout',
  concurrency: '--concurrency',
  targets: '--targets or --all-databases',
};

function hintFor(error: unknown): string | undefined {
  if (error instanceof CliUsageError) return 'Run `surreal-migrate --help` for usage.';
  // A missing package is not fixed by another URL.
  if (error instanceof MigrationOptionsError && /npm install/.test(error.message)) return undefined;
  if (error instanceof MigrationOptionsError && OPTION_SOURCES[error.field]) {
    return `On the command line, set it with ${OPTION_SOURCES[error.field]}.`;
  }
  return undefined;
}

interface Outcome {
  exitCode: number;
  document: Record<string, unknown>;
}

/**
 * Runs one `surreal-migrate` command line and resolves with its exit code once everything it
 * printed is flushed. It never calls `process.exit`; the entry point does.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let out = new CliOutput({ ...io, json: wantsJson(argv), verbose: false });
  let command: string | undefined = commandName(argv);
  // Filled as a command makes progress, so that a failure still reports what was done.
  const progress: Record<string, unknown> = {};
  let exitCode: number;
  let document: Record<string, unknown>;
  try {
    const args = parseCliArgs(argv);
    out = new CliOutput({ ...io, json: args.json, verbose: args.verbose });
    command = args.command.name;
    const outcome = await execute(args, io.env, out, progress);
    exitCode = outcome.exitCode;
    document = { ok: exitCode === EXIT.ok, command, ...outcome.document };
  } catch (error) {
    exitCode = exitCodeFor(error);
    out.error(error);
    const hint = hintFor(error);
    if (hint && !out.json) out.note(hint);
    document = {
      ok: false,
      ...(command ? { command } : {}),
      ...progress,
      error: { ...errorDocument(error), ...(hint ? { hint } : {}) },
    };
  }
  await new Promise<void>((resolve) => out.finish(document, resolve));
  return exitCode;
}

async function execute(
  args: CliArgs,
  env: NodeJS.ProcessEnv,
  out: CliOutput,
  progress: Record<string, unknown>,
): Promise<Outcome> {
  const { command } = args;
  if (command.name === 'help') {
    out.print(USAGE.trimEnd());
    return { exitCode: EXIT.ok, document: { usage: USAGE } };
  }
  if (command.name === 'create') {
    const created = await createMigration(args.connection.dir ?? DEFAULT_DIRECTORY, command.migrationName);
    out.print(`Created migration ${created.version} (${created.name}):`);
    for (const file of created.files) out.print(`  ${file}`);
    return { exitCode: EXIT.ok, document: { ...created } };
  }
  if (command.name === 'schema') {
    return schemaCommand(args.connection.dir ?? DEFAULT_DIRECTORY, command, offlineShadow(args, env, out), out);
  }
  if (command.name === 'diff') {
    const table = args.connection.table ?? DEFAULT_TABLE;
    return diffCommand(args.connection.dir ?? DEFAULT_DIRECTORY, table, command, offlineShadow(args, env, out), out);
  }
  if (command.name === 'lint') {
    const directory = args.connection.dir ?? DEFAULT_DIRECTORY;
    const fix = command.fix && command.out ? { out: command.out } : undefined;
    return lintCommand(directory, fix, offlineShadow(args, env, out), out);
  }

  const { options, secrets } = connectionOptions(args.connection, env);
  out.addSecrets(secrets);
  const many = args.targets;
  const manyOptions = many ? await targetsOptions(many, options) : {};
  const manager = await MigrationManager.create({ ...options, ...manyOptions, logger: out.logger() });
  // Ctrl+C or SIGTERM during a run: let the current migration commit or roll back, apply no more,
  // release the lock, then exit 130/143. A second signal exits at once (the server rolls back an
  // unfinished transaction; the lease expires by itself).
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(signalExitCode(signal));
    interrupted = signal;
    out.warn(`${signal}: stopping after the current migration (again to exit at once)`);
    void manager.runner.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = many
      ? await runOverManyTargets(manager, command as ManyTargetsCommand, many, out, () => interrupted)
      : await runCommand(manager, command, out, progress);
    return interrupted ? { ...outcome, exitCode: signalExitCode(interrupted) } : outcome;
  } catch (error) {
    if (interrupted && error instanceof MigrationsStoppedError) {
      out.print(`Stopped by ${interrupted}; ${error.remaining ?? 'some'} migration(s) left for the next run.`);
      return { exitCode: signalExitCode(interrupted), document: { stopped: interrupted, remaining: error.remaining } };
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await manager.close().catch((error: unknown) => out.warn(`Could not close the connection: ${String(error)}`));
  }
}

/**
 * Where an offline command (lint, schema, diff) builds its shadow: `--surrealdb`'s embedded engine,
 * or `--shadow-url`'s server. It never opens `--url`.
 */
function offlineShadow(args: CliArgs, env: NodeJS.ProcessEnv, out: CliOutput): ShadowSource {
  const url = args.connection.shadowUrl ?? (env[ENV.shadowUrl] || undefined);
  if (url) out.addSecrets(splitUrlCredentials(url).secrets);
  return shadowSource({ surrealdb: args.connection.surrealdb, ...(url ? { shadow: { url } } : {}) }, args.command.name);
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? EXIT.interrupted : EXIT.terminated;
}

async function runCommand(
  manager: MigrationManager,
  command: Exclude<CliCommand, { name: 'help' | 'create' | 'lint' | 'schema' | 'diff' }>,
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
      progress.applied = applied;
      reportProgress(manager, out, applied);
      const results = command.to === undefined ? await manager.runMigrationUp() : await manager.migrateTo(command.to);
      const currentVersion = await manager.getCurrentVersion();
      out.print(
        results.length === 0
          ? `Nothing to apply; current version ${currentVersion}.`
          : `Applied ${results.length} migration(s); current version ${currentVersion}.`,
      );
      return ok({ applied: results, currentVersion, ...(empty ? { empty } : {}) });
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
      out.print(
        plan.migrations.length === 0
          ? `Nothing to ${verb}.`
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
        const drift = await driftCommand(manager, out);
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
      return driftCommand(manager, out);

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

/** `drift`: what was changed by hand, object by object; exit 4 when anything was. */
/**
 * A database with no tables at all, said in one line: a typo in --ns, --db or a `surrealkv://`
 * path opens a new, empty database, which `up` would then build a schema in.
 */
async function reportEmpty(manager: MigrationManager, out: CliOutput, names: string): Promise<boolean> {
  if (!(await manager.isEmpty())) return false;
  const { url, namespace, database } = manager.settings;
  // A read leaves a database that does not exist as it is; `up` or `baseline` creates it.
  const missing = (await manager.databaseMissing())
    ? ' It does not exist yet, and reading it created nothing (`up` creates it).'
    : '';
  out.warn(
    `The database ${namespace ?? '?'}/${database ?? '?'}${url ? ` at ${url}` : ''} is empty: it has no tables.` +
      `${missing} If you expected a schema there, check ${names} and the URL (or the path).`,
  );
  return true;
}

/** Where the command line names the database, for {@link reportEmpty}'s advice. */
const SINGLE_DATABASE = '--ns, --db';

async function status(manager: MigrationManager, check: boolean, out: CliOutput, names: string): Promise<Outcome> {
  const empty = await reportEmpty(manager, out, names);
  // The CLI's `ok` says whether the command succeeded (`--check` makes "nothing to do" a condition
  // of it); the one database's entry of `targets` repeats the rest.
  const { ok: current, targets: _targets, ...state } = await manager.status();
  const lock = await manager.lockHolder();
  const { url, namespace, database, directory, table } = manager.settings;
  const target = { url: url === undefined ? undefined : redactUrl(url), namespace, database, directory, table };

  out.print(`${out.bold('Database')}    ${target.url} (namespace ${namespace}, database ${database})`);
  out.print(
    `${out.bold('Migrations')}  ${directory}: current version ${state.currentVersion}, latest ${state.latestVersion}`,
  );
  if (lock) {
    out.print(
      `${out.bold('Lock')}        held by ${lock.host} pid ${lock.pid}` +
        (lock.expiresAt ? ` until ${lock.expiresAt.toISOString()}` : ''),
    );
  }
  printStatusRows(state, out);

  const counts = {
    pending: state.pending.length,
    failed: state.failed.length,
    drifted: state.drifted.length,
    missing: state.missing.length,
  };
  const summary =
    `${state.applied.length} applied, ${counts.pending} pending, ${counts.failed} failed, ` +
    `${counts.drifted} changed, ${counts.missing} missing`;
  out.print('');
  out.print(summary);
  // `current`: nothing pending, failed, changed or missing (what --check makes a condition of `ok`).
  const document = { target, ...state, current, lock: lock ?? null, ...(empty ? { empty } : {}) };
  if (check && Object.values(counts).some((n) => n > 0)) {
    const message = `status --check: ${summary}.`;
    out.note(message);
    return { exitCode: EXIT.check, document: { ...document, error: { code: 'CHECK_FAILED', message, ...counts } } };
  }
  return ok(document);
}

function printStatusRows(state: Omit<MigrationStatus, 'ok' | 'targets'>, out: CliOutput): void {
  const missing = new Set(state.missing.map((m) => m.version));
  const rows: Row[] = [];
  for (const a of state.applied) {
    const mark: Mark = missing.has(a.version)
      ? 'missing'
      : a.verified === false
        ? 'changed'
        : a.verified === null
          ? 'unverified'
          : 'applied';
    const details = [
      a.appliedAt ? `applied ${a.appliedAt.toISOString()}` : 'applied',
      a.durationMs === undefined ? '' : `in ${formatDuration(a.durationMs)}`,
      mark === 'missing' ? '(its file is missing)' : '',
      mark === 'changed' ? '(its file changed since)' : '',
      mark === 'unverified' ? '(no checksum stored; `repair` records one)' : '',
    ]
      .filter(Boolean)
      .join(' ');
    rows.push({ mark, version: a.version, name: a.name, details });
  }
  for (const p of state.pending) rows.push({ mark: 'pending', version: p.version, name: p.name, details: p.file });
  for (const f of state.failed) {
    const details =
      `${f.file}: ${f.statementsApplied}/${f.statementCount} statement(s) applied, then: ${f.error} ` +
      `(fix the database, then \`resolve ${f.version} --applied|--rolled-back|--resume-after <n>\`)`;
    rows.push({
      mark: 'failed',
      version: f.version,
      name: f.name,
      details: `${f.inProgress ? '(in progress) ' : ''}${details}`,
    });
  }
  if (rows.length === 0) return;
  out.print('');
  printRows(
    out,
    rows.sort((a, b) => a.version - b.version),
  );
}

/** Prints each migration as it completes, with its duration, and collects the results. */
function reportProgress(manager: MigrationManager, out: CliOutput, done: MigrationResult[]): void {
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
    lockWaiting: (e) =>
      out.note(
        'Waiting for the migration lock' +
          (e.holder ? `, held by ${e.holder.host} pid ${e.holder.pid}` : '') +
          ' (`surreal-migrate unlock` removes it if that process is gone)...',
      ),
  });
}

/** One line of a migration list: marker, version, name, details. */
interface Row {
  mark?: Mark;
  version: number;
  name: string;
  details: string;
}

interface Columns {
  version: number;
  name: number;
  marked: boolean;
}

function columnsOf(items: readonly { version: number; name: string; mark?: Mark }[], marked = false): Columns {
  return {
    marked: marked || items.some((i) => i.mark !== undefined),
    version: Math.max(1, ...items.map((i) => String(i.version).length)),
    name: Math.max(1, ...items.map((i) => displayName(i.name).length)),
  };
}

function printRows(out: CliOutput, rows: readonly Row[]): void {
  const columns = columnsOf(rows);
  for (const r of rows) out.print(formatRow(out, r, columns));
}

function formatRow(out: CliOutput, row: Row, columns: Columns): string {
  const mark = row.mark ? `${out.mark(row.mark)}  ` : columns.marked ? `${out.blankMark()}  ` : '  ';
  const version = String(row.version).padStart(columns.version);
  return `${mark}${version}  ${displayName(row.name).padEnd(columns.name)}  ${out.dim(row.details)}`;
}

function displayName(name: string): string {
  return name || '(unnamed)';
}

function rollbackOptions(command: { to?: number; steps?: number }): { to?: number; steps?: number } {
  return {
    ...(command.to === undefined ? {} : { to: command.to }),
    ...(command.steps === undefined ? {} : { steps: command.steps }),
  };
}

function ok(document: Record<string, unknown>): Outcome {
  return { exitCode: EXIT.ok, document };
}

/** The options of a run over many targets: the list (or how to find it) and the policy. */
async function targetsOptions(many: ManyTargets, options: MigrationsOptions): Promise<MigrationsOptions> {
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

type ManyTargetsCommand = Extract<CliCommand, { name: (typeof MANY_TARGET_COMMANDS)[number] }>;

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
async function runOverManyTargets(
  manager: MigrationManager,
  command: ManyTargetsCommand,
  many: ManyTargets,
  out: CliOutput,
  stopped: () => NodeJS.Signals | undefined,
): Promise<Outcome> {
  const targets = manager.targets;
  const names = targets.map(targetKey);
  const policy = {
    concurrency: manager.settings.concurrency,
    onTargetFailure: READS.has(command.name) ? ('continue' as const) : manager.settings.onTargetFailure,
  };
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
  const tenants = await forEachTarget(manager);
  const outcomes = await runOverTargets(
    targets,
    policy,
    async (_target, index) => {
      const tenant = tenants[index]!;
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
    () => stopped() !== undefined,
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
