import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RecordId, Surreal, type QueryResponse } from 'surrealdb';
import WebSocket from 'ws';
import { startWsRelay, type WsRelay } from '../support/ws-relay.js';

const NS = 'relay_ns';
const DB = 'relay_db';
const PROBE = fileURLToPath(new URL('../support/ws-client-probe.mjs', import.meta.url));

function newClient(): Surreal {
  return new Surreal({ websocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
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

describe('ws relay (embedded engine over ws://)', () => {
  let relay: WsRelay;
  let a: Surreal;
  let b: Surreal;

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://' });
    a = newClient();
    b = newClient();
    await a.connect(relay.url, {
      namespace: NS,
      database: DB,
      authentication: { username: 'root', password: 'root' },
      reconnect: false,
    });
    await b.connect(relay.url, { namespace: NS, database: DB, reconnect: false });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await relay?.close();
  });

  it('serves ws://127.0.0.1:<port>/rpc', () => {
    expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}/rpc`);
    expect(relay.port).toBeGreaterThan(0);
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

  it('supports forked SDK sessions (checked in a plain node child: Uuid.v4() is broken under Jest vm modules)', async () => {
    const result = await runProbe(relay.url, 'sessions');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('supports SDK interactive transactions (begin/commit with txn ids)', async () => {
    await a.query('DEFINE TABLE item SCHEMALESS');
    const tx = await a.beginTransaction();
    await tx.query('CREATE item:1 SET v = 1');
    const [before] = await b.query<[unknown[]]>('SELECT * FROM item');
    expect(before).toEqual([]);
    await tx.commit();
    const [after] = await b.query<[unknown[]]>('SELECT * FROM item');
    expect(after).toHaveLength(1);
  });

  it('reports the real error of a failing statement inside BEGIN..COMMIT and writes nothing', async () => {
    await a.query('DEFINE TABLE txitem SCHEMALESS');
    const responses = await a
      .query('BEGIN; CREATE txitem:1 SET v = 1; THROW "boom"; CREATE txitem:2 SET v = 2; COMMIT;')
      .responses();
    const errors = failed(responses).map((r) => (r.success ? undefined : r.error));
    expect(errors.length).toBeGreaterThan(0);
    const thrown = errors.filter((e) => e?.kind === 'Thrown');
    expect(thrown).toHaveLength(1);
    expect(thrown[0]?.message).toContain('boom');
    // Every other statement of the block is reported as not executed / cancelled.
    for (const err of errors.filter((e) => e?.kind !== 'Thrown')) {
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
