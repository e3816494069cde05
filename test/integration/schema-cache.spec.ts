import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { MigrationManager, MigrationOptionsError } from '../../src/index.js';
import { ShadowDatabase } from '../../src/core/shadow/shadow-database.js';
import { forgetKeptSchemas } from '../../src/core/shadow/schema-cache.js';
import { RICH_FOLDER } from '../support/schema-fixtures.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * drift's expected schema is kept by the folder's checksums (schema-cache.ts): a second drift of an
 * unchanged folder builds no shadow. Shadows built are counted at `ShadowDatabase.open`, which
 * still runs as it is.
 */
describe('the schema of a folder, kept', () => {
  let folder: TempMigrations;
  let cache: string;
  const managers: MigrationManager[] = [];
  let opened: ReturnType<typeof jest.spyOn>;

  beforeEach(async () => {
    folder = await tempMigrations(RICH_FOLDER);
    cache = await mkdtemp(path.join(tmpdir(), 'sbl-cache-'));
    opened = jest.spyOn(ShadowDatabase, 'open');
    // Each test starts as a new process would: nothing in memory.
    forgetKeptSchemas();
  });
  afterEach(async () => {
    opened.mockRestore();
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await folder.dispose();
    await chmod(cache, 0o700).catch(() => {});
    await rm(cache, { recursive: true, force: true });
  });

  async function migrated(schemaCache: string | false, database = 'db'): Promise<MigrationManager> {
    const manager = await MigrationManager.create({ ...memOptions(folder.dir), database, schemaCache, logger: false });
    managers.push(manager);
    await manager.runMigrationUp();
    return manager;
  }

  it('builds no shadow for a second drift of an unchanged folder, and answers the same', async () => {
    const manager = await migrated(cache);
    const first = await manager.drift();
    expect(opened).toHaveBeenCalledTimes(1);
    const second = await manager.drift();
    expect(opened).toHaveBeenCalledTimes(1);
    expect(second).toEqual(first);
    expect(first.ok).toBe(true);
    // On disk, owner-only: one file named by the key.
    const files = await readdir(cache);
    expect(files).toEqual([expect.stringMatching(/^schema-[0-9a-f]{64}\.json$/)]);
  });

  it('builds again when a file changed, and drift then sees the change', async () => {
    const manager = await migrated(cache);
    expect((await manager.drift()).ok).toBe(true);
    await folder.write('0002_nicknames.surql', 'DEFINE FIELD nickname ON person TYPE option<int>;\n');
    await manager.refresh();
    const report = await manager.drift();
    expect(opened).toHaveBeenCalledTimes(2);
    expect(report.drift).toEqual([expect.objectContaining({ change: 'changed', kind: 'field', name: 'nickname' })]);
  });

  it('reads the kept schema from disk in a new process (memory empty), and ignores a file that is not one', async () => {
    const manager = await migrated(cache);
    await manager.drift();
    const [file] = await readdir(cache);
    const kept = JSON.parse(await readFile(path.join(cache, file!), 'utf8')) as { key: string; schema: unknown[] };
    expect(kept.schema.length).toBeGreaterThan(5);
    // A new process: the memory is empty, the folder answers.
    forgetKeptSchemas();
    expect((await manager.drift()).ok).toBe(true);
    expect(opened).toHaveBeenCalledTimes(1);
    // Another database under other names: another key.
    const other = await migrated(cache, 'other');
    await other.drift();
    expect(opened).toHaveBeenCalledTimes(2);
    // A kept file that is not a schema is ignored, and written again.
    for (const name of await readdir(cache)) await writeFile(path.join(cache, name), '{"key": 1, "schema": "no"}');
    forgetKeptSchemas();
    expect((await manager.drift()).ok).toBe(true);
    expect(opened).toHaveBeenCalledTimes(3);
    expect(JSON.parse(await readFile(path.join(cache, file!), 'utf8'))).toEqual(kept);
  });

  it('keeps nothing with schemaCache: false', async () => {
    const manager = await migrated(false);
    await manager.drift();
    await manager.drift();
    expect(opened).toHaveBeenCalledTimes(2);
    expect(await readdir(cache)).toEqual([]);
  });

  it('works where the folder cannot be written (kept in memory only)', async () => {
    const blocked = path.join(cache, 'blocked');
    // A file where the folder should be: nothing can be made there.
    await writeFile(blocked, 'not a folder');
    const manager = await migrated(blocked);
    expect((await manager.drift()).ok).toBe(true);
    expect((await manager.drift()).ok).toBe(true);
    expect(opened).toHaveBeenCalledTimes(1);
    expect(await readFile(blocked, 'utf8')).toBe('not a folder');
  });

  it('refuses a schemaCache that is not a folder path or false', async () => {
    for (const schemaCache of ['', '  ', 7, true]) {
      await expect(
        MigrationManager.create({ ...memOptions(folder.dir), schemaCache: schemaCache as never, logger: false }),
      ).rejects.toThrow(MigrationOptionsError);
    }
    await expect(
      MigrationManager.create({ ...memOptions(folder.dir), schemaCache: '', logger: false }),
    ).rejects.toThrow(/`schemaCache`: expected a folder path, or false/);
  });
});
