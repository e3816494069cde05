import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const supportDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(supportDir, '../..');

/** A child process with its output collected and a promise of its exit. */
export interface Child {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string | RegExp): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node <script> ...args`. */
export function startNode(
  script: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Child {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { test: string | RegExp; resolve: () => void }[] = [];
  const matches = (test: string | RegExp) => (typeof test === 'string' ? out.includes(test) : test.test(out));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const waiter of [...waiters]) {
      if (matches(waiter.test)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (test) =>
      matches(test)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ test, resolve });
            void exited.then((code) =>
              reject(new Error(`exited (${code}) before printing ${String(test)}\nstdout: ${out}\nstderr: ${err}`)),
            );
          }),
    kill: (signal = 'SIGTERM') => child.kill(signal),
  };
}

/** The JSON document a child printed last on stdout (the report of the support children). */
export function lastJson<T>(child: Pick<Child, 'stdout'>): T {
  return JSON.parse(child.stdout().trim().split('\n').at(-1)!) as T;
}
