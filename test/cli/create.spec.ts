import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { CliError, CliUsageError } from '../../src/cli/cli-errors.js';
import { createMigration, folderStyle, normalizeMigrationName } from '../../src/cli/create.js';
import { MigrationDiscoveryError } from '../../src/core/support/state-errors.js';
import { discoverMigrations } from '../../src/core/files/migration-files.js';
import { supportDir } from '../support/child.js';
import { tempDir, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { CLI } from './cli-harness.js';

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

  it('refuses, writing nothing, when an entry named like a migration is not a regular file', async () => {
    folder = await tempMigrations({
      '1.surrealql': 'DEFINE TABLE a SCHEMALESS;',
      '1_down.surrealql': 'REMOVE TABLE a;',
    });
    // A folder where the next down script would go, and a link to a folder: discovery refuses both.
    await mkdir(path.join(folder.dir, '2_down.surrealql'));
    await symlink('.', path.join(folder.dir, '3.surrealql'));
    const before = (await readdir(folder.dir)).sort();
    const error = await createMigration(folder.dir, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationDiscoveryError);
    expect(
      (error as MigrationDiscoveryError).problems.map((p) => [p.files.map((f) => path.basename(f)), p.problem]),
    ).toEqual([
      [['2_down.surrealql'], expect.stringMatching(/^is a directory, not a regular file; .*rename or remove it\.$/)],
      [['3.surrealql'], expect.stringMatching(/^is a symbolic link to \., which is a directory, not a regular file; /)],
    ]);
    expect((await readdir(folder.dir)).sort()).toEqual(before);
  });

  it('refuses, writing nothing, a folder holding a version above 2^53 − 1', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'A;', '9007199254740993_big.surql': 'B;' });
    const error = await createMigration(folder.dir, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationDiscoveryError);
    expect((error as Error).message).toContain(
      '9007199254740993_big.surql: version 9007199254740993 is larger than 2^53 − 1',
    );
    expect((await readdir(folder.dir)).sort()).toEqual(['0001_a.surql', '9007199254740993_big.surql']);
  });

  it('refuses, writing nothing, when the next version would be above 2^53 − 1', async () => {
    folder = await tempMigrations({ '9007199254740991_last.surql': 'A;' });
    const error = await createMigration(folder.dir, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('VERSION_OVERFLOW');
    expect((error as Error).message).toMatch(
      /already holds version 9007199254740991, the largest .*Nothing was written/,
    );
    expect(await readdir(folder.dir)).toEqual(['9007199254740991_last.surql']);
  });

  it('leaves no half pair when the down script cannot be written', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'A;' });
    // `0002_<n>.surql` fits in a 255-byte file name; `0002_<n>.down.surql` does not.
    const name = 'x'.repeat(242);
    const error = await createMigration(folder.dir, name).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG');
    expect(await readdir(folder.dir)).toEqual(['0001_a.surql']);
  });

  describe('several at once in one folder', () => {
    /** Checks that `created` are distinct versions, each with both scripts, and all the folder holds. */
    async function expectDistinctPairs(dir: string, created: { version: number; name: string; files: string[] }[]) {
      const versions = created.map((c) => c.version);
      expect(new Set(versions).size).toBe(created.length);
      const written = created.flatMap((c) => c.files.map((f) => path.basename(f)));
      expect((await readdir(dir)).sort()).toEqual([...written].sort());
      const found = await discoverMigrations(dir);
      const byVersion = (a: { version: number }, b: { version: number }) => a.version - b.version;
      const expected = [...created].sort(byVersion).map((c) => [c.version, c.name]);
      expect(found.up.map((m) => [m.version, m.name])).toEqual(expected);
      expect(found.down.map((m) => [m.version, m.name])).toEqual(expected);
      for (const c of created) {
        const [up, down] = c.files.map((f) => path.basename(f));
        expect(up).toBe(`${String(c.version).padStart(4, '0')}_${c.name}.surql`);
        expect(down).toBe(`${String(c.version).padStart(4, '0')}_${c.name}.down.surql`);
        expect(await readFile(path.join(dir, up!), 'utf8')).toBe(`-- ${c.version}: ${c.name.replace(/_/g, ' ')}\n`);
      }
    }

    it('gives six creates with different names six versions (another name at my version: take the next)', async () => {
      folder = await tempMigrations();
      const dir = folder.dir;
      const created = await Promise.all(Array.from({ length: 6 }, (_, i) => createMigration(dir, `step ${i}`)));
      await expectDistinctPairs(dir, created);
    });

    it('gives six creates with the same name six versions (my file name taken: take the next)', async () => {
      folder = await tempMigrations();
      const dir = folder.dir;
      const created = await Promise.all(Array.from({ length: 6 }, () => createMigration(dir, 'same')));
      await expectDistinctPairs(dir, created);
    });

    it('gives six `surreal-migrate create` processes released together six versions, all exit 0', async () => {
      const root = await tempDir('sbl-cli-create-race-');
      const dir = path.join(root.dir, 'migrations');
      await mkdir(dir);
      const runs = Array.from({ length: 6 }, (_, i) => startHeldCreate(root.dir, `add thing ${i}`));
      try {
        // Every process has loaded the CLI and waits: release them all at once.
        await Promise.all(runs.map((run) => run.ready));
        for (const run of runs) run.release();
        const results = await Promise.all(runs.map((run) => run.exited));
        for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
        const documents = results.map(
          (r) => JSON.parse(r.stdout) as { ok: boolean; version: number; name: string; files: string[] },
        );
        for (const document of documents) expect(document.ok).toBe(true);
        await expectDistinctPairs(dir, documents);
        expect(documents.map((d) => d.name).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `add_thing_${i}`));
      } finally {
        for (const run of runs) run.kill();
        await root.dispose();
      }
    });
  });
});

/** The preload that holds a CLI process, its modules loaded, until a line arrives on stdin. */
const START_BARRIER = path.join(supportDir, 'cli-start-barrier.mjs');

/** Starts `surreal-migrate create <name> --json` in `cwd`, held by the start barrier. */
function startHeldCreate(cwd: string, name: string) {
  const child = spawn(process.execPath, ['--import', START_BARRIER, CLI, 'create', name, '--json'], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.includes('barrier:ready\n')) signalReady();
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace('barrier:ready\n', '') })),
  );
  // A process that exits before it is ready fails the test with its output instead of waiting.
  const readyOrExit = Promise.race([
    ready,
    exited.then((r) => {
      throw new Error(`create exited (${r.code}) before the barrier: ${r.stdout}${r.stderr}`);
    }),
  ]);
  return {
    ready: readyOrExit,
    exited,
    release: () => child.stdin.end('go\n'),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
