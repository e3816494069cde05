import { spawn } from 'node:child_process';
import path from 'node:path';
import { CborCodec, Surreal } from 'surrealdb';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { lastJson, startNode, supportDir, type Child } from '../support/child.js';
import { itOn } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { CLI, cliProject, type CliProject } from './cli-harness.js';

/**
 * A server that stops answering: the ws-relay runs in a process of its own and is paused with
 * SIGSTOP, so its sockets stay open and requests are accepted by the kernel, but nothing answers.
 * Where the exact moment matters (the first history read, a migration's request on its way), the
 * CLI talks to the relay through a proxy in this process that sees every request as it passes.
 *
 * The CLI cannot set `lock.ttlMs` (30 s by default), so a stall mid-migration takes that long to be
 * reported; the library test below uses a short lease instead.
 */

const relayCli = path.join(supportDir, 'ws-relay-cli.mjs');
const fleetChild = path.join(supportDir, 'fleet-child.mjs');

/**
 * The password of the relay's root user: the relay requires the sign-in, as `surreal start --user
 * root --pass ...` does. It must never be printed.
 */
const PASSWORD = 'stall-pw-7Qx93k';
/** That sign-in as the product's `auth` option and the SDK's `authentication`. */
const AUTH = { username: 'root', password: PASSWORD };

const children: Child[] = [];
const track = (child: Child): Child => {
  children.push(child);
  return child;
};

/** A ws-relay in a process of its own, so that it can be paused like a stalled server. */
async function startRelay(): Promise<{ child: Child; url: string }> {
  const child = track(startNode(relayCli, ['--path', 'mem://', '--user', AUTH.username, '--pass', PASSWORD]));
  await child.waitFor(/READY ws:\S+\n/);
  return { child, url: /READY (ws:\S+)/.exec(child.stdout())![1]! };
}

/** `ws://127.0.0.1:PORT/rpc` with root credentials in it. */
const withCredentials = (url: string) => url.replace('ws://', `ws://root:${PASSWORD}@`);

/** One RPC request as the proxy saw it. */
interface Rpc {
  method: string;
  /** The first parameter of a `query`: its SurrealQL. */
  sql: string | undefined;
}

interface Proxy {
  url: string;
  requests: Rpc[];
  /** Resolves with the first request (seen so far or later) that `match` accepts. */
  request(match: (rpc: Rpc) => boolean): Promise<Rpc>;
  close(): Promise<void>;
}

/** A proxy to `relay` that pauses it (SIGSTOP) as the first query that `at` picks reaches it. */
function pausingProxy(relay: { child: Child; url: string }, at: (rpc: Rpc) => boolean): Promise<Proxy> {
  let paused = false;
  return startProxy(relay.url, (rpc) => {
    if (rpc.method === 'query' && at(rpc) && !paused) {
      paused = true;
      relay.child.kill('SIGSTOP');
    }
  });
}

/** The connection's look-up of its namespace and database, made while it connects (SurrealDB 3). */
function isLookUp(rpc: Rpc): boolean {
  return /^INFO FOR (ROOT|NS)$/.test(rpc.sql ?? '');
}

/**
 * A WebSocket proxy to `upstream` that forwards every frame both ways. `beforeForward` sees each
 * client request before it is passed on.
 */
