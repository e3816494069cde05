import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import path from 'node:path';
import { Surreal } from 'surrealdb';
import {
  DatabaseUnreachableError,
  MigrationLockError,
  MigrationManager,
  MigrationsModule,
  PendingMigrationsError,
} from '../../src/index.js';
import { lastJson, startNode, supportDir } from '../support/child.js';
import { tempDir, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { connectWs, RELAY_AUTH, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';
import { ENGINE, itOn, MEM, memClient } from '../support/engine.js';

const fleetChild = path.join(supportDir, 'fleet-child.mjs');
const nestChild = path.join(supportDir, 'nest-child.mjs');

/** Five migrations whose effects are not idempotent: each run adds a row to `effect`. */
const counted: Record<string, string> = {
  '0001_effects.surql': 'DEFINE TABLE effect SCHEMALESS;\nCREATE effect SET m = 1;',
  '0002_a.surql': 'DEFINE TABLE a SCHEMALESS;\nCREATE effect SET m = 2;',
  '0003_b.surql': 'DEFINE TABLE b SCHEMALESS;\nCREATE effect SET m = 3;',
  '0004_c.surql': 'DEFINE TABLE c SCHEMALESS;\nCREATE effect SET m = 4;',
  '0005_d.surql': 'DEFINE TABLE d SCHEMALESS;\nCREATE effect SET m = 5;',
};

async function effectCounts(db: Surreal): Promise<Record<number, number>> {
  const [rows] = await db.query<[{ m: number; n: number }[]]>('SELECT m, count() AS n FROM effect GROUP BY m');
  return Object.fromEntries(rows.map((r) => [r.m, r.n]));
}

/** What a run left behind: each migration's effects, the applied versions, and the lock record. */
async function outcome(db: Surreal): Promise<{ effects: Record<number, number>; versions: number[]; lock: unknown[] }> {
  const [versions, lock] = await db.query<[number[], unknown[]]>(
    'SELECT VALUE version FROM _sbl_migrations ORDER BY version; SELECT * FROM _sbl_migrations_lock',
  );
  return { effects: await effectCounts(db), versions, lock };
}

const allFive = { effects: { 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 }, versions: [1, 2, 3, 4, 5], lock: [] };

/**
 * Every relay here requires the root sign-in, as `surreal start --user root --pass root` does;
 * every client of it signs in.
 */
const startRelay = () => startWsRelay({ path: 'mem://', ...RELAY_ROOT });

/** A second client of the relay's database (signed in as root), to look at the outcome. */
const connectRelay = (relay: WsRelay) =>
  connectWs(relay.url, { namespace: 'test', database: 'test' }, { auth: RELAY_AUTH });

/** The JSON report that fleet-child.mjs prints last. */
const report = lastJson;

async function openSurrealKv(url: string): Promise<Surreal> {
  const { createNodeEngines } = await import('@surrealdb/node');
  const db = new Surreal({ engines: createNodeEngines() });
  await db.connect(url, { namespace: 'test', database: 'test' });
  return db;
}

async function connectMem(): Promise<Surreal> {
  return memClient({ namespace: 'test', database: 'test' });
}

describe('fleet safety', () => {
  let folder: TempMigrations;
  afterEach(async () => folder?.dispose());

  it('10 Nest apps racing on one database through a shared client apply each migration once', async () => {
    folder = await tempMigrations(counted);
    const db = await connectMem();
    const acquired: number[] = [];
    const apps: INestApplication[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const moduleRef = await Test.createTestingModule({
          imports: [
            MigrationsModule.forRoot({
              client: db,
              directory: folder.dir,
              logger: false,
              lock: { retryMs: 10 },
              on: { lockAcquired: () => acquired.push(i) },
            }),
          ],
        }).compile();
        apps.push(moduleRef.createNestApplication({ logger: false }));
      }
      await Promise.all(apps.map((app) => app.init()));

      expect(await outcome(db)).toEqual(allFive);
      expect(acquired.length).toBeGreaterThanOrEqual(1);
      for (const app of apps) expect(await app.get(MigrationManager).needsMigration()).toBe(false);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await db.close();
    }
  });

  it('6 processes against one ws:// server apply each migration once, and all exit 0', async () => {
    folder = await tempMigrations(counted);
    const relay: WsRelay = await startRelay();
    try {
      const children = Array.from({ length: 6 }, () =>
        startNode(fleetChild, [relay.url, folder.dir, JSON.stringify({ auth: RELAY_AUTH, lock: { retryMs: 20 } })]),
      );
      const codes = await Promise.all(children.map((c) => c.exited));
      expect({ codes, errors: children.filter((c, i) => codes[i] !== 0).map((c) => c.stdout() + c.stderr()) }).toEqual({
        codes: [0, 0, 0, 0, 0, 0],
        errors: [],
      });
      const results = children.map((c) => report<{ applied: { version: number; byAnother: boolean }[] }>(c));
      const appliedHere = results.flatMap((r) => r.applied.filter((a) => !a.byAnother).map((a) => a.version)).sort();
      expect(appliedHere).toEqual([1, 2, 3, 4, 5]);

      const db = await connectRelay(relay);
      try {
        expect(await outcome(db)).toEqual(allFive);
      } finally {
        await db.close();
      }
    } finally {
      await relay.close();
    }
  });

  itOn(['v3'], 'the embedded SurrealDB 2 runs one request at a time: no takeover can land during the holder’s SLEEP')(
    'a holder killed mid-migration is taken over after the ttl, even when its transaction commits later',
    async () => {
      folder = await tempMigrations({
        ...counted,
        // The holder is killed during this sleep, but the server keeps running its request and
        // commits it while the next replica, which took over, applies the same version.
        '0002_a.surql': 'DEFINE TABLE a SCHEMALESS;\nSLEEP 2500ms;\nCREATE effect SET m = 2;',
      });
      const relay = await startRelay();
      try {
        const lock = { ttlMs: 600, retryMs: 50 };
        const first = startNode(fleetChild, [relay.url, folder.dir, JSON.stringify({ auth: RELAY_AUTH, lock })]);
        await first.waitFor('LOCKED');
        // Give it time to apply 0001 and send 0002.
        await new Promise((resolve) => setTimeout(resolve, 400));
        first.kill('SIGKILL');
        expect(await first.exited).toBe('SIGKILL');

        const second = startNode(fleetChild, [relay.url, folder.dir, JSON.stringify({ auth: RELAY_AUTH, lock })]);
        expect(await second.exited).toBe(0);
        expect(second.stderr()).toMatch(/Took over an expired migration lock/);
        // The dead holder's commit of 0002 landed first; the fence made this replica's attempt
        // fail and roll back, and it carried on.
        expect(
          report<{ applied: { version: number; byAnother: boolean }[] }>(second).applied.map((a) => [
            a.version,
            a.byAnother,
          ]),
        ).toEqual([
          [2, true],
          [3, false],
          [4, false],
          [5, false],
        ]);

        const db = await connectRelay(relay);
        try {
          expect(await outcome(db)).toEqual(allFive);
        } finally {
          await db.close();
        }
      } finally {
        await relay.close();
      }
    },
  );

  it('on SIGTERM mid-run, lets the current migration commit, applies no more, and releases the lock', async () => {
    folder = await tempMigrations({
      ...counted,
      '0002_a.surql': 'DEFINE TABLE a SCHEMALESS;\nSLEEP 1500ms;\nCREATE effect SET m = 2;',
    });
    // A store that outlives the app's process: a file on SurrealDB 3, the relay's datastore on 2.
    const data = await tempDir();
    const relay = ENGINE === 'v2' ? await startRelay() : undefined;
    const url = relay ? relay.url : `surrealkv://${data.dir}/db`;
    try {
      const app = startNode(nestChild, [url, folder.dir, JSON.stringify(relay ? { auth: RELAY_AUTH } : {})]);
      await app.waitFor('MIGRATING 2');
      app.kill('SIGTERM');
      expect(await app.exited).toBe('SIGTERM');
      expect(app.stdout()).not.toContain('MIGRATING 3');

      const db = relay ? await connectRelay(relay) : await openSurrealKv(url);
      try {
        expect(await outcome(db)).toEqual({ effects: { 1: 1, 2: 1 }, versions: [1, 2], lock: [] });
      } finally {
        await db.close();
      }
    } finally {
      await relay?.close();
      await data.dispose();
    }
  });

  itOn(['v3'], 'a file-backed embedded database (surrealkv://); the embedded SurrealDB 2 is in memory only')(
    'reports an embedded database held by another process within the connect budget',
    async () => {
      folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
      const data = await tempDir();
      const url = `surrealkv://${data.dir}/db`;
      const holder = startNode(nestChild, [url, folder.dir]);
      try {
        await holder.waitFor('READY');
        const second = startNode(fleetChild, [
          url,
          folder.dir,
          JSON.stringify({ connect: { timeoutMs: 800, retries: 1, backoffMs: 10 } }),
        ]);
        expect(await second.exited).toBe(1);
        const failure = report<{ code: string; message: string }>(second);
        expect(failure.code).toBe('DATABASE_UNREACHABLE');
        expect(failure.message).toMatch(/another process may hold this embedded database open/);
      } finally {
        holder.kill('SIGTERM');
        await holder.exited;
        await data.dispose();
      }
    },
  );

  describe('the lock', () => {
    const planted =
      "CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'other-host', pid: 4242, token: 'tok-1' }, acquired_at: time::now(), expires_at: time::now() + 1h }";

    it('times out waiting for a live holder, naming it; forceUnlock frees it', async () => {
      folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
      const manager = await MigrationManager.create({
        ...MEM,
        namespace: 'test',
        database: 'test',
        directory: folder.dir,
        logger: false,
        lock: { waitTimeoutMs: 300, retryMs: 20 },
      });
      try {
        await manager.db.query(planted);
        const error = await manager.runMigrationUp().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationLockError);
        expect((error as MigrationLockError).code).toBe('LOCK_TIMEOUT');
        expect((error as Error).message).toMatch(/held by other-host pid 4242 \(tok-1\) until \d{4}-/);
        expect(await manager.getCurrentVersion()).toBe(0);

        expect(await manager.lockHolder()).toMatchObject({ host: 'other-host', pid: 4242 });
        expect(await manager.forceUnlock()).toMatchObject({ host: 'other-host', pid: 4242, token: 'tok-1' });
        expect(await manager.lockHolder()).toBeUndefined();
        await manager.runMigrationUp();
        expect(await manager.getCurrentVersion()).toBe(1);
      } finally {
        await manager.close();
      }
    });

    it('is not taken when nothing is pending: a current app boots while another process holds it', async () => {
      folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
      const manager = await MigrationManager.create({
        ...MEM,
        namespace: 'test',
        database: 'test',
        directory: folder.dir,
        logger: false,
        lock: { waitTimeoutMs: 100 },
      });
      try {
        await manager.runMigrationUp();
        await manager.db.query(planted);
        await expect(manager.bootstrap()).resolves.toEqual([]);
        expect(await manager.lockHolder()).toMatchObject({ token: 'tok-1' });
      } finally {
        await manager.close();
      }
    });

    it('is renewed while a long migration runs, so a waiting replica never takes it over', async () => {
      folder = await tempMigrations({
        '0001_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 1200ms;\nCREATE effect SET m = 1;',
      });
      const db = await connectMem();
      const takeovers: unknown[] = [];
      const create = () =>
        MigrationManager.create({
          client: db,
          directory: folder.dir,
          logger: false,
          lock: { ttlMs: 300, retryMs: 20 },
          on: { lockAcquired: (e) => e.tookOver && takeovers.push(e.tookOver) },
        });
      const [a, b] = await Promise.all([create(), create()]);
      try {
        const first = a.runMigrationUp();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const [resultsA, resultsB] = await Promise.all([first, b.runMigrationUp()]);
        expect(takeovers).toEqual([]);
        expect(resultsA.map((r) => r.version)).toEqual([1]);
        expect(resultsB).toEqual([]);
        expect(await effectCounts(db)).toEqual({ 1: 1 });
      } finally {
        await a.close();
        await b.close();
        await db.close();
      }
    });
    itOn(
      ['v3'],
      'the embedded SurrealDB 2 runs one request at a time: the waiter reads the history only once the holder is done',
    )(
      'wakes a waiting replica when the lease is released, long before its next poll',
      async () => {
        folder = await tempMigrations({
          '0001_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 300ms;\nCREATE effect SET m = 1;',
        });
        const db = await connectMem();
        const waits: number[] = [];
        const create = (retryMs: number) =>
          MigrationManager.create({
            client: db,
            directory: folder.dir,
            logger: false,
            lock: { retryMs, waitTimeoutMs: 600_000 },
            on: { lockWaiting: () => waits.push(retryMs) },
          });
        const [holder, waiter] = await Promise.all([create(10), create(60_000)]);
        try {
          const first = holder.runMigrationUp();
          await new Promise((resolve) => setTimeout(resolve, 50));
          // With a 60 s poll interval, only the live query on the lease can end this wait within
          // the test's timeout.
          const [, waited] = await Promise.all([first, waiter.runMigrationUp()]);
          expect(waits).toEqual([60_000]);
          expect(waited).toEqual([]);
          expect(await effectCounts(db)).toEqual({ 1: 1 });
        } finally {
          await holder.close();
          await waiter.close();
          await db.close();
        }
      },
      20_000,
    );
  });

  describe("mode 'validate'", () => {
    it('fails bootstrap while anything is pending, and starts once nothing is', async () => {
      folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
      const db = await connectMem();
      try {
        const make = async (mode: 'validate' | 'apply') => {
          const moduleRef = await Test.createTestingModule({
            imports: [MigrationsModule.forRoot({ client: db, directory: folder.dir, mode, logger: false })],
          }).compile();
          return moduleRef.createNestApplication({ logger: false });
        };
        const validating = await make('validate');
        const error = await validating.init().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PendingMigrationsError);
        expect((error as Error).message).toMatch(/0001_a\.surql/);
        const [info] = await db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
        expect(Object.keys(info.tables)).toEqual([]);
        await validating.close();

        const applying = await make('apply');
        await applying.init();
        await applying.close();

        const validOnceCurrent = await make('validate');
        await expect(validOnceCurrent.init()).resolves.toBeDefined();
        await validOnceCurrent.close();
      } finally {
        await db.close();
      }
    });
  });

  it('does not retry credentials the server refused', async () => {
    folder = await tempMigrations({ '0001_a.surql': '' });
    const relay = await startRelay();
    try {
      const admin = await connectRelay(relay);
      await admin.query("DEFINE USER deployer ON ROOT PASSWORD 'right-one' ROLES OWNER");
      await admin.close();
      const warnings: string[] = [];
      const error = await MigrationManager.create({
        url: relay.url,
        namespace: 'test',
        database: 'test',
        auth: { username: 'deployer', password: 'wrong-one' },
        directory: folder.dir,
        connect: { retries: 3, backoffMs: 10 },
        logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnreachableError);
      expect((error as DatabaseUnreachableError).attempts).toBe(1);
      expect(warnings).toEqual([]);
      expect((error as Error).message).not.toContain('wrong-one');
    } finally {
      await relay.close();
    }
  });

  it('gives up on an unreachable database after bounded retries, with a clear error', async () => {
    folder = await tempMigrations({ '0001_a.surql': '' });
    const warnings: string[] = [];
    const error = await MigrationManager.create({
      url: 'ws://user:s3cret@127.0.0.1:1/rpc',
      namespace: 'test',
      database: 'test',
      directory: folder.dir,
      connect: { retries: 2, backoffMs: 10, timeoutMs: 2000 },
      logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    const e = error as DatabaseUnreachableError;
    expect(e.code).toBe('DATABASE_UNREACHABLE');
    expect(e.attempts).toBe(3);
    expect(warnings).toHaveLength(2);
    // The credentials were taken out of the URL (to sign in with): it is shown without them.
    expect(e.message).toMatch(/Cannot reach SurrealDB at ws:\/\/127\.0\.0\.1:1\/rpc after 3 attempt/);
    expect(e.message + warnings.join('\n')).not.toContain('s3cret');
  });
});
