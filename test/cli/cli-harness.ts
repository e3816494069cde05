import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { MigrationManager } from '../../src/index.js';
import { repoRoot } from '../support/child.js';
import { ENGINE } from '../support/engine.js';
import { removeTempFolder } from '../support/migrations-dir.js';
import { RELAY_AUTH, RELAY_ENV, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';

/** The built bin; `npm test` builds it first (pretest). */
export const CLI = path.join(repoRoot, 'dist', 'cli', 'surreal-migrate.js');

/** A child process that has not exited by then is killed, and its run fails. */
const RUN_TIMEOUT_MS = 30_000;

/**
 * A parsed `--json` document. Tests index into it freely and assert its shape with matchers, so
 * it is typed loosely on purpose.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonDocument = Record<string, any>;

/** One finished `surreal-migrate` run. */
export interface CliRun {
  /** The exit code; null when it was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document. */
  json(): JsonDocument;
}

/** The environment of the test process without anything that would change the CLI's behaviour. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SURREAL_') && key !== 'NO_COLOR' && key !== 'FORCE_COLOR') env[key] = value;
  }
  return env;
}

/** Runs `node dist/cli/surreal-migrate.js ...args` in `cwd`, with `env` over a clean environment. */
export function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        json: () => {
          try {
            return JSON.parse(stdout) as JsonDocument;
          } catch (error) {
            throw new Error(
              `stdout is not one JSON document: ${(error as Error).message}\n${stdout}\nstderr: ${stderr}`,
              { cause: error },
            );
          }
        },
      });
    });
  });
}

/**
 * A temporary project folder: `migrations/`, its database, the CLI run in it. The database is, by
 * default, an embedded `surrealkv://` file of the project on SurrealDB 3; on SurrealDB 2, whose
 * embedded engine is `mem://` only (it would not outlive a CLI process), a relayed SurrealDB 2 of the
 * project's own that requires the root sign-in, as `surreal start --user root --pass root` does. With
 * `server`, a namespace of its own on that server.
 */
export interface CliProject {
  root: string;
  migrations: string;
  url: string;
  /**
   * SURREAL_URL, SURREAL_NAMESPACE and SURREAL_DATABASE of the project's database, and, when it
   * requires a sign-in, SURREAL_USER and SURREAL_PASSWORD ({@link CliProject.credentials}).
   */
  env: NodeJS.ProcessEnv;
  /** SURREAL_USER and SURREAL_PASSWORD when the project's database requires a sign-in, else nothing. */
  credentials: NodeJS.ProcessEnv;
  /** That sign-in as the product's `auth` option ({@link CliProject.withDb} signs in with it), else undefined. */
  auth: { username: string; password: string } | undefined;
  /** Runs the CLI in the project with its database in the environment. */
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  write(name: string, text: string): Promise<void>;
  read(name: string): Promise<string>;
  files(): Promise<string[]>;
  /**
   * Opens the project's database in this process, signed in when it requires it (no CLI may run
   * meanwhile), and closes it after `fn`.
   */
  withDb<T>(fn: (db: Surreal) => Promise<T>): Promise<T>;
  /** Table names of the database. */
  tables(): Promise<string[]>;
  /** Removes the folder, and stops the project's relay when it has one. */
  dispose(): Promise<void>;
}

/**
 * A server of the project's database: its url, the project's namespace there, and, with `signIn`,
 * the relay's root user (RELAY_ROOT) signs in, in the CLI and in `withDb`.
 */
export interface CliServer {
  url: string;
  namespace: string;
  signIn?: boolean;
}

export async function cliProject(files: Record<string, string> = {}, server?: CliServer): Promise<CliProject> {
  const root = await mkdtemp(path.join(tmpdir(), 'sbl-cli-'));
  let relay: WsRelay | undefined;
  try {
    const migrations = path.join(root, 'migrations');
    await mkdir(migrations);
    const write = (name: string, text: string) => writeFile(path.join(migrations, name), text);
    for (const [name, text] of Object.entries(files)) await write(name, text);
    if (!server && ENGINE === 'v2') {
      relay = await startWsRelay({ path: 'mem://', engine: 'v2', ...RELAY_ROOT });
      server = { url: relay.url, namespace: 'test', signIn: true };
    }
    const url = server?.url ?? `surrealkv://${path.join(root, 'db')}`;
    const namespace = server?.namespace ?? 'test';
    const signIn = server?.signIn === true;
    const credentials: NodeJS.ProcessEnv = signIn ? { ...RELAY_ENV } : {};
    const auth = signIn ? { ...RELAY_AUTH } : undefined;
    const env = { SURREAL_URL: url, SURREAL_NAMESPACE: namespace, SURREAL_DATABASE: 'test', ...credentials };
    const withDb = async <T>(fn: (db: Surreal) => Promise<T>): Promise<T> => {
      const manager = await MigrationManager.create({
        url,
        namespace,
        database: 'test',
        directory: migrations,
        ...(auth ? { auth } : {}),
      });
      try {
        return await fn(manager.db);
      } finally {
        await manager.close();
      }
    };
    const projectRelay = relay;
    return {
      root,
      migrations,
      url,
      env,
      credentials,
      auth,
      run: (args, extra = {}) => runCli(root, args, { ...env, ...extra }),
      write,
      read: (name) => readFile(path.join(migrations, name), 'utf8'),
      files: async () => (await readdir(migrations)).sort(),
      withDb,
      tables: () =>
        withDb(async (db) => {
          const [info] = await db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
          return Object.keys(info.tables).sort();
        }),
      dispose: async () => {
        try {
          await projectRelay?.close();
        } finally {
          await removeTempFolder(root);
        }
      },
    };
  } catch (error) {
    await relay?.close();
    await removeTempFolder(root);
    throw error;
  }
}

/** Versions of a list of `{ version }` objects from a JSON document. */
export function versions(items: unknown): number[] {
  return (items as { version: number }[]).map((i) => i.version);
}
