import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot, supportDir } from './child.js';

/** The built bin (`npm run build` makes it). */
const CLI = path.join(repoRoot, 'dist', 'cli', 'surreal-migrate.js');

/** Holds the CLI once connected, its targets resolved, until {@link CliProcess.release}. */
export const CONNECTED_BARRIER = path.join(supportDir, 'cli-connected-barrier.mjs');
/** Writes `marker:migrating <ns>/<db> <version>` to stderr as each migration starts. */
export const MIGRATION_MARKERS = path.join(supportDir, 'cli-migration-markers.mjs');

/** Lines the preloads write to stderr, left out of {@link CliProcess.stderr}. */
const PRELOAD_LINE = /^(?:barrier:ready|marker:[^\n]*)\n/gm;

/** A running `surreal-migrate` process, its output collected. */
export interface CliProcess {
  stdout(): string;
  /** stderr without the preloads' lines. */
  stderr(): string;
  /** The `marker:` lines of stderr, without the prefix, in order. */
  markers(): string[];
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves once stderr has a line matching `test`; rejects if the process exits first. */
  waitForStderr(test: RegExp): Promise<void>;
  /** With {@link CONNECTED_BARRIER}: lets the command go on. */
  release(): void;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `node [--import preload]... dist/cli/surreal-migrate.js ...args` in `cwd`, with `env` over
 * the test's environment without its SURREAL_* variables (nor colour settings).
 */
export function startCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; preload?: string[] },
): CliProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SURREAL_') && key !== 'NO_COLOR' && key !== 'FORCE_COLOR') env[key] = value;
  }
  const imports = (options.preload ?? []).flatMap((file) => ['--import', file]);
  const child = spawn(process.execPath, [...imports, CLI, ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { test: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.test.test(err)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  // 'close': every byte of stdout and stderr is in.
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  // A process that never reads its stdin (no barrier) must not fail the test on release().
  child.stdin.on('error', () => {});
  return {
    stdout: () => out,
    stderr: () => err.replace(PRELOAD_LINE, ''),
    markers: () => [...err.matchAll(/^marker:([^\n]*)$/gm)].map((m) => m[1]!),
    exited,
    waitForStderr: (test) =>
      test.test(err)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ test, resolve });
            void exited.then((code) =>
              reject(new Error(`exited (${code}) before writing ${String(test)}\nstdout: ${out}\nstderr: ${err}`)),
            );
          }),
    release: () => child.stdin.end('go\n'),
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
