import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { acceptsConnections, freePort } from '../support/net.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ENGINE } from '../support/engine.js';
import { tempDir } from '../support/migrations-dir.js';
import { startWsRelay, type WsRelay } from '../support/ws-relay.js';

/*
 * The real demo (src/demo/main.ts and the migrations/ folder) as a child process: built once into a
 * temporary folder, so the test depends neither on `npm run build` nor on what else is in dist/.
 * Child processes also keep the embedded engine, which the demo migrations' indexes keep alive,
 * out of the Jest process.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = path.join(ROOT, 'test/e2e/listen-migrations-probe.mjs');
const TOKEN = 'listen-e2e-token';
/** Variables the demo reads; the developer's own values must not reach the child. */
const DEMO_SETTINGS = [
  'SURREAL_URL',
  'SURREAL_NAMESPACE',
  'SURREAL_DATABASE',
  'SURREAL_USER',
  'SURREAL_PASSWORD',
  'MIGRATIONS_DIR',
  'PORT',
  'ADMIN_TOKEN',
  'FORCE_COLOR',
];
const run = promisify(execFile);

let build: { dir: string; dispose(): Promise<void> };
let mainJs: string;
let indexJs: string;

beforeAll(async () => {
  build = await tempDir('sbl-demo-build-');
  // Resolves @nestjs/*, surrealdb and friends from the project, and marks the output as ESM.
  await symlink(path.join(ROOT, 'node_modules'), path.join(build.dir, 'node_modules'), 'dir');
  await writeFile(path.join(build.dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    path.join(build.dir, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        rootDir: path.join(ROOT, 'src'),
        outDir: path.join(build.dir, 'dist'),
        declaration: false,
      },
      // The demo imports the readiness indicator from src/health; listed so it is built either way.
      files: [
        path.join(ROOT, 'src/demo/main.ts'),
        path.join(ROOT, 'src/index.ts'),
        path.join(ROOT, 'src/health/index.ts'),
      ],
      include: [],
    }),
  );
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', build.dir], {
    cwd: build.dir,
  }).catch((error: { stdout?: string; message: string }) => {
    throw new Error(`Building the demo failed:\n${error.stdout ?? error.message}`);
  });
  mainJs = path.join(build.dir, 'dist/demo/main.js');
  indexJs = path.join(build.dir, 'dist/index.js');
}, 120_000);

afterAll(async () => {
  await build?.dispose();
});

describe('the demo migrations', () => {
  it('apply, keep and backfill data, and each down restores the schema from before its up', async () => {
    const { stdout } = await run(process.execPath, [PROBE, indexJs, path.join(ROOT, 'migrations')], {
      cwd: build.dir,
    });
    const report = JSON.parse(stdout) as {
      latest: number;
      schemaAfterUp: string[];
      indexes: Record<string, string[]>;
      usersAfterUp: Record<string, unknown>[];
      newUser: Record<string, unknown>;
      checks: Record<string, boolean>;
      reversed: { version: number; current: number; upChanged: boolean; matches: boolean }[];
      refused: { version: number; current: number; losses: [string, number | undefined][] }[];
      usersAfterDown: Record<string, unknown>[];
      schemaAfterDown: string[];
    };

    expect(report.latest).toBeGreaterThanOrEqual(3);
    expect(report.schemaAfterUp).toEqual(expect.arrayContaining(['post', 'user']));
    expect(report.indexes.user).toContain('user_email_unique');
    expect(report.indexes.post?.length).toBeGreaterThan(0);
    expect(report.checks).toEqual({ badEmailRejected: true, duplicateEmailRejected: true, stringAuthorRejected: true });
    // The data migration backfilled the user created before it, and new users get the default.
    expect(report.usersAfterUp).toEqual([expect.objectContaining({ id: 'user:ada', display_name: 'Ada Lovelace' })]);
    expect(report.newUser).toMatchObject({ display_name: 'bob' });
    expect(report.reversed).toEqual(
      Array.from({ length: report.latest }, (_, i) => ({
        version: report.latest - i,
        current: report.latest - i - 1,
        upChanged: true,
        matches: true,
      })),
    );
    // The downs that remove a table holding rows were refused (nothing rolled back), then run knowingly.
    expect(report.refused).toEqual([
      { version: 2, current: 2, losses: [['post', 1]] },
      { version: 1, current: 1, losses: [['user', 1]] },
    ]);
    // Rolling back the data migration keeps the user and drops only the field.
    expect(report.usersAfterDown).toEqual([
      { id: 'user:ada', email: 'ada@example.com', name: 'Ada Lovelace', created_at: expect.any(String) },
    ]);
    expect(report.schemaAfterDown).toEqual([]);
  });
});

