/**
 * The `surreal-migrate` command line: parses it, runs the command (offline ones on their own, the
 * others on a connected manager, on one database or many), and reports the outcome with its exit
 * code. The commands themselves live in one file per group.
 */
import path from 'node:path';
import { MigrationOptionsError } from '../core/support/errors.js';
import { MigrationsStoppedError } from '../core/support/run-errors.js';
import { MigrationManager } from '../core/manager/migration-manager.js';
import { DEFAULT_DIRECTORY, DEFAULT_SCHEMA_CACHE, DEFAULT_TABLE } from '../core/options/options.js';
import { shadowSource, type ShadowSource } from '../core/shadow/shadow.js';
import { splitUrlCredentials } from '../core/support/secrets.js';
import { commandName, parseCliArgs, wantsJson, type CliArgs } from './args.js';
import { connectionOptions, ENV } from './connection.js';
import { USAGE } from './usage.js';
import { CliUsageError } from './cli-errors.js';
import { createMigration } from './create.js';
import { runCommand } from './database-commands.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { lintCommand } from './lint.js';
import { runOverManyTargets, targetsOptions, type ManyTargetsCommand } from './many-targets.js';
import { CliOutput, errorDocument, type CliStream } from './output.js';
import type { Outcome } from './outcome.js';
import { diffCommand, schemaCommand, typesCommand } from './schema.js';
import { ProgressLine, showsProgress } from './progress.js';

export { EXIT, EXIT_SEVERITY, exitCodeFor, worstExitCode } from './exit-codes.js';

/** Where the CLI writes and what environment it reads. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: NodeJS.ProcessEnv;
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
    // On a terminal, a line that shows how far long work has come; every other write erases it first.
    const line = showsProgress(io.stderr, args.json, io.env) ? new ProgressLine(io.stderr) : undefined;
    const streams = line ? { stdout: line.guard(io.stdout), stderr: line.guard(io.stderr) } : io;
    out = new CliOutput({ ...io, ...streams, json: args.json, verbose: args.verbose, progress: line });
    command = args.command.name;
    let outcome: Outcome;
    try {
      outcome = await execute(args, io.env, out, progress);
    } finally {
      line?.end();
    }
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
  if (command.name === 'types') {
    return typesCommand(args.connection.dir ?? DEFAULT_DIRECTORY, command, offlineShadow(args, env, out), out);
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
    if (interrupted) {
      out.endProgress();
      process.exit(signalExitCode(signal));
    }
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
 * Where an offline command (lint, schema, types, diff) builds its shadow: `--surrealdb`'s embedded engine,
 * or `--shadow-url`'s server. It never opens `--url`.
 */
function offlineShadow(args: CliArgs, env: NodeJS.ProcessEnv, out: CliOutput): ShadowSource {
  const url = args.connection.shadowUrl ?? (env[ENV.shadowUrl] || undefined);
  if (url) out.addSecrets(splitUrlCredentials(url).secrets);
  const source = shadowSource(
    { surrealdb: args.connection.surrealdb, ...(url ? { shadow: { url } } : {}) },
    args.command.name,
  );
  return { ...source, cache: args.connection.noSchemaCache ? false : path.resolve(DEFAULT_SCHEMA_CACHE) };
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? EXIT.interrupted : EXIT.terminated;
}
