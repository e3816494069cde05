import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RecordId, Surreal, Table, type LiveMessage, type QueryResponse } from 'surrealdb';
import WebSocket from 'ws';
import { defaultEngine, startWsRelay, type WsRelay, type WsRelayEngine } from '../support/ws-relay.js';
import { RpcClient } from '../support/ws-rpc-client.js';

const NS = 'relay_ns';
const DB = 'relay_db';
const PROBE = fileURLToPath(new URL('../support/ws-client-probe.mjs', import.meta.url));
const RELAY_CLI = fileURLToPath(new URL('../support/ws-relay-cli.mjs', import.meta.url));
const ENGINES: WsRelayEngine[] = ['v3', 'v2'];
const VERSION = { v3: /^surrealdb-3\./, v2: /^surrealdb-2\.6\.0$/ };

type ConnectOptions = Parameters<Surreal['connect']>[1];

async function connect(url: string, options: ConnectOptions = {}): Promise<Surreal> {
  const db = new Surreal({ websocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
  await db.connect(url, { reconnect: false, ...options });
  return db;
}

function failed(responses: QueryResponse[]): QueryResponse[] {
  return responses.filter((r) => !r.success);
}

function runProbe(url: string, mode = 'upsert'): Promise<{ pid: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, url, NS, DB, mode], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ pid: child.pid ?? -1, code, stderr }));
  });
}

/** The first notification of a live subscription. */
function firstMessage(subscription: { subscribe(handler: (message: LiveMessage) => void): unknown }) {
  return new Promise<LiveMessage>((resolve) => subscription.subscribe(resolve));
}

