import path from 'node:path';
import type { RecordId, Surreal } from 'surrealdb';
import { MigrationArgumentError, MigrationError, MigrationLockError, MigrationManager } from '../../src/index.js';
import { cliProject } from '../cli/cli-harness.js';
import { lastJson, startNode, supportDir, type Child } from '../support/child.js';
import { memOptions, tempDir, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { RELAY_AUTH, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';
import { ENGINE, itOn } from '../support/engine.js';

/**
 * Faults in the middle of a `-- migrate:no-transaction` file: its holder killed, paused or cut off
 * from the server between two statements. Each statement counts its own runs, so a statement run
 * twice shows; notx-child.mjs holds its run just before statement 2, so the fault lands exactly
 * between statements 1 and 2.
 */

const notxChild = path.join(supportDir, 'notx-child.mjs');
const relayCli = path.join(supportDir, 'ws-relay-cli.mjs');

/** A short lease, so that the lease of a holder that died or stopped expires within the test. */
const lock = { ttlMs: 500, retryMs: 20 };

const statement = (n: number) => `UPSERT counter:s${n} SET n += 1`;

/** 0001 defines the counters; 0002 runs three counted statements, one request each (lines 2-4). */
const countedFiles: Record<string, string> = {
  '0001_counters.surql': 'DEFINE TABLE counter SCHEMALESS;\n',
  '0002_counted.surql': `-- migrate:no-transaction\n${[1, 2, 3].map((n) => `${statement(n)};`).join('\n')}\n`,
};

/** Each statement run exactly once. */
const eachOnce = { s1: 1, s2: 1, s3: 1 };

/** Runs of each counted statement, by its counter (`s1`, `s2`, `s3`). */
async function counts(db: Surreal): Promise<Record<string, number>> {
  const [rows] = await db.query<[{ id: RecordId; n: number }[]]>('SELECT id, n FROM counter');
  return Object.fromEntries(rows.map((row) => [String(row.id.id), row.n]));
}

/** What the bookkeeping tables hold: applied versions, failed/in-progress records, the lease. */
async function bookkeeping(
  db: Surreal,
): Promise<{ versions: number[]; failed: Record<string, unknown>[]; lock: unknown[] }> {
  const [versions, failed, leases] = await db.query<[number[], Record<string, unknown>[], unknown[]]>(
    'SELECT VALUE version FROM _sbl_migrations ORDER BY version; ' +
      'SELECT * OMIT id FROM _sbl_migrations_failed; SELECT * FROM _sbl_migrations_lock',
  );
  return { versions, failed, lock: leases };
}

/** The in-progress record a run of 0002 leaves when it stops before statement 2. */
function inProgressBefore2(holderPid: number): Record<string, unknown> {
  return {
    version: 2,
    name: 'counted',
    direction: 'up',
    in_progress: true,
    statements_applied: 1,
    running_statement: 2,
    statement_count: 3,
    holder: expect.stringMatching(new RegExp(` pid ${holderPid} \\([0-9a-f-]{36}\\)$`)),
  };
}

/** The JSON report that notx-child.mjs prints last. */
interface ChildReport {
  ok: boolean;
  applied?: number[];
  name?: string;
  code?: string;
  lost?: boolean;
  message?: string;
}

const report = (child: Child) => lastJson<ChildReport>(child);

/** Every child started by a test; any still running (a test failed) is killed after it. */
const started: Child[] = [];

function track(child: Child): Child {
  started.push(child);
  return child;
}

/**
 * Every relay here requires the root sign-in, as `surreal start --user root --pass root` does;
 * every client of one signs in with {@link RELAY_AUTH}.
 */
const startRelay = () => startWsRelay({ path: 'mem://', ...RELAY_ROOT });

/**
 * Starts notx-child.mjs on `url`, with `holdAt` the statement it stops before, if any, signed in
 * with `auth` if given (a relay's url).
 */
function startMigrator(
  url: string,
  directory: string,
  options: { holdAt?: string; cwd?: string; auth?: { username: string; password: string } } = {},
): Child {
  const { holdAt, cwd, auth } = options;
  return track(startNode(notxChild, [url, directory, JSON.stringify({ auth, lock, holdAt })], cwd ? { cwd } : {}));
}

/**
 * A ws-relay in a process of its own, so that it can die like a server does. It requires the root
 * sign-in (and defines the root user in its store, unless the store has it).
 */
async function startRelayProcess(engineUrl: string): Promise<{ child: Child; url: string }> {
  const child = track(startNode(relayCli, ['--path', engineUrl, '--user', RELAY_ROOT.user, '--pass', RELAY_ROOT.pass]));
  await child.waitFor(/READY ws:\S+\n/);
  return { child, url: /READY (ws:\S+)/.exec(child.stdout())![1]! };
}

/**
 * Writes the in-progress record a run of 0002 would leave had it died with `applied` statements
 * done and the next one sent, and the effects of those statements.
 */
async function plantInProgress(manager: MigrationManager, applied: number): Promise<void> {
  const file = manager.upMigrations.find((m) => m.version === 2)!;
  const effects = Array.from({ length: applied }, (_, i) => `${statement(i + 1)};`).join(' ');
  await manager.db.query(
    `${effects} CREATE _sbl_migrations_failed:2 CONTENT { version: 2, name: $file.name, file: $file.file, ` +
      "checksum: $file.checksum, direction: 'up', statements_applied: $applied, running_statement: $applied + 1, " +
      "statement_count: 3, in_progress: true, holder: 'db-host pid 4242 (tok-gone)', updated_at: time::now() }",
    { file: { name: file.name, file: file.file, checksum: file.checksum }, applied },
  );
}

/** The refusal of a run that finds the in-progress record of 0002 stopped before statement 2. */
function expectRefusalBefore2(error: unknown, holderPid: number): void {
  expect(error).toBeInstanceOf(MigrationError);
  const e = error as MigrationError;
  expect(e).toMatchObject({ version: 2, line: 3, statement: statement(2) });
  expect(e.message).toMatch(/0002_counted\.surql:3/);
  expect(e.message).toMatch(new RegExp(`by \\S+ pid ${holderPid} \\(`));
  expect(e.message).toMatch(/statement 1 completed of 3, and statement 2 may or may not have run/);
  expect(e.message).toMatch(/Nothing was run again/);
  expect(e.message).toMatch(/manager\.resolve\(2, 'resume', \{ after: 1 \}\) \(or \{ after: 2 \} if it took effect\)/);
  expect(e.message).toMatch(/'applied' or 'rolled-back'/);
}

describe('no-transaction files under faults', () => {
  let folder: TempMigrations | undefined;
  const managers: MigrationManager[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  /** A manager on `url` with the short lease, signed in with `auth` if given; closed after the test. */
  const open = async (url: string, directory: string, auth?: typeof RELAY_AUTH): Promise<MigrationManager> => {
    const manager = await MigrationManager.create({
      url,
      namespace: 'test',
      database: 'test',
      directory,
      logger: false,
      lock,
      ...(auth ? { auth } : {}),
    });
    managers.push(manager);
    return manager;
  };

  /** A manager on a private in-memory database; closed after the test. */
  const openMem = async (directory: string): Promise<MigrationManager> => {
    const manager = await MigrationManager.create({ ...memOptions(directory), logger: false, lock });
    managers.push(manager);
    return manager;
  };

  afterEach(async () => {
    for (const manager of managers.splice(0).reverse()) await manager.close();
    const leftover = started.splice(0);
    for (const child of leftover) child.kill('SIGKILL');
    await Promise.all(leftover.map((child) => child.exited));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await folder?.dispose();
    folder = undefined;
  });

  it('a holder killed with SIGKILL between two statements: the next run refuses, and resume runs the rest once', async () => {
    folder = await tempMigrations(countedFiles);
    const data = await tempDir();
    cleanups.push(() => data.dispose());
    // A store that outlives the child: a file on SurrealDB 3, the relay's datastore on 2 (whose
    // embedded engine is in memory only).
    const relay = ENGINE === 'v2' ? await startRelay() : undefined;
    if (relay) cleanups.push(() => relay.close());
    const url = relay ? relay.url : `surrealkv://${data.dir}/db`;
    const auth = relay ? RELAY_AUTH : undefined;

    // The child opens the database and dies, its lease still standing.
    const holder = startMigrator(url, folder.dir, { holdAt: statement(2), auth });
    await holder.waitFor('HOLDING');
    holder.kill('SIGKILL');
    expect(await holder.exited).toBe('SIGKILL');

    const manager = await open(url, folder.dir, auth);
    const left = await bookkeeping(manager.db);
    expect(left.versions).toEqual([1]);
    expect(left.failed).toEqual([expect.objectContaining(inProgressBefore2(holder.pid))]);
    expect(left.lock).toHaveLength(1);
    expect(await counts(manager.db)).toEqual({ s1: 1 });
    expect((await manager.status()).failed).toEqual([
      expect.objectContaining({ version: 2, inProgress: true, statementsApplied: 1, runningStatement: 2 }),
    ]);

    // It takes over the expired lease, then refuses to run the file again.
    expectRefusalBefore2(await manager.runMigrationUp().catch((e: unknown) => e), holder.pid);
    expect(await counts(manager.db)).toEqual({ s1: 1 });
    expect(await bookkeeping(manager.db)).toEqual({
      versions: [1],
      failed: [expect.objectContaining(inProgressBefore2(holder.pid))],
      lock: [],
    });

    // Statement 2 never reached the server: resume after statement 1.
    const outOfRange = await manager.resolve(2, 'resume', { after: 3 }).catch((e: unknown) => e);
    expect(outOfRange).toBeInstanceOf(MigrationArgumentError);
    expect((outOfRange as Error).message).toMatch(/1 or 2 \(statement 2 may or may not have run\), got 3/);
    await manager.resolve(2, 'resume', { after: 1 });
    expect((await manager.status()).failed).toEqual([
      expect.objectContaining({ version: 2, inProgress: false, resumeAfter: 1 }),
    ]);

    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    expect(await counts(manager.db)).toEqual(eachOnce);
    expect(await bookkeeping(manager.db)).toEqual({ versions: [1, 2], failed: [], lock: [] });
    expect(await manager.needsMigration()).toBe(false);
  });

  it('a holder paused (SIGSTOP) past its lease: the next process refuses, and the paused one stops with lost: true', async () => {
    folder = await tempMigrations(countedFiles);
    const relay: WsRelay = await startRelay();
    cleanups.push(() => relay.close());

    const paused = startMigrator(relay.url, folder.dir, { holdAt: statement(2), auth: RELAY_AUTH });
    await paused.waitFor('HOLDING');
    // Its heartbeat stops with it, so its lease expires.
    paused.kill('SIGSTOP');

    const next = startMigrator(relay.url, folder.dir, { auth: RELAY_AUTH });
    expect(await next.exited).toBe(1);
    expect(next.stderr()).toMatch(new RegExp(`Took over an expired migration lock from \\S+ pid ${paused.pid} \\(`));
    const refusal = report(next);
    expect(refusal).toMatchObject({ ok: false, name: 'MigrationError', code: 'MIGRATION_FAILED' });
    expect(refusal.message).toMatch(/statement 1 completed of 3, and statement 2 may or may not have run/);

    const manager = await open(relay.url, folder.dir, RELAY_AUTH);
    const { db } = manager;
    expect(await counts(db)).toEqual({ s1: 1 });
    expect(await bookkeeping(db)).toEqual({
      versions: [1],
      failed: [expect.objectContaining(inProgressBefore2(paused.pid))],
      lock: [],
    });

    // Continued, it sends statement 2 (that request had passed its check before the pause), then
    // its guarded progress write fails and it stops before statement 3.
    paused.kill('SIGCONT');
    expect(await paused.exited).toBe(1);
    const stopped = report(paused);
    expect(stopped).toMatchObject({ ok: false, name: 'MigrationLockError', code: 'LOCK_TIMEOUT', lost: true });
    expect(stopped.message).toMatch(/lost the migration lock before (statement 3 of )?migration 2 /);
    expect(await counts(db)).toEqual({ s1: 1, s2: 1 });
    expect(await bookkeeping(db)).toEqual({
      versions: [1],
      failed: [expect.objectContaining(inProgressBefore2(paused.pid))],
      lock: [],
    });

    // The operator sees statement 2's effect, and resumes after it.
    await manager.resolve(2, 'resume', { after: 2 });
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
    expect(await counts(db)).toEqual(eachOnce);
    expect(await bookkeeping(db)).toEqual({ versions: [1, 2], failed: [], lock: [] });
  });

  describe('the server dies mid-file', () => {
    itOn(['v3'], 'the server restarts on its files; the embedded SurrealDB 2 is in memory only')(
      'the holder fails saying statement 2 may or may not have run; after a restart the next run refuses',
      async () => {
        folder = await tempMigrations(countedFiles);
        const data = await tempDir();
        cleanups.push(() => data.dispose());
        const engineUrl = `surrealkv://${data.dir}/db`;

        const server = await startRelayProcess(engineUrl);
        const holder = startMigrator(server.url, folder.dir, { holdAt: statement(2), auth: RELAY_AUTH });
        await holder.waitFor('HOLDING');
        server.child.kill('SIGKILL');
        expect(await server.child.exited).toBe('SIGKILL');
        holder.kill('SIGCONT');
        expect(await holder.exited).toBe(1);
        const failure = report(holder);
        expect(failure).toMatchObject({ ok: false, name: 'MigrationError', code: 'MIGRATION_FAILED' });
        expect(failure.message).toMatch(/0002_counted\.surql:3/);
        expect(failure.message).toMatch(
          /statement 1 of 3 was applied and remains, and statement 2 may or may not have run/,
        );
        // With the server gone, the failure could not be recorded either.
        expect(holder.stderr()).toMatch(/Could not record the failed attempt of migration 2/);

        // Restarted on its files, as a server is: the root user stored there is kept and required.
        const restarted = await startRelayProcess(engineUrl);
        const manager = await open(restarted.url, folder.dir, RELAY_AUTH);
        expect(await bookkeeping(manager.db)).toEqual({
          versions: [1],
          failed: [expect.objectContaining(inProgressBefore2(holder.pid))],
          lock: [expect.anything()],
        });
        expectRefusalBefore2(await manager.runMigrationUp().catch((e: unknown) => e), holder.pid);

        await manager.resolve(2, 'resume', { after: 1 });
        expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
        expect(await counts(manager.db)).toEqual(eachOnce);
        expect(await bookkeeping(manager.db)).toEqual({ versions: [1, 2], failed: [], lock: [] });
      },
    );

    it('an in-progress record left behind (written by hand here) makes the lock holder refuse, naming the statement', async () => {
      folder = await tempMigrations(countedFiles);
      const manager = await openMem(folder.dir);
      await manager.runner.runOneUp();
      await plantInProgress(manager, 2);

      // Before it holds the lock, a replica takes the record for a run still going on, and waits.
      await manager.db.query(
        "CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'db-host', pid: 4242, token: 'tok-gone' }, " +
          'acquired_at: time::now(), expires_at: time::now() + 1h }',
      );
      const waiting = await MigrationManager.create({
        client: manager.db,
        directory: folder.dir,
        logger: false,
        lock: { ...lock, waitTimeoutMs: 200 },
      });
      managers.push(waiting);
      const timeout = await waiting.runMigrationUp().catch((e: unknown) => e);
      expect(timeout).toBeInstanceOf(MigrationLockError);
      expect(timeout).toMatchObject({ code: 'LOCK_TIMEOUT', lost: false });

      // Once it holds the lock, it knows that run is gone.
      await manager.forceUnlock();
      const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ version: 2, line: 4, statement: statement(3) });
      expect(error.message).toMatch(
        /by db-host pid 4242 \(tok-gone\) stopped part-way: statements 1-2 completed of 3, and statement 3 may or may not have run/,
      );
      expect(error.message).toMatch(/resolve\(2, 'resume', \{ after: 2 \}\) \(or \{ after: 3 \} if it took effect\)/);
      expect(await counts(manager.db)).toEqual({ s1: 1, s2: 1 });
      expect((await bookkeeping(manager.db)).versions).toEqual([1]);

      await manager.resolve(2, 'resume', { after: 2 });
      expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
      expect(await counts(manager.db)).toEqual(eachOnce);
      expect(await bookkeeping(manager.db)).toEqual({ versions: [1, 2], failed: [], lock: [] });
    });
  });

  it.each([
    ['applied', [], {}],
    ['rolled-back', [2], eachOnce],
  ] as const)(
    "resolve(2, '%s') settles an in-progress record; the next run applies %j",
    async (outcome, runs, after) => {
      folder = await tempMigrations(countedFiles);
      const manager = await openMem(folder.dir);
      await manager.runner.runOneUp();
      await plantInProgress(manager, 0);
      await expect(manager.runMigrationUp()).rejects.toThrow(/statement 1 may or may not have run/);

      await manager.resolve(2, outcome);
      const status = await manager.status();
      expect(status.failed).toEqual([]);
      expect(status.pending.map((p) => p.version)).toEqual(runs);
      expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual(runs);
      expect(await counts(manager.db)).toEqual(after);
      expect(await bookkeeping(manager.db)).toEqual({ versions: [1, 2], failed: [], lock: [] });
    },
  );

  it('a syntax error in statement 3 is found before statement 1 runs, and leaves no record', async () => {
    const bad =
      '-- migrate:no-transaction\nDEFINE TABLE one SCHEMALESS;\nCREATE one:1 SET n = 1;\nCREATE one:2 SET n = ;\n';
    folder = await tempMigrations({ '0001_bad.surql': bad });
    const manager = await openMem(folder.dir);

    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ version: 1, line: 4, statement: 'CREATE one:2 SET n =' });
    expect(error.message).toMatch(/0001_bad\.surql:4:\d+: /);
    expect(error.message).toMatch(/Nothing of this migration was applied/);
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).not.toContain('one');
    expect(await bookkeeping(manager.db)).toEqual({ versions: [], failed: [], lock: [] });

    // Nothing to settle: the fixed file simply runs.
    await folder.write('0001_bad.surql', bad.replace('n = ;', 'n = 2;'));
    await manager.refresh();
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([1]);
    const [rows] = await manager.db.query<[number[]]>('SELECT VALUE n FROM one ORDER BY n');
    expect(rows).toEqual([1, 2]);
  });

  it('a block left open at the end of the file is refused before statement 1 runs', async () => {
    const open = '-- migrate:no-transaction\nDEFINE TABLE one SCHEMALESS;\nIF true {\n  CREATE one:1;\n';
    folder = await tempMigrations({ '0001_open.surql': open });
    const manager = await openMem(folder.dir);

    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ version: 1, line: 3, column: 9 });
    expect(error.message).toMatch(/never closed/);
    expect(error.message).toMatch(/Nothing of this migration was applied/);
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).not.toContain('one');
    expect(await bookkeeping(manager.db)).toEqual({ versions: [], failed: [], lock: [] });
  });

  it('an interrupted no-transaction rollback is not run again from its first statement', async () => {
    folder = await tempMigrations({
      '0001_x.surql': 'DEFINE TABLE counter SCHEMALESS;',
      '0001_x.down.surql': '-- migrate:no-transaction\nUPSERT counter:d1 SET n += 1;\nUPSERT counter:d2 SET n += 1;\n',
    });
    const manager = await openMem(folder.dir);
    await manager.runMigrationUp();
    // What a rollback killed between its two statements leaves behind.
    await manager.db.query('UPSERT counter:d1 SET n += 1');
    await manager.db.query(
      'UPSERT _sbl_migrations_failed:1 CONTENT { version: 1, name: "x", file: "migrations/0001_x.down.surql", ' +
        'direction: "down", in_progress: true, statements_applied: 1, statement_count: 2, running_statement: 2, ' +
        'holder: "gone pid 1 (t)" }',
    );

    const error = (await manager.rollback().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/statement 2 may or may not have run/);
    await expect(manager.bootstrap()).rejects.toBeInstanceOf(MigrationError);
    const [rows] = await manager.db.query<[{ id: unknown; n: number }[]]>('SELECT id, n FROM counter ORDER BY id');
    expect(rows.map((r) => r.n)).toEqual([1]);
    expect(await manager.getCurrentVersion()).toBe(1);

    await manager.resolve(1, 'resume', { after: 1 });
    expect((await manager.rollback()).map((r) => r.version)).toEqual([1]);
    const [after] = await manager.db.query<[{ id: unknown; n: number }[]]>('SELECT id, n FROM counter ORDER BY id');
    expect(after.map((r) => r.n)).toEqual([1, 1]);
    expect(await manager.getCurrentVersion()).toBe(0);
  });

  describe('surreal-migrate', () => {
    it('up refuses an interrupted file; resolve --resume-after 1 then up finishes it', async () => {
      const project = await cliProject(countedFiles);
      cleanups.push(() => project.dispose());
      const holder = startMigrator(project.url, project.migrations, {
        holdAt: statement(2),
        cwd: project.root,
        // The project's database requires the root sign-in on SurrealDB 2 (a relayed server).
        ...(project.auth ? { auth: project.auth } : {}),
      });
      await holder.waitFor('HOLDING');
      holder.kill('SIGKILL');
      expect(await holder.exited).toBe('SIGKILL');

      const refused = await project.run(['up']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('migrations/0002_counted.surql:3');
      expect(refused.stderr).toMatch(/statement 2 may or may not have run/);
      expect(refused.stderr).toMatch(
        /run `surreal-migrate resolve 2 --resume-after 1` \(or --resume-after 2 if it took effect\)/,
      );

      const status = await project.run(['status', '--json']);
      expect(status.json().failed).toEqual([
        expect.objectContaining({ version: 2, inProgress: true, statementsApplied: 1, runningStatement: 2 }),
      ]);

      const outOfRange = await project.run(['resolve', '2', '--resume-after', '3', '--json']);
      expect(outOfRange.code).toBe(2);
      expect(outOfRange.json()).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });

      const resolved = await project.run(['resolve', '2', '--resume-after', '1']);
      expect(resolved.code).toBe(0);
      expect(resolved.stdout).toContain('Migration 2 resumes after statement 1 at the next run.');

      const up = await project.run(['up']);
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/^applied\s+2\s+counted\s+migrations\/0002_counted\.surql in \d+ ms$/m);
      expect((await project.run(['status', '--check'])).code).toBe(0);
      expect(await project.withDb(counts)).toEqual(eachOnce);
    });
  });
});
