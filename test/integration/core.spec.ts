import {
  MigrationError,
  MigrationManager,
  MissingDownMigrationError,
  MigrationArgumentError,
} from '../../src/index.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

async function tables(manager: MigrationManager): Promise<string[]> {
  const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
  return Object.keys(info.tables).sort();
}

async function historyRows(manager: MigrationManager): Promise<Record<string, unknown>[]> {
  const [rows] = await manager.db
    .query<[Record<string, unknown>[]]>('SELECT * FROM _sbl_migrations ORDER BY version')
    .catch(() => [[]] as [Record<string, unknown>[]]);
  return rows;
}

describe('MigrationManager on the embedded engine', () => {
  let folder: TempMigrations;
  let manager: MigrationManager | undefined;

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await folder?.dispose();
  });

  it('applies all, then rolls back to a target', async () => {
    folder = await tempMigrations({
      '0001_users.surql': 'DEFINE TABLE user SCHEMAFULL;\nDEFINE FIELD email ON user TYPE string;',
      '0001_users.down.surql': 'REMOVE TABLE user;',
      '0002_posts.surql': 'DEFINE TABLE post SCHEMALESS;',
      '0002_posts.down.surql': 'REMOVE TABLE post;',
      '0003_tags.surql': 'DEFINE TABLE tag SCHEMALESS;',
      '0003_tags.down.surql': 'REMOVE TABLE tag;',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    expect(await manager.needsMigration()).toBe(true);
    expect(await manager.getCurrentVersion()).toBe(0);

    const applied = await manager.runMigrationUp();
    expect(applied.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(await manager.getCurrentVersion()).toBe(3);
    expect(await manager.needsMigration()).toBe(false);
    expect(await tables(manager)).toEqual([
      '_sbl_migrations',
      '_sbl_migrations_failed',
      '_sbl_migrations_lock',
      'post',
      'tag',
      'user',
    ]);
    const rows = await historyRows(manager);
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(rows[0]).toMatchObject({ name: 'users', checksum: manager.upMigrations[0]!.checksum });
    expect(typeof rows[0]!.duration_ms).toBe('number');

    const rolledBack = await manager.rollback({ to: 1 });
    expect(rolledBack.map((r) => r.version)).toEqual([3, 2]);
    expect(await manager.getCurrentVersion()).toBe(1);
    expect(await tables(manager)).toEqual([
      '_sbl_migrations',
      '_sbl_migrations_failed',
      '_sbl_migrations_lock',
      'user',
    ]);
    const status = await manager.status();
    expect(status.currentVersion).toBe(1);
    expect(status.pending.map((p) => p.version)).toEqual([2, 3]);
    expect(status.applied).toEqual([expect.objectContaining({ version: 1, name: 'users', verified: true })]);

    await manager.rollback({ to: 0 });
    expect(await manager.getCurrentVersion()).toBe(0);
    expect(await tables(manager)).not.toContain('user');
  });

  it('keeps nothing of a file whose third statement fails, and names the file and line', async () => {
    folder = await tempMigrations({
      '0001_ok.surql': 'DEFINE TABLE ok SCHEMALESS;',
      '0002_broken.surql':
        '-- creates a person table\nDEFINE TABLE person SCHEMAFULL;\nDEFINE FIELD age ON person TYPE int;\n\nCREATE person:1 SET age = "old";\nDEFINE TABLE never SCHEMALESS;\n',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    const error = await manager.runMigrationUp().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    const e = error as MigrationError;
    expect(e.code).toBe('MIGRATION_FAILED');
    expect(e).toMatchObject({ version: 2, migrationName: 'broken', direction: 'up', line: 5, column: 1 });
    expect(e.file).toMatch(/0002_broken\.surql$/);
    expect(e.statement).toBe('CREATE person:1 SET age = "old"');
    expect(e.message).toContain('0002_broken.surql:5');
    expect(e.message).toMatch(/int/);
    expect(e.message).not.toMatch(/not executed due to a failed transaction/);
    expect(await tables(manager)).not.toContain('person');
    expect(await tables(manager)).not.toContain('never');
    expect((await historyRows(manager)).map((r) => r.version)).toEqual([1]);
  });

  it('maps a parse error to the line and column of the file', async () => {
    folder = await tempMigrations({
      '0001_typo.surql': 'DEFINE TABLE a SCHEMALESS;\n\nSELEC * FROM a;\n',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    const e = (await manager.runMigrationUp().catch((x: unknown) => x)) as MigrationError;
    expect(e).toBeInstanceOf(MigrationError);
    expect(e.line).toBe(3);
    expect(e.column).toBeGreaterThan(0);
    expect(e.message).toMatch(/0001_typo\.surql:3:\d+/);
    expect(e.message).toMatch(/Parse error/);
    expect(await tables(manager)).not.toContain('a');
  });

  it('places a parse error at the end of the file on its last line', async () => {
    folder = await tempMigrations({ '0001_cut.surql': 'DEFINE TABLE a SCHEMALESS;\nSELECT * FROM' });
    manager = await MigrationManager.create(memOptions(folder.dir));
    const e = (await manager.runMigrationUp().catch((x: unknown) => x)) as MigrationError;
    expect(e).toBeInstanceOf(MigrationError);
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/0001_cut\.surql:2/);
  });

  it('refuses a rollback with a missing down script before changing anything', async () => {
    folder = await tempMigrations({
      '1.surrealql': 'DEFINE TABLE a SCHEMALESS;',
      '1_down.surrealql': 'REMOVE TABLE a;',
      '2.surrealql': 'DEFINE TABLE b SCHEMALESS;',
      '3.surrealql': 'DEFINE TABLE c SCHEMALESS;',
      '3_down.surrealql': 'REMOVE TABLE c;',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    await manager.runMigrationUp();
    const error = await manager.rollback({ to: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDownMigrationError);
    expect((error as Error).message).toContain('2_down.surrealql');
    expect(await manager.getCurrentVersion()).toBe(3);
    expect(await tables(manager)).toEqual(expect.arrayContaining(['a', 'b', 'c']));
  });

  it('sorts 9 before 10', async () => {
    folder = await tempMigrations({
      '10_second.surql': 'CREATE marker:second SET at = time::now(); CREATE log SET v = 10;',
      '9_first.surql': 'DEFINE TABLE log SCHEMALESS; CREATE log SET v = 9;',
      '2.surql': 'DEFINE TABLE marker SCHEMALESS;',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    expect(manager.upMigrations.map((m) => m.version)).toEqual([2, 9, 10]);
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2, 9, 10]);
    const [values] = await manager.db.query<[number[]]>('SELECT VALUE v FROM log ORDER BY v');
    expect(values).toEqual([9, 10]);
  });

  it('adopts a database migrated by Open Notebook and applies only the newer migrations', async () => {
    folder = await tempMigrations({
      '1.surrealql': 'DEFINE TABLE source SCHEMAFULL;',
      '1_down.surrealql': 'REMOVE TABLE source;',
      '2.surrealql': 'DEFINE TABLE note SCHEMAFULL;',
      '2_down.surrealql': 'REMOVE TABLE note;',
      '3.surrealql': 'DEFINE TABLE episode SCHEMALESS;',
      '3_down.surrealql': 'REMOVE TABLE episode;',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    // What Open Notebook leaves behind: its schema and rows with only version and applied_at.
    await manager.db.query(
      'DEFINE TABLE source SCHEMAFULL; DEFINE TABLE note SCHEMAFULL; ' +
        'UPSERT _sbl_migrations:1 SET version = 1, applied_at = time::now(); ' +
        'UPSERT _sbl_migrations:2 SET version = 2, applied_at = time::now();',
    );
    expect(await manager.getCurrentVersion()).toBe(2);
    const applied = await manager.runMigrationUp();
    expect(applied.map((r) => r.version)).toEqual([3]);
    const status = await manager.status();
    expect(status.applied.map((a) => [a.version, a.verified])).toEqual([
      [1, null],
      [2, null],
      [3, true],
    ]);
    expect(status.applied[0]!.appliedAt).toBeInstanceOf(Date);
  });

  it('treats empty and comment-only files as recorded no-ops', async () => {
    folder = await tempMigrations({
      '0001_empty.surql': '',
      '0002_comments.surql': '\uFEFF-- nothing yet\r\n/* really */\r\n',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([1, 2]);
    expect((await historyRows(manager)).map((r) => r.version)).toEqual([1, 2]);
  });

  it('ignores other files in the folder with one warning naming them', async () => {
    folder = await tempMigrations({ '1.surql': '', 'README.md': '# notes', 'seed.json': '{}' });
    const warnings: string[] = [];
    manager = await MigrationManager.create({
      ...memOptions(folder.dir),
      logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} },
    });
    expect(manager.upMigrations.map((m) => m.version)).toEqual([1]);
    expect(warnings).toEqual([expect.stringMatching(/Ignored 2 file\(s\).*README\.md, seed\.json/)]);
  });

  it('refuses rollback({ to, steps }) together', async () => {
    folder = await tempMigrations({ '1.surql': '' });
    manager = await MigrationManager.create(memOptions(folder.dir));
    await expect(manager.rollback({ to: 0, steps: 1 })).rejects.toThrow(MigrationArgumentError);
  });

  it('runner: runOneUp, runOneDown, runAll', async () => {
    folder = await tempMigrations({
      '1.surql': 'DEFINE TABLE a SCHEMALESS;',
      '1_down.surql': 'REMOVE TABLE a;',
      '2.surql': 'DEFINE TABLE b SCHEMALESS;',
      '2_down.surql': 'REMOVE TABLE b;',
    });
    manager = await MigrationManager.create(memOptions(folder.dir));
    expect((await manager.runner.runOneUp())?.version).toBe(1);
    expect(await manager.getCurrentVersion()).toBe(1);
    expect((await manager.runner.runAll()).map((r) => r.version)).toEqual([2]);
    expect((await manager.runner.runOneDown())?.version).toBe(2);
    expect(await manager.getCurrentVersion()).toBe(1);
    expect(await tables(manager)).not.toContain('b');
  });
});