describe.each(ENGINES)('ws relay (embedded SurrealDB %s over ws://)', (engine) => {
  /** `it` on `wanted`, else a skip that says why in its name. */
  const only = (wanted: WsRelayEngine, why: string) =>
    engine === wanted ? it : (name: string, fn: () => Promise<void>) => it.skip(`${name} [${wanted} only: ${why}]`, fn);
  const onV3 = only('v3', 'SurrealDB 2 has no sessions nor RPC transactions');
  const onV2 = only('v2', 'what the wasm engine and SurrealDB 2 servers do');
  let relay: WsRelay;
  let a: Surreal;
  let b: Surreal;
  const opened: { close(): Promise<unknown> }[] = [];
  const open = async (options: ConnectOptions = {}) => {
    const db = await connect(relay.url, options);
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://', engine });
    a = await open({ namespace: NS, database: DB, authentication: { username: 'root', password: 'root' } });
    b = await open({ namespace: NS, database: DB });
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map((client) => client.close()));
    await relay?.close();
  });

  it('serves ws://127.0.0.1:<port>/rpc, answering `version` as its SurrealDB', async () => {
    expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}/rpc`);
    expect(relay.port).toBeGreaterThan(0);
    expect(relay.engine).toBe(engine);
    expect((await a.version()).version).toMatch(VERSION[engine]);
  });

  it('shares one database between clients', async () => {
    expect(a.accessToken).toEqual(expect.any(String));
    await a.query('CREATE person:tobie SET name = $name', { name: 'Tobie' });
    const [people] = await b.query<[{ id: RecordId; name: string }[]]>('SELECT * FROM person');
    expect(people).toEqual([{ id: new RecordId('person', 'tobie'), name: 'Tobie' }]);
  });

  it('keeps variables apart per connection', async () => {
    await a.set('who', 'a');
    const [whoA] = await a.query<[string]>('RETURN $who');
    const [whoB] = await b.query<[unknown]>('RETURN $who');
    expect(whoA).toBe('a');
    expect(whoB).toBeUndefined();
  });

  it('keeps namespaces, databases and variables apart per connection', async () => {
    const c = await open({ namespace: 'ns_c', database: 'db_c' });
    const d = await open({ namespace: 'ns_d', database: 'db_d' });
    await c.set('v', 'c');
    await d.set('v', 'd');
    await c.query('CREATE item:1 SET by = $v');
    await d.query('CREATE item:2 SET by = $v');
    const read = 'RETURN [session::ns(), session::db(), $v]; SELECT VALUE by FROM item';
    expect(await c.query(read)).toEqual([['ns_c', 'db_c', 'c'], ['c']]);
    expect(await d.query(read)).toEqual([['ns_d', 'db_d', 'd'], ['d']]);
    await d.unset('v');
    await d.use({ namespace: 'ns_c', database: 'db_c' });
    expect(await d.query(read)).toEqual([['ns_c', 'db_c', undefined], ['c']]);
    expect(await c.query(read)).toEqual([['ns_c', 'db_c', 'c'], ['c']]);
  });

  it('settles overlapping requests of several clients, each in its own state', async () => {
    const c = await open({ namespace: 'ns_c', database: 'db_c' });
    const d = await open({ namespace: 'ns_d', database: 'db_d' });
    const e = await open({ namespace: 'ns_e', database: 'db_e' });
    await c.set('who', 'c');
    await d.set('who', 'd');
    // All sent at once (one request per client but `a`): on v2 they queue behind the sleeper and
    // each runs in its own connection's state; on v3 they run beside it.
    const [slept, fromA, fromC, fromD, , fromB] = await Promise.all([
      a.query('SLEEP 200ms; RETURN $who').collect(),
      a.query('RETURN $who').collect(),
      c.query('RETURN [$who, session::db()]').collect(),
      d.query('CREATE overlap:1 SET who = $who RETURN VALUE who').collect(),
      e.use({ namespace: 'ns_c', database: 'db_c' }),
      b.query('RETURN [$who, session::db()]').collect(),
    ]);
    expect(slept).toEqual([undefined, 'a']);
    expect(fromA).toEqual(['a']);
    expect(fromC).toEqual([['c', 'db_c']]);
    expect(fromD).toEqual([['d']]);
    expect(fromB).toEqual([[undefined, DB]]);
    expect(await e.query('RETURN [$who, session::ns(), session::db()]')).toEqual([[undefined, 'ns_c', 'db_c']]);
  });

  it("sends a live query's notifications to the connection that started it, and to no other", async () => {
    // SurrealDB 3 starts no live query on a table that does not exist.
    await b.query('DEFINE TABLE IF NOT EXISTS person SCHEMALESS; DEFINE TABLE IF NOT EXISTS pet SCHEMALESS');
    const owner = await open({ namespace: NS, database: DB });
    const other = await RpcClient.open(relay.url);
    opened.push(other);
    expect((await other.call('use', [NS, DB])).error).toBeUndefined();
    const started = await other.call('query', ['LIVE SELECT * FROM pet']);
    expect(started).toMatchObject({ result: [{ status: 'OK', result: expect.anything() }] });
    const subscription = await owner.live(new Table('person'));
    const first = firstMessage(subscription);

    await b.query('CREATE person:live SET n = 1');
    expect(await first).toMatchObject({ action: 'CREATE', recordId: new RecordId('person', 'live') });
    await b.query('CREATE pet:1');
    // Were the person notification sent here too, it would have come before the pet one.
    const [only] = await other.notified(1);
    expect(other.notifications).toHaveLength(1);
    expect(only).toMatchObject({ action: 'CREATE', record: new RecordId('pet', 1) });
  });

  onV3(
    'supports forked SDK sessions (checked in a plain node child: Uuid.v4() is broken under Jest vm modules)',
    async () => {
      const result = await runProbe(relay.url, 'sessions');
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    },
  );

  onV3('supports SDK interactive transactions (begin/commit with txn ids)', async () => {
    await a.query('DEFINE TABLE item SCHEMALESS');
    const tx = await a.beginTransaction();
    await tx.query('CREATE item:1 SET v = 1');
    const [before] = await b.query<[unknown[]]>('SELECT * FROM item');
    expect(before).toEqual([]);
    await tx.commit();
    const [after] = await b.query<[unknown[]]>('SELECT * FROM item');
    expect(after).toHaveLength(1);
  });

  onV2('answers the RPC methods SurrealDB 2 lacks (begin, commit, attach) with "Method not found"', async () => {
    const raw = await RpcClient.open(relay.url);
    opened.push(raw);
    for (const method of ['begin', 'commit', 'attach']) {
      expect(await raw.call(method)).toEqual({
        id: expect.any(String),
        error: { code: -32601, message: 'Method not found' },
      });
    }
  });

  onV2('answers a failed request as a SurrealDB 2 server does (code -32000, no kind)', async () => {
    const raw = await RpcClient.open(relay.url);
    opened.push(raw);
    await raw.call('use', [NS, DB]);
    const { error } = await raw.call('query', ['SELECT FROM WHERE']);
    expect(error).toEqual({
      code: -32000,
      message: expect.stringMatching(/^There was a problem with the database: Parse error/),
    });
  });

  onV2('resets a connection (the wasm engine itself would crash on `reset`) and serves on', async () => {
    const raw = await RpcClient.open(relay.url);
    opened.push(raw);
    await raw.call('use', [NS, DB]);
    await raw.call('let', ['x', 1]);
    const read = async () => (await raw.call('query', ['RETURN [session::ns(), session::db()]; RETURN $x'])).result;
    expect(await read()).toMatchObject([{ result: [NS, DB] }, { result: 1 }]);
    expect(await raw.call('reset')).toEqual({ id: expect.any(String), result: null });
    // No namespace any more: reading $x (which may be a defined param) fails for want of one.
    expect(await read()).toMatchObject([{ result: [undefined, undefined] }, { status: 'ERR' }]);
    await raw.call('use', [NS, DB]);
    expect(await read()).toMatchObject([{ result: [NS, DB] }, { result: undefined }]);
    expect((await b.query('RETURN session::ns()'))[0]).toBe(NS);
  });

  onV2("keeps a query's USE NS/DB to that query, as SurrealDB 2 does, and to that connection", async () => {
    const [, , written] = await b.query('USE NS other_ns DB other_db; CREATE placed:1; RETURN session::db()');
    expect(written).toBe('other_db');
    expect(await b.query('RETURN session::db(); SELECT * FROM placed')).toEqual([DB, []]);
    const there = await open({ namespace: 'other_ns', database: 'other_db' });
    expect(await there.query('SELECT VALUE id FROM placed')).toEqual([[new RecordId('placed', 1)]]);
  });

  it('reports the real error of a failing statement inside BEGIN..COMMIT and writes nothing', async () => {
    await a.query('DEFINE TABLE txitem SCHEMALESS');
    const responses = await a
      .query('BEGIN; CREATE txitem:1 SET v = 1; THROW "boom"; CREATE txitem:2 SET v = 2; COMMIT;')
      .responses();
    const errors = failed(responses).map((r) => (r.success ? undefined : r.error));
    expect(errors.length).toBeGreaterThan(0);
    // SurrealDB 3 gives it kind Thrown; SurrealDB 2 has no kinds.
    const thrown = errors.filter((e) => e?.message.includes('boom'));
    expect(thrown).toHaveLength(1);
    if (engine === 'v3') expect(thrown[0]?.kind).toBe('Thrown');
    // Every other statement of the block is reported as not executed / cancelled.
    for (const err of errors.filter((e) => !e?.message.includes('boom'))) {
      expect(err?.message).toMatch(/not executed|cancelled/i);
    }
    const [rows] = await b.query<[unknown[]]>('SELECT * FROM txitem');
    expect(rows).toEqual([]);
  });

  it('lets exactly one of two racing transactions create the same record', async () => {
    const race = (who: string) => `BEGIN; CREATE lock:1 SET who = '${who}'; SLEEP 100ms; COMMIT;`;
    const [ra, rb] = await Promise.all([a.query(race('a')).responses(), b.query(race('b')).responses()]);
    const okA = failed(ra).length === 0;
    const okB = failed(rb).length === 0;
    expect(Number(okA) + Number(okB)).toBe(1);

    const loser = okA ? rb : ra;
    const loserErrors = failed(loser).map((r) => (r.success ? undefined : r.error));
    expect(loserErrors.length).toBeGreaterThan(0);
    for (const err of loserErrors) {
      expect(err?.kind).toMatch(/^(Internal|AlreadyExists|Query)$/);
      expect(err?.message).toMatch(/conflict|already exists|not executed|cancelled/i);
    }

    const [locks] = await a.query<[{ who: string }[]]>('SELECT who FROM lock');
    expect(locks).toEqual([{ who: okA ? 'a' : 'b' }]);
  });

  it('serves several OS processes at once', async () => {
    const results = await Promise.all([runProbe(relay.url), runProbe(relay.url), runProbe(relay.url)]);
    for (const result of results) {
      expect({ pid: result.pid, code: result.code, stderr: result.stderr }).toEqual({
        pid: result.pid,
        code: 0,
        stderr: '',
      });
    }
    const [rows] = await b.query<[{ pid: number }[]]>('SELECT pid FROM probe');
    expect(rows.map((r) => r.pid).sort()).toEqual(results.map((r) => r.pid).sort());
  });
});

describe.each(ENGINES)('ws relay with a root user (SurrealDB %s, user/pass)', (engine) => {
  const REFUSED = /Not enough permissions/;
  let relay: WsRelay;
  const opened: { close(): Promise<unknown> }[] = [];
  const open = async (options: ConnectOptions = {}) => {
    const db = await connect(relay.url, { namespace: NS, database: DB, ...options });
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://', engine, user: 'root', pass: 'secret' });
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map((client) => client.close()));
    await relay?.close();
  });

  it('refuses what runs statements until the connection signs in', async () => {
    const anonymous = await open();
    expect((await anonymous.version()).version).toMatch(VERSION[engine]);
    await expect(anonymous.query('CREATE secret:1')).rejects.toThrow(REFUSED);
    await expect(anonymous.select(new Table('secret'))).rejects.toThrow(REFUSED);
    await expect(anonymous.create(new RecordId('secret', 2))).rejects.toThrow(REFUSED);
    const raw = await RpcClient.open(relay.url);
    opened.push(raw);
    expect((await raw.call('use', [NS, DB])).error).toBeUndefined();
    for (const [method, params] of [
      ['live', ['secret']],
      ['info', undefined],
    ] as const) {
      expect((await raw.call(method, params ? [...params] : undefined)).error?.message).toMatch(REFUSED);
    }
    const root = await open({ authentication: { username: 'root', password: 'secret' } });
    const [info] = await root.query<[{ tables: Record<string, unknown> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).toEqual([]);
  });

  it('refuses a wrong password, and accepts the right one', async () => {
    const client = await open();
    await expect(client.signin({ username: 'root', password: 'wrong' })).rejects.toThrow(/problem with authentication/);
    await expect(client.query('RETURN 1')).rejects.toThrow(REFUSED);
    const tokens = await client.signin({ username: 'root', password: 'secret' });
    expect(tokens.access).toEqual(expect.any(String));
    expect(await client.query('CREATE signed:1 RETURN VALUE id')).toEqual([[new RecordId('signed', 1)]]);
  });

  it('keeps a sign-in to its connection, and accepts the token it issued on another', async () => {
    const first = await open();
    const second = await open();
    const { access } = await first.signin({ username: 'root', password: 'secret' });
    // Overlapping: on v2 the engine's one session was just signed in for `first`.
    const [ok, refused] = await Promise.allSettled([first.query('RETURN 1'), second.query('RETURN 2')]);
    expect(ok).toEqual({ status: 'fulfilled', value: [1] });
    expect(refused).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(REFUSED) } });
    const third = await open();
    await third.authenticate(access);
    expect(await third.query('RETURN 3')).toEqual([3]);
    await first.invalidate();
    await expect(first.query('RETURN 1')).rejects.toThrow(REFUSED);
    await expect(second.query('RETURN 2')).rejects.toThrow(REFUSED);
  });
});

describe('ws relay engine choice', () => {
  it('defaults to SURREALDB_ENGINE: v2 when it says v2, else v3', () => {
    const saved = process.env.SURREALDB_ENGINE;
    try {
      process.env.SURREALDB_ENGINE = 'v2';
      expect(defaultEngine()).toBe('v2');
      process.env.SURREALDB_ENGINE = 'v3';
      expect(defaultEngine()).toBe('v3');
      delete process.env.SURREALDB_ENGINE;
      expect(defaultEngine()).toBe('v3');
    } finally {
      if (saved === undefined) delete process.env.SURREALDB_ENGINE;
      else process.env.SURREALDB_ENGINE = saved;
    }
  });

  it('refuses an engine it does not know, and a v2 path other than mem://', async () => {
    await expect(startWsRelay({ path: 'mem://', engine: 'v4' as WsRelayEngine })).rejects.toThrow(/'v2' or 'v3'/);
    await expect(startWsRelay({ path: 'surrealkv:///tmp/x', engine: 'v2' })).rejects.toThrow(/mem:\/\/ only/);
  });
});

describe('ws-relay-cli.mjs', () => {
  it('serves SurrealDB 2 with a root user (--engine v2 --user root --pass root) and prints READY <url>', async () => {
    const child = spawn(process.execPath, [RELAY_CLI, '--engine', 'v2', '--user', 'root', '--pass', 'root'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const url = /^READY (ws:\/\/127\.0\.0\.1:\d+\/rpc)$/.exec(line)?.[1];
      expect(url).toBeDefined();
      const anonymous = await connect(url!, { namespace: NS, database: DB });
      const root = await connect(url!, {
        namespace: NS,
        database: DB,
        authentication: { username: 'root', password: 'root' },
      });
      try {
        expect((await anonymous.version()).version).toBe('surrealdb-2.6.0');
        await expect(anonymous.query('RETURN 1')).rejects.toThrow(/Not enough permissions/);
        expect(await root.query('RETURN 1')).toEqual([1]);
      } finally {
        await anonymous.close();
        await root.close();
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
