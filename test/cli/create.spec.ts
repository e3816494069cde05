import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { CliError, CliUsageError } from '../../src/cli/cli-errors.js';
import { createMigration, folderStyle, normalizeMigrationName } from '../../src/cli/create.js';
import { discoverMigrations } from '../../src/core/migration-files.js';
import { tempDir, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

describe('normalizeMigrationName', () => {
  it('turns spaces and dashes into underscores and lowercases', () => {
    expect(normalizeMigrationName('add_widgets')).toBe('add_widgets');
    expect(normalizeMigrationName('Add Widgets')).toBe('add_widgets');
    expect(normalizeMigrationName('  add--widget - sizes ')).toBe('add_widget_sizes');
    expect(normalizeMigrationName('v2-Backfill')).toBe('v2_backfill');
  });

  it.each([
    ['../evil', /would leave the migrations folder/],
    ['a/b', /would leave the migrations folder/],
    ['a\\b', /would leave the migrations folder/],
    ['/etc/passwd', /would leave the migrations folder/],
    ['..', /would leave the migrations folder/],
    ['add.widgets', /only letters, digits/],
    ['drop$table', /only letters, digits/],
    ['ünïcode', /only letters, digits/],
    ['', /non-empty/],
    ['   ', /non-empty/],
    ['---', /only letters, digits/],
    ['down', /down script/],
    ['undo-down', /down script/],
  ])('refuses %j', (input, message) => {
    expect(() => normalizeMigrationName(input)).toThrow(CliUsageError);
    expect(() => normalizeMigrationName(input)).toThrow(message);
  });
});

describe('folderStyle', () => {
  it('defaults to 4-digit .surql names with .down scripts', () => {
    expect(folderStyle([])).toEqual({
      style: { width: 4, extension: '.surql', named: true, down: 'dot' },
      nextVersion: 1,
    });
    expect(folderStyle(['README.md', 'notes.txt']).nextVersion).toBe(1);
  });

  it('takes the widest prefix, the newest script extension and the down style in use', () => {
    expect(folderStyle(['001_a.surql', '002_b.surql', '002_b.down.surql'])).toEqual({
      style: { width: 3, extension: '.surql', named: true, down: 'dot' },
      nextVersion: 3,
    });
    expect(folderStyle(['1_a.surql', '0007_b.surql']).style.width).toBe(4);
    expect(folderStyle(['9.surrealql', '22.surrealql', '23.surrealql', '23_down.surrealql'])).toEqual({
      style: { width: 2, extension: '.surrealql', named: false, down: 'underscore' },
      nextVersion: 24,
    });
    expect(folderStyle(['9.surrealql']).style).toEqual({
      width: 1,
      extension: '.surrealql',
      named: false,
      down: 'underscore',
    });
    expect(folderStyle(['11_x.surrealql', '11_x_down.surrealql']).style).toMatchObject({
      named: true,
      down: 'underscore',
    });
    // `12_undo_down.surql` without `12_undo.surql` is an up script, as discovery reads it.
    expect(folderStyle(['12_undo_down.surql']).style).toMatchObject({ named: true, down: 'dot' });
  });

  it('numbers after the highest version, down scripts included', () => {
    expect(folderStyle(['0001_a.surql', '0005_b.surql', '0005_b.down.surql']).nextVersion).toBe(6);
    expect(folderStyle(['99.surrealql']).nextVersion).toBe(100);
  });
});

describe('createMigration', () => {
  let folder: TempMigrations | undefined;
  afterEach(async () => {
    await folder?.dispose();
    folder = undefined;
  });

  it('writes files that discovery reads back as the next version, up and down', async () => {
    folder = await tempMigrations({ '0001_init.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const created = await createMigration(folder.dir, 'Add Widgets');
    expect(created.version).toBe(2);
    expect(created.name).toBe('add_widgets');
    expect(created.files.map((f) => path.basename(f))).toEqual([
      '0002_add_widgets.surql',
      '0002_add_widgets.down.surql',
    ]);
    const discovered = await discoverMigrations(folder.dir);
    expect(discovered.up.map((m) => [m.version, m.name])).toEqual([
      [1, 'init'],
      [2, 'add_widgets'],
    ]);
    expect(discovered.down.map((m) => [m.version, m.name])).toEqual([[2, 'add_widgets']]);
    expect(discovered.up[1]!.text).toBe('-- 2: add widgets\n');
  });

  it('creates a missing folder and starts at 0001', async () => {
    const root = await tempDir('sbl-cli-create-');
    try {
      const created = await createMigration(path.join(root.dir, 'db', 'migrations'), 'first');
      expect(created.version).toBe(1);
      expect((await readdir(path.join(root.dir, 'db', 'migrations'))).sort()).toEqual([
        '0001_first.down.surql',
        '0001_first.surql',
      ]);
    } finally {
      await root.dispose();
    }
  });

  it('never overwrites, and leaves no half-created migration', async () => {
    folder = await tempMigrations({
      '1.surrealql': 'DEFINE TABLE a SCHEMALESS;',
      '1_down.surrealql': 'REMOVE TABLE a;',
    });
    // A folder where the next down script would go: not a migration, so numbering does not skip it.
    await mkdir(path.join(folder.dir, '2_down.surrealql'));
    const before = (await readdir(folder.dir)).sort();
    const error = await createMigration(folder.dir, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('FILE_EXISTS');
    expect((await readdir(folder.dir)).sort()).toEqual(before);
  });
});
