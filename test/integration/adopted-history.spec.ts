import { MigrationError, UnreadableHistoryError, type MigrationManager } from '../../src/index.js';
import { memManagers, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/** Histories as older managers and operators leave them: found by version, refused when unreadable. */
describe('adopted histories', () => {
  let folder: TempMigrations;
  const { open, closeAll } = memManagers(() => folder);
  afterEach(async () => {
    await closeAll();
    await folder.dispose();
  });

  const threeWithDowns = {
    '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
    '0001_a.down.surql': 'REMOVE TABLE a;',
    '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
    '0002_b.down.surql': 'REMOVE TABLE b;',
    '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
    '0003_c.down.surql': 'UPSERT downs:c SET n += 1; REMOVE TABLE c;',
  };

  async function historyRows(manager: MigrationManager): Promise<number[]> {
    const [rows] = await manager.db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version');
    return rows;
  }

  async function tables(manager: MigrationManager): Promise<string[]> {
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    return Object.keys(info.tables)
      .filter((t) => !t.startsWith('_sbl_'))
      .sort();
  }

  it('rolls back a row with a random id, as older managers wrote it, and the version is gone', async () => {
    folder = await tempMigrations(threeWithDowns);
    const manager = await open();
    await manager.db.query(
      'DEFINE TABLE a; DEFINE TABLE b; CREATE _sbl_migrations SET version = 1, applied_at = time::now(); ' +
        'CREATE _sbl_migrations SET version = 2, applied_at = time::now();',
    );
    expect(await manager.getCurrentVersion()).toBe(2);
    expect((await manager.rollback()).map((r) => r.version)).toEqual([2]);
    expect(await historyRows(manager)).toEqual([1]);
    expect(await manager.getCurrentVersion()).toBe(1);
    expect(await tables(manager)).toEqual(['a']);
  });

  it('runs a down script once for two rows of one version, and every row of it goes', async () => {
    folder = await tempMigrations(threeWithDowns);
    const manager = await open();
    await manager.runMigrationUp();
    await manager.db.query('CREATE _sbl_migrations SET version = 3, applied_at = time::now()');
    expect((await manager.status()).applied.map((a) => a.version)).toEqual([1, 2, 3]);

    expect((await manager.rollback({ steps: 2 })).map((r) => r.version)).toEqual([3, 2]);
    const [downs] = await manager.db.query<[number[]]>('SELECT VALUE n FROM downs');
    expect(downs).toEqual([1]);
    expect(await historyRows(manager)).toEqual([1]);
    expect(await tables(manager)).toEqual(['a', 'downs']);
  });

  it.each([
    ['no version', 'CREATE _sbl_migrations:odd SET applied_at = time::now()', /_sbl_migrations:odd \(no version\)/],
    ['a version that is not a number', 'CREATE _sbl_migrations:abc SET version = "abc"', /version "abc"/],
    ['a negative version', 'CREATE _sbl_migrations:neg SET version = -1', /version -1/],
  ])('refuses at start-up a row with %s, naming it and repair, which removes it', async (_name, sql, named) => {
    folder = await tempMigrations(threeWithDowns);
    const manager = await open();
    await manager.db.query(`CREATE _sbl_migrations:1 SET version = 1, applied_at = time::now(); ${sql}`);

    for (const attempt of [() => manager.bootstrap(), () => manager.getCurrentVersion(), () => manager.rollback()]) {
      const error = (await attempt().catch((e: unknown) => e)) as UnreadableHistoryError;
      expect(error).toBeInstanceOf(UnreadableHistoryError);
      expect(error.code).toBe('UNREADABLE_HISTORY');
      expect(error.message).toMatch(named);
      expect(error.message).toMatch(/surreal-migrate repair/);
      expect(error.message).not.toMatch(/NaN/);
    }
    expect(await tables(manager)).toEqual([]);

    await manager.repair();
    expect(await historyRows(manager)).toEqual([1]);
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2, 3]);
  });

  it('completes a SCHEMAFULL history with only version and applied_at, and migrates', async () => {
    folder = await tempMigrations(threeWithDowns);
    const manager = await open();
    await manager.db.query(
      'DEFINE TABLE _sbl_migrations SCHEMAFULL; DEFINE FIELD version ON _sbl_migrations TYPE int; ' +
        'DEFINE FIELD applied_at ON _sbl_migrations TYPE datetime; DEFINE TABLE a; ' +
        'CREATE _sbl_migrations:1 SET version = 1, applied_at = time::now();',
    );
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2, 3]);
    const [rows] = await manager.db.query<[{ version: number; name?: string; checksum?: string }[]]>(
      'SELECT version, name, checksum FROM _sbl_migrations ORDER BY version',
    );
    expect(rows.map((r) => [r.version, r.name ?? null])).toEqual([
      [1, null],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(rows[2]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect((await manager.rollback()).map((r) => r.version)).toEqual([3]);
  });

  it('names the history table when it refuses the history row', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const manager = await open();
    // A history whose version must be a string: the runner's row cannot be written.
    await manager.db.query(
      'DEFINE TABLE _sbl_migrations SCHEMALESS; DEFINE FIELD version ON _sbl_migrations TYPE string;',
    );
    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/history table _sbl_migrations refused/);
    expect(error.message).toMatch(/Nothing of this migration was applied/);
    expect(await tables(manager)).toEqual([]);
  });

  it('works with a table option that is a keyword', async () => {
    folder = await tempMigrations(threeWithDowns);
    for (const table of ['select', 'none', 'true']) {
      const manager = await open({ table, database: table });
      expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([1, 2, 3]);
      expect((await manager.rollback()).map((r) => r.version)).toEqual([3]);
      expect(await manager.getCurrentVersion()).toBe(2);
    }
  });
});
