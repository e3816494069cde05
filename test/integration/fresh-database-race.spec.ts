import { parseRpcError, type QueryResponse } from 'surrealdb';
import { MigrationManager } from '../../src/index.js';
import { BoundedClient, type QueryClient } from '../../src/core/db/session.js';
import { DatabaseUnreachableError } from '../../src/core/support/database-errors.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { memClient } from '../support/engine.js';
import { connectWs, RELAY_AUTH, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';

/** What SurrealDB 3 answered, for a whole request, to replicas reading a database it was still defining. */
const conflict = () =>
  parseRpcError({
    code: -32000,
    kind: 'Internal',
    message: 'Transaction conflict: Write conflict, retry the transaction. This transaction can be retried',
  });

/** A client of a real engine whose first `refusals` requests are refused whole with `error()`. */
function refusing(db: QueryClient, refusals: number, error: () => Error) {
  const sent: string[] = [];
  const client: QueryClient = {
    query(sql, vars) {
      sent.push(sql);
      if (sent.length <= refusals) return { responses: () => Promise.reject(error()) };
      return db.query(sql, vars);
    },
  };
  return { client, sent };
}

const unanswered = (attempts: number, cause: Error) => new DatabaseUnreachableError('test', attempts, cause, 'request');

describe('a request the server refuses whole with a transaction conflict', () => {
  it('is sent again by the bookkeeping client, and its answer is the one returned', async () => {
    const db = await memClient({ namespace: 'test', database: 'test' });
    try {
      await db.query('CREATE n:1 SET v = 7').responses();
      const { client, sent } = refusing(db, 3, conflict);
      const bounded = new BoundedClient(client, { attemptMs: 2_000, budgetMs: 2_000 }, unanswered);
      const responses: QueryResponse[] = await bounded.query('SELECT VALUE v FROM n').responses();
      expect(responses.map((r) => (r.success ? r.result : r.error.message))).toEqual([[7]]);
      expect(sent).toEqual(Array(4).fill('SELECT VALUE v FROM n'));
    } finally {
      await db.close();
    }
  });

  it('gives up after ten attempts with the server’s error, and never retries another error', async () => {
    const db = await memClient({ namespace: 'test', database: 'test' });
    try {
      const always = refusing(db, Infinity, conflict);
      const bounded = new BoundedClient(always.client, { attemptMs: 2_000, budgetMs: 2_000 }, unanswered);
      await expect(bounded.query('RETURN 1').responses()).rejects.toThrow(/can be retried/);
      expect(always.sent).toHaveLength(10);

      const other = refusing(db, 1, () => new Error('Not allowed'));
      const once = new BoundedClient(other.client, { attemptMs: 2_000, budgetMs: 2_000 }, unanswered);
      await expect(once.query('RETURN 1').responses()).rejects.toThrow('Not allowed');
      expect(other.sent).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});

describe('replicas booting at once on a database that does not exist yet', () => {
  let folder: TempMigrations;
  let relay: WsRelay;
  beforeAll(async () => {
    folder = await tempMigrations(
      Object.fromEntries(
        Array.from({ length: 5 }, (_, i) => [`000${i + 1}_t${i + 1}.surql`, `DEFINE TABLE t${i + 1} SCHEMALESS;`]),
      ),
    );
    relay = await startWsRelay({ path: 'mem://', ...RELAY_ROOT });
  });
  afterAll(async () => {
    await relay?.close();
    await folder?.dispose();
  });

  // A race: SurrealDB 3 refused about one round in seven before the bookkeeping client retried.
  it('all start, in every one of 20 rounds, and each migration is applied once', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      const database = `fresh${round}`;
      const managers = await Promise.all(
        Array.from({ length: 8 }, () =>
          MigrationManager.create({
            url: relay.url,
            namespace: 'race',
            database,
            auth: RELAY_AUTH,
            directory: folder.dir,
            logger: false,
            lock: { retryMs: 20 },
          }),
        ),
      );
      try {
        const settled = await Promise.allSettled(managers.map((m) => m.bootstrap()));
        const failed = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
        const applied = settled.flatMap((s) =>
          s.status === 'fulfilled' ? s.value.filter((r) => !r.byAnother).map((r) => r.version) : [],
        );
        outcomes.push(`${failed.join('; ') || 'ok'} ${applied.sort().join(',')}`);
      } finally {
        await Promise.all(managers.map((m) => m.close()));
      }
    }
    expect(outcomes).toEqual(Array(20).fill('ok 1,2,3,4,5'));
    const observer = await connectWs(relay.url, { namespace: 'race', database: 'fresh19' }, { auth: RELAY_AUTH });
    try {
      const [versions] = await observer.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version');
      expect(versions).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await observer.close();
    }
  });
});