async function startProxy(upstream: string, beforeForward: (rpc: Rpc) => void = () => {}): Promise<Proxy> {
  const codec = new CborCodec({});
  const requests: Rpc[] = [];
  const waiters: { match: (rpc: Rpc) => boolean; resolve: (rpc: Rpc) => void }[] = [];
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('cbor') ? 'cbor' : false),
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (client) => {
    const server = new WebSocket(upstream, 'cbor');
    sockets.add(client).add(server);
    const queued: RawData[] = [];
    server.on('open', () => queued.splice(0).forEach((frame) => server.send(frame)));
    server.on('message', (frame) => client.send(frame));
    client.on('message', (frame) => {
      const rpc = decode(codec, frame);
      requests.push(rpc);
      for (const waiter of [...waiters]) {
        if (waiter.match(rpc)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(rpc);
        }
      }
      beforeForward(rpc);
      if (server.readyState === WebSocket.OPEN) server.send(frame);
      else queued.push(frame);
    });
    client.on('close', () => server.terminate());
    server.on('close', () => client.terminate());
    client.on('error', () => {});
    server.on('error', () => {});
  });
  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/rpc`,
    requests,
    request: (match) => {
      const seen = requests.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function decode(codec: CborCodec, frame: RawData): Rpc {
  const buffer = Array.isArray(frame) ? Buffer.concat(frame) : Buffer.from(frame as ArrayBuffer);
  // A copy in this realm: the SDK's decoder relies on `instanceof Uint8Array`.
  const request = codec.decode<{ method?: unknown; params?: unknown[] }>(Uint8Array.from(buffer));
  const sql = request.method === 'query' ? request.params?.[0] : undefined;
  return { method: String(request.method), sql: typeof sql === 'string' ? sql : undefined };
}

/** A `surreal-migrate` process whose stdout and stderr can both be waited on. */
interface CliProcess {
  stdout(): string;
  stderr(): string;
  exited: Promise<number | string>;
  waitFor(stream: 'stdout' | 'stderr', text: string | RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

function startCli(cwd: string, args: string[]): CliProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SURREAL_') && key !== 'NO_COLOR' && key !== 'FORCE_COLOR') env[key] = value;
  }
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; test: string | RegExp; resolve: () => void }[] = [];
  const matches = (stream: 'stdout' | 'stderr', test: string | RegExp) =>
    typeof test === 'string' ? text[stream].includes(test) : test.test(text[stream]);
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].on('data', (chunk: Buffer) => {
      text[stream] += chunk.toString();
      for (const waiter of [...waiters]) {
        if (waiter.stream === stream && matches(stream, waiter.test)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitFor: (stream, test) =>
      matches(stream, test)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ stream, test, resolve });
            void exited.then((code) =>
              reject(
                new Error(
                  `exited (${code}) before printing ${String(test)} on ${stream}\n` +
                    `stdout: ${text.stdout}\nstderr: ${text.stderr}`,
                ),
              ),
            );
          }),
    kill: (signal) => child.kill(signal),
  };
}

/** A client of the relay's database, signed in, to look at what a run left. */
async function connectWs(url: string): Promise<Surreal> {
  const db = new Surreal({ websocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
  await db.connect(url, { namespace: 'test', database: 'test', reconnect: false, authentication: { ...AUTH } });
  return db;
}

const connection = (url: string) => ['--url', withCredentials(url), '--ns', 'test', '--db', 'test'];

describe('surreal-migrate against a server that stops answering', () => {
  let project: CliProject | undefined;
  let proxy: Proxy | undefined;

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    // SIGKILL ends a paused process too.
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await project?.dispose();
    project = undefined;
  });

  it('mid-migration: gives up on its own, says the connection looks stalled and the outcome is unknown, exits 1', async () => {
    project = await cliProject({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0002_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 600s;\nCREATE slow:done;',
    });
    const relay = await startRelay();
    const cli = startCli(project.root, [
      'up',
      ...connection(relay.url),
      '--lock-timeout',
      '1000',
      '--connect-timeout',
      '1000',
    ]);
    // 0001 committed; the next thing the run sends is 0002's request. Whether it left before the
    // pause or not, nothing on the connection is answered from now on.
    await cli.waitFor('stdout', /0001_a\.surql in/);
    relay.child.kill('SIGSTOP');

    // Reported after lock.waitTimeoutMs + the 30 s lease; the exit then also waits for the SDK's
    // close of the stalled socket (the ws close handshake times out after 30 s).
    expect(await cli.exited).toBe(1);
    const output = cli.stdout() + cli.stderr();
    expect(cli.stdout()).toMatch(/failed\s+2\s+slow\s+\S*0002_slow\.surql/);
    expect(cli.stderr()).toMatch(/error: Migration 2 \(slow, up\) failed at \S*0002_slow\.surql: /);
    expect(cli.stderr()).toMatch(/not even the lock's renewals: the connection looks stalled/);
    expect(cli.stderr()).toMatch(/whether it committed is unknown\. Check `surreal-migrate status`/);
    expect(output).not.toContain(PASSWORD);
  }, 180_000);

  it('status: a history read that gets no answer is re-sent, then fails with DATABASE_UNREACHABLE, exit 3', async () => {
    project = await cliProject({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const relay = await startRelay();
    // A database that exists (one that does not is read without a request there).
    const applied = startCli(project.root, ['up', ...connection(relay.url)]);
    expect(await applied.exited).toBe(0);
    // The relay pauses as the first query of the run (the history read) reaches it: the
    // connection, its sign-in, the look-up of its namespace and database and `use` were answered.
    proxy = await pausingProxy(relay, (rpc) => !isLookUp(rpc));
    const cli = startCli(project.root, [
      'status',
      '--json',
      ...connection(proxy.url),
      '--lock-timeout',
      '2500',
      '--connect-timeout',
      '1000',
    ]);

    expect(await cli.exited).toBe(3);
    const document = JSON.parse(cli.stdout()) as { ok: boolean; command: string; error: Record<string, unknown> };
    expect(document).toMatchObject({ ok: false, command: 'status', error: { code: 'DATABASE_UNREACHABLE' } });
    const error = document.error as { url: string; attempts: number; message: string };
    expect(error.url).toBe(proxy.url);
    expect(error.message).toMatch(
      /^SurrealDB at ws:\/\/127\.0\.0\.1:\d+\/rpc stopped answering: a request sent \d+ time\(s\) got no answer within 1000 ms/,
    );
    // The CLI's advice names its own flags.
    expect(error.message).toMatch(/--connect-timeout.*--lock-timeout/);
    // Each attempt re-sent the same read (status's first query: is the database empty?).
    const queries = proxy.requests.filter((rpc) => rpc.method === 'query' && !isLookUp(rpc));
    expect(error.attempts).toBeGreaterThanOrEqual(2);
    expect(queries).toHaveLength(error.attempts);
    expect(new Set(queries.map((rpc) => rpc.sql)).size).toBe(1);
    expect(queries[0]!.sql).toMatch(/INFO FOR DB/);
    expect(proxy.requests.map((rpc) => rpc.method)).toContain('signin');
    expect(cli.stdout() + cli.stderr()).not.toContain(PASSWORD);
  });

  itOn(['v3'], "SurrealDB 2's use creates nothing, so its connection looks nothing up")(
    'status: a server that stops answering while the connection looks up its database fails within the connect budget, exit 3',
    async () => {
      project = await cliProject({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
      const relay = await startRelay();
      proxy = await pausingProxy(relay, isLookUp);
      const cli = startCli(project.root, [
        'status',
        '--json',
        ...connection(proxy.url),
        '--connect-timeout',
        '1000',
        '--connect-retries',
        '1',
      ]);
      expect(await cli.exited).toBe(3);
      const document = JSON.parse(cli.stdout()) as { error: { code: string; message: string } };
      expect(document.error.code).toBe('DATABASE_UNREACHABLE');
      expect(document.error.message).toMatch(
        /^Cannot reach SurrealDB at ws:\/\/127\.0\.0\.1:\d+\/rpc after 2 attempt\(s\): no answer within 1000 ms/,
      );
      expect(proxy.requests.some((rpc) => rpc.method === 'query' && isLookUp(rpc))).toBe(true);
      expect(cli.stdout() + cli.stderr()).not.toContain(PASSWORD);
    },
  );

  itOn(
    ['v3'],
    "overlapping requests: the history is read while the migration's SLEEP 600s still runs on the server, and the " +
      'embedded SurrealDB 2 (wasm) serves one request at a time',
  )(
    'a second SIGTERM during a long migration exits 143 at once, without waiting for it or releasing the lock',
    async () => {
      project = await cliProject({
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
        '0002_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 600s;\nCREATE slow:done;',
      });
      const relay = await startRelay();
      proxy = await startProxy(relay.url);
      const cli = startCli(project.root, ['up', ...connection(proxy.url)]);
      // 0002's request is on its way: the run is inside the long migration.
      await proxy.request((rpc) => rpc.sql?.includes('SLEEP 600s') === true);

      cli.kill('SIGTERM');
      await cli.waitFor('stderr', 'SIGTERM: stopping after the current migration (again to exit at once)');
      cli.kill('SIGTERM');
      expect(await cli.exited).toBe(143);
      expect(cli.stdout()).toMatch(/0001_a\.surql in/);
      expect(cli.stdout()).not.toMatch(/Stopped by SIGTERM/);

      // 0002 is still sleeping on the server: not committed, and the lease was left to expire.
      const db = await connectWs(relay.url);
      try {
        const [versions, lock] = await db.query<[number[], unknown[]]>(
          'SELECT VALUE version FROM _sbl_migrations ORDER BY version; SELECT * FROM _sbl_migrations_lock',
        );
        expect(versions).toEqual([1]);
        expect(lock).toHaveLength(1);
      } finally {
        await db.close();
      }
    },
  );
});

describe('a long migration on a server that keeps answering', () => {
  let folder: TempMigrations | undefined;
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await folder?.dispose();
    folder = undefined;
  });

  itOn(
    ['v3'],
    "overlapping requests: the lock's renewals are answered during the migration's SLEEP, and the embedded " +
      'SurrealDB 2 (wasm) serves one request at a time',
  )(
    'is not taken for a stall: its statement runs far past waitTimeoutMs + ttlMs while renewals are answered',
    async () => {
      // The stall limit is 500 + 1000 ms; the statement sleeps more than three times as long.
      folder = await tempMigrations({
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
        '0002_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 5s;\nCREATE slow:done;',
      });
      const relay = await startRelay();
      const options = { auth: AUTH, lock: { ttlMs: 1000, waitTimeoutMs: 500 }, connect: { timeoutMs: 1000 } };
      const replica = track(startNode(fleetChild, [relay.url, folder.dir, JSON.stringify(options)]));

      expect(await replica.exited).toBe(0);
      const report = lastJson<{ ok: boolean; applied: { version: number; byAnother: boolean }[] }>(replica);
      expect(report.applied.map((a) => [a.version, a.byAnother])).toEqual([
        [1, false],
        [2, false],
      ]);
      expect(replica.stderr()).not.toMatch(/stalled/);

      const db = await connectWs(relay.url);
      try {
        const [done] = await db.query<[unknown[]]>('SELECT * FROM slow');
        expect(done).toHaveLength(1);
      } finally {
        await db.close();
      }
    },
  );
});
