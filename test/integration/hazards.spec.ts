import { type Surreal } from 'surrealdb';
import {
  DatabaseRequestError,
  DatabaseUnreachableError,
  FailedMigrationPendingError,
  MigrationError,
  MigrationLockError,
  MigrationsStoppedError,
} from '../../src/index.js';
import { memManagers, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { itOn } from '../support/engine.js';

/** Scripts that could break atomicity or exactly-once, and what the runner does about them. */
describe('hazards', () => {
  let folder: TempMigrations;
  const { open, closeAll } = memManagers(() => folder);
  afterEach(async () => {
    await closeAll();
    await folder.dispose();
  });

  async function versions(db: Surreal): Promise<number[]> {
    const [rows] = await db
      .query<[number[]]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version')
      .catch(() => [[]] as [number[]]);
    return rows;
  }

  it.each([
    ['a top-level RETURN', 'CREATE c:1;\nRETURN 5;\nCREATE c:2;', 2, /RETURN is not allowed/],
    ['USE', 'USE DB other;\nCREATE c:1;', 1, /USE is not allowed/],
    ['COMMIT', 'CREATE c:1;\nCOMMIT;', 2, /COMMIT is not allowed/],
  ])('refuses %s before running anything, naming the line', async (_label, script, line, message) => {
    folder = await tempMigrations({ '0001_x.surql': script });
    const manager = await open();
    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).not.toContain('c');
  });

  it('refuses a RETURN inside a top-level block before running anything', async () => {
    folder = await tempMigrations({
      '0001_early.surql': 'CREATE c:1;\nIF true { RETURN 1 };\nCREATE c:2;',
      '0002_after.surql': 'DEFINE TABLE after SCHEMALESS;',
    });
    const manager = await open();
    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ line: 2, column: 11 });
    expect(error.message).toMatch(/RETURN is not allowed here/);
    expect(error.message).toMatch(/Nothing of this migration was applied/);
    // Nothing ran: not even the statement before it.
    expect(await versions(manager.db)).toEqual([]);
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).not.toContain('c');
  });

  it('a dry run refuses a RETURN inside a block, and changes nothing', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0002_early.surql': 'CREATE a:1;\nIF true { RETURN 1 };\nCREATE a:2;',
      '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
    });
    const manager = await open();
    const error = (await manager.dryRun().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ version: 2, line: 2 });
    expect(error.message).toMatch(/RETURN is not allowed here/);
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(info.tables).toEqual({});
  });

  it('refuses LET in a no-transaction file, where the variable would not reach the next statement', async () => {
    folder = await tempMigrations({
      '0001_let.surql': '-- migrate:no-transaction\nLET $x = 42;\nCREATE t:1 SET v = $x;',
    });
    const manager = await open();
    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ line: 2 });
    expect(error.message).toMatch(/LET is not allowed in a no-transaction migration/);
  });

  it('records a no-transaction file whose statements all ran but whose history write failed', async () => {
    folder = await tempMigrations({
      // The script itself makes the history table reject the runner's record (a name is a string;
      // SurrealDB 2 drops undeclared fields of a SCHEMAFULL table, so a missing field would not do).
      '0001_breaks_history.surql':
        '-- migrate:no-transaction\nDEFINE TABLE OVERWRITE _sbl_migrations SCHEMAFULL;\nDEFINE FIELD name ON _sbl_migrations TYPE int;\nCREATE item:1;',
    });
    const manager = await open();
    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/every statement ran, but the history could not be updated/);
    const [failed] = await manager.db.query<[{ statements_applied: number; statement_count: number }[]]>(
      'SELECT statements_applied, statement_count FROM _sbl_migrations_failed',
    );
    expect(failed).toEqual([{ statements_applied: 3, statement_count: 3 }]);
    // A second start must not run the statements again.
    await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(FailedMigrationPendingError);
    const [items] = await manager.db.query<[unknown[]]>('SELECT * FROM item');
    expect(items).toHaveLength(1);
  });

  it('reports an async event callback that rejects, without breaking the run', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const warnings: string[] = [];
    const manager = await open({
      logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} },
      on: {
        migrated: async () => {
          throw new Error('metrics backend down');
        },
      },
    });
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([expect.stringMatching(/listener threw: metrics backend down/)]);
  });

  it('close() ends a wait for the lock at once, and no run starts afterwards', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const manager = await open({ lock: { retryMs: 60_000, waitTimeoutMs: 600_000 } });
    await manager.db.query(
      "CREATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'h', pid: 1, token: 'x' }, acquired_at: time::now(), expires_at: time::now() + 1h }",
    );
    let waiting!: () => void;
    const waitingNow = new Promise<void>((resolve) => (waiting = resolve));
    manager.events.on('lockWaiting', () => waiting());
    const run = manager.runMigrationUp().catch((e: unknown) => e);
    await waitingNow;
    // With a 60 s poll interval, only the interruption ends this wait within the test's timeout.
    await manager.runner.stop();
    const error = await run;
    expect(error).toBeInstanceOf(MigrationsStoppedError);
    expect((error as MigrationsStoppedError).remaining).toBe(1);
    await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(MigrationsStoppedError);
  }, 20_000);

  it('reports a request of its own that the server refuses as DatabaseRequestError, with the message', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const manager = await open();
    // The lock's table refuses every write: the lock's own request fails, on either engine.
    await manager.db.query(
      'DEFINE TABLE _sbl_migrations_lock SCHEMALESS; DEFINE EVENT refuse ON _sbl_migrations_lock THEN { THROW "lock writes are refused here" };',
    );
    const error = await manager.runMigrationUp().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseRequestError);
    expect(error).toMatchObject({ code: 'DATABASE_ERROR', name: 'DatabaseRequestError' });
    expect((error as Error).message).toMatch(
      /refused a request of the migrations tool's own: .*lock writes are refused here/,
    );
    expect(await manager.getCurrentVersion()).toBe(0);
  });

  it('reports a lost connection as DatabaseUnreachableError, not a raw SDK error', async () => {
    folder = await tempMigrations({ '0001_a.surql': '' });
    const manager = await open();
    await manager.db.close();
    const error = await manager.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    // Its first request finds the connection closed (a database not found at connect is looked up
    // again before a read; one that was found is read at once): either way, named as unreachable.
    expect((error as Error).message).toMatch(
      /^(Cannot reach SurrealDB at mem:\/\/|SurrealDB at mem:\/\/ stopped answering)[^]*You must be connected/,
    );
  });

  itOn(['v3'], 'the embedded SurrealDB 2 runs one request at a time, so no takeover can land during the SLEEP')(
    'a holder whose lease was taken over stops before its next migration',
    async () => {
      folder = await tempMigrations({
        '0001_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 600ms;',
        '0002_next.surql': 'DEFINE TABLE next SCHEMALESS;',
      });
      const manager = await open({ lock: { ttlMs: 150 } });
      const run = manager.runMigrationUp().catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Another process takes the lease over, as after an expiry.
      await manager.db.query(
        "UPDATE _sbl_migrations_lock:lock CONTENT { owner: { host: 'other', pid: 2, token: 'y' }, acquired_at: time::now(), expires_at: time::now() + 1h }",
      );
      const error = (await run) as MigrationLockError;
      expect(error).toBeInstanceOf(MigrationLockError);
      expect(error.lost).toBe(true);
      expect(error.message).toMatch(/lost the migration lock before migration 2/);
      expect(await versions(manager.db)).toEqual([1]);
    },
  );
});