describe('the demo as a process', () => {
  let work: { dir: string; dispose(): Promise<void> };
  const children = new Set<ChildProcess>();
  /**
   * On SurrealDB 2, whose embedded engine is in memory only, the demo's database is a server
   * that outlives its processes: the relay, requiring a root sign-in as a compose file's server does.
   */
  let server: WsRelay | undefined;

  beforeEach(async () => {
    work = await tempDir('sbl-demo-run-');
    if (ENGINE === 'v2') server = await startWsRelay({ path: 'mem://', user: 'root', pass: 'root' });
  });

  /** The demo's database settings: a file on SurrealDB 3, the server, signed in, on 2. */
  function database(file: string): Record<string, string> {
    if (!server) return { SURREAL_URL: `surrealkv://${path.join(work.dir, file)}` };
    return { SURREAL_URL: server.url, SURREAL_USER: 'root', SURREAL_PASSWORD: 'root' };
  }

  afterEach(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }
    children.clear();
    await server?.close();
    server = undefined;
    await work.dispose();
  });

  /**
   * Starts `node dist/demo/main.js` in `cwd` with only the given demo settings; with `viaExec`, as a
   * container entrypoint script would: `sh -c 'exec node dist/demo/main.js'`.
   */
  function startDemo(cwd: string, settings: Record<string, string>, viaExec = false) {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    for (const key of DEMO_SETTINGS) delete env[key];
    const [command, args] = viaExec
      ? ['/bin/sh', ['-c', `exec "${process.execPath}" "${mainJs}"`]]
      : [process.execPath, [mainJs]];
    const child = spawn(command, args, {
      cwd,
      env: { ...env, ...settings },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    /** The URL from the "Listening on" line; rejects if the process exits first. */
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', () => {
        const match = /Listening on (\S+)/.exec(stripAnsi(stdout));
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then(({ code, signal }) =>
        reject(new Error(`The demo exited (${code ?? signal}) before listening:\n${stdout}\n${stderr}`)),
      );
    });
    return { child, exited, listening, output: () => ({ stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) }) };
  }

  async function linkDemoMigrations(dir: string): Promise<void> {
    // The demo reads ./migrations by default; MIGRATIONS_DIR is tested with the broken folder.
    await symlink(path.join(ROOT, 'migrations'), path.join(dir, 'migrations'), 'dir');
  }

  async function adminStatus(
    url: string,
  ): Promise<{ currentVersion: number; applied: { version: number; appliedAt: string }[] }> {
    const res = await fetch(`${url}/admin/migrations`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { currentVersion: number; applied: { version: number; appliedAt: string }[] };
  }

  it('exits 1 before opening its port when a migration fails, naming the file and line', async () => {
    const folder = path.join(work.dir, 'broken-migrations');
    await mkdir(folder);
    await writeFile(path.join(folder, '0001_ok.surql'), 'DEFINE TABLE ok SCHEMALESS;\n');
    await writeFile(
      path.join(folder, '0002_broken.surql'),
      '-- a typed table\nDEFINE TABLE gauge SCHEMAFULL;\nDEFINE FIELD level ON gauge TYPE int;\nCREATE gauge:1 SET level = "high";\n',
    );
    const port = await freePort();

    const demo = startDemo(work.dir, {
      ...database('db'),
      MIGRATIONS_DIR: 'broken-migrations',
      PORT: String(port),
      ADMIN_TOKEN: TOKEN,
    });
    demo.listening.catch(() => undefined);
    // Knock on the port for as long as the process lives.
    let opened = false;
    let alive = true;
    const exited = demo.exited.finally(() => (alive = false));
    while (alive) {
      if (await acceptsConnections(port)) opened = true;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { code } = await exited;

    const { stdout, stderr } = demo.output();
    expect(code).toBe(1);
    expect(stderr).toContain(
      'Demo failed to start: Migration 2 (broken, up) failed at broken-migrations/0002_broken.surql:4',
    );
    expect(stdout).not.toContain('Listening on');
    expect(opened).toBe(false);
  });

  it('starts, serves /health, /health/ready and the admin status, and exits 0 on SIGTERM and SIGINT; state persists', async () => {
    await linkDemoMigrations(work.dir);
    const port = await freePort();
    const settings = {
      ...database('data/demo.db'),
      PORT: String(port),
      ADMIN_TOKEN: TOKEN,
    };

    const first = startDemo(work.dir, settings);
    const url = await first.listening;
    expect(url).toContain(`:${port}`);
    expect(await acceptsConnections(port)).toBe(true);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { migrations: { status: 'up', currentVersion: 3, latestVersion: 3, pending: 0 } },
    });
    expect((await fetch(`${url}/admin/migrations`)).status).toBe(401);
    const status = await adminStatus(url);
    expect(status.currentVersion).toBe(3);
    expect(status.applied.map((a) => a.version)).toEqual([1, 2, 3]);
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.output().stderr).not.toContain('Demo failed to start');

    // Same database: nothing is applied again. Then roll everything back over HTTP.
    const second = startDemo(work.dir, settings);
    const url2 = await second.listening;
    expect((await adminStatus(url2)).applied).toEqual(status.applied);
    const rollback = await fetch(`${url2}/admin/migrations/rollback`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: 0 }),
    });
    expect(rollback.status).toBe(200);
    expect(((await rollback.json()) as { currentVersion: number }).currentVersion).toBe(0);
    second.child.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    // The downs left nothing behind that would stop the ups from running again.
    const third = startDemo(work.dir, settings);
    const url3 = await third.listening;
    expect((await adminStatus(url3)).currentVersion).toBe(3);
    third.child.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });
    expect(await acceptsConnections(port)).toBe(false);

    // Started by a shell script that `exec`s node, as the README recommends for containers: the
    // signal reaches the app, which exits 0 and lets go of the embedded database.
    const fourth = startDemo(work.dir, settings, true);
    await fourth.listening;
    fourth.child.kill('SIGTERM');
    expect(await fourth.exited).toEqual({ code: 0, signal: null });
    const fifth = startDemo(work.dir, settings);
    expect((await adminStatus(await fifth.listening)).currentVersion).toBe(3);
    fifth.child.kill('SIGTERM');
    expect(await fifth.exited).toEqual({ code: 0, signal: null });
  });
});

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
