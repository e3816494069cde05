import { createHash } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';

import { MigrationsError } from '../../src/core/support/errors.js';
import { MigrationDiscoveryError } from '../../src/core/support/state-errors.js';
import {
  checksumOf,
  discoverMigrations,
  firstInvalidUtf8Byte,
  normalizeScript,
  parseMigrationFileName,
  readMigrationFileName,
  type DiscoveredMigrations,
} from '../../src/core/files/migration-files.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Runs discovery and returns the error it throws (fails the test when it does not throw). */
async function discoveryError(dir: string): Promise<MigrationDiscoveryError> {
  const outcome = await discoverMigrations(dir).then(
    (found) => found,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(MigrationDiscoveryError);
  return outcome as MigrationDiscoveryError;
}

/** The fix named for an entry that is not a regular file. */
const NOT_A_FILE_FIX =
  'a migration must be a regular file (or a symbolic link to one); replace it with the script, or rename or remove it.';

const summary = (found: DiscoveredMigrations) => ({
  up: found.up.map((m) => [m.version, m.name]),
  down: found.down.map((m) => [m.version, m.name]),
});

describe('parseMigrationFileName', () => {
  it.each([
    ['0001_create_users.surql', { version: 1, name: 'create_users', direction: 'up' }],
    ['0001_create_users.down.surql', { version: 1, name: 'create_users', direction: 'down' }],
    ['1.surrealql', { version: 1, name: '', direction: 'up' }],
    ['1_down.surrealql', { version: 1, name: '', direction: 'down' }],
    ['12.surql', { version: 12, name: '', direction: 'up' }],
    ['0042_add_index.surrealql', { version: 42, name: 'add_index', direction: 'up' }],
  ])('reads %s', (fileName, expected) => {
    expect(parseMigrationFileName(fileName)).toMatchObject(expected);
  });

  it('leaves `<n>_<name>_down` for discovery to settle', () => {
    expect(parseMigrationFileName('11_api_key_config_down.surrealql')).toEqual({
      version: 11,
      name: 'api_key_config',
      direction: 'down',
      namedDown: true,
    });
  });

  it.each([
    'README.md',
    '.gitkeep',
    'notes.surql',
    '0001_x.sql',
    'x_0001.surql',
    '0001-x.surql',
    '0001_a.b.surql',
    '.surql',
  ])('rejects %s', (fileName) => {
    expect(parseMigrationFileName(fileName)).toBeUndefined();
  });

  it('rejects a version beyond the safe integer range', () => {
    expect(parseMigrationFileName('99999999999999999999_x.surql')).toBeUndefined();
  });

  it('tells a migration-shaped name with a version above 2^53 − 1 from a non-migration', () => {
    expect(readMigrationFileName('9007199254740993_big.surql')).toEqual({ tooLarge: '9007199254740993' });
    expect(readMigrationFileName('0009007199254740992_x.down.surql')).toEqual({ tooLarge: '9007199254740992' });
    expect(readMigrationFileName('9007199254740993_down.surrealql')).toEqual({ tooLarge: '9007199254740993' });
    expect(readMigrationFileName('9007199254740991_max.surql')).toMatchObject({ version: Number.MAX_SAFE_INTEGER });
    expect(readMigrationFileName('README.md')).toBeUndefined();
  });
});

describe('firstInvalidUtf8Byte', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

  it.each([
    ['ASCII', [0x61, 0x3b], -1],
    ['é, a 4-byte emoji and a BOM', [0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xef, 0xbb, 0xbf], -1],
    ['Latin-1 é before ASCII', [0x63, 0x61, 0x66, 0xe9, 0x3b], 3],
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['a lead byte cut off by the end', [0x61, 0xc3], 1],
    ['a 3-byte sequence cut short', [0xe2, 0x82, 0x61], 0],
    ['an overlong form', [0xc0, 0x80], 0],
    ['an overlong 3-byte form', [0xe0, 0x80, 0x80], 0],
    ['a surrogate', [0x61, 0xed, 0xa0, 0x80], 1],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['0xFF', [0xff], 0],
  ])('%s', (_case, bytes, expected) => {
    expect(firstInvalidUtf8Byte(Uint8Array.from(bytes))).toBe(expected);
  });

  it('agrees with a fatal TextDecoder, and points at the first byte a decoder replaces', () => {
    const utf8Heavy = fc
      .array(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 8 }).map((t) => [...Buffer.from(t, 'utf8')]),
          fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 3 }),
        ),
        { maxLength: 12 },
      )
      .map((parts) => Uint8Array.from(parts.flat()));
    const anyBytes = fc.uint8Array({ maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(utf8Heavy, anyBytes), (bytes) => {
        const offset = firstInvalidUtf8Byte(bytes);
        let valid = true;
        try {
          fatal.decode(bytes);
        } catch {
          valid = false;
        }
        expect(offset === -1).toBe(valid);
        if (offset === -1) return;
        // Everything before it is UTF-8; the decoder's first replacement is for the sequence there.
        expect(() => fatal.decode(bytes.subarray(0, offset))).not.toThrow();
        expect(lenient.decode(bytes.subarray(offset)).startsWith('\uFFFD')).toBe(true);
        expect([...bytes.subarray(offset, offset + 3)]).not.toEqual([0xef, 0xbf, 0xbd]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normalizeScript and checksumOf', () => {
  it('strips one leading BOM and turns CRLF and lone CR into LF', () => {
    expect(normalizeScript('\uFEFFa;\r\nb;\rc;\n')).toBe('a;\nb;\nc;\n');
  });

  it('keeps a BOM that is not at the start', () => {
    expect(normalizeScript('a;\uFEFF')).toBe('a;\uFEFF');
  });

  it('is the sha256 hex of the UTF-8 text', () => {
    const text = 'DEFINE TABLE café SCHEMAFULL; -- ünïcode\n';
    expect(checksumOf(text)).toBe(sha256(text));
    expect(checksumOf(text)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('discoverMigrations', () => {
  let tmp: TempMigrations;

  afterEach(async () => {
    await tmp?.dispose();
  });

  describe('naming styles', () => {
    it('pairs `0001_name.surql` with `0001_name.down.surql`', async () => {
      tmp = await tempMigrations({
        '0001_create_users.surql': 'DEFINE TABLE user;',
        '0001_create_users.down.surql': 'REMOVE TABLE user;',
        '0002_add_posts.surql': 'DEFINE TABLE post;',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(summary(found)).toEqual({
        up: [
          [1, 'create_users'],
          [2, 'add_posts'],
        ],
        down: [[1, 'create_users']],
      });
      expect(found.up.every((m) => m.direction === 'up')).toBe(true);
      expect(found.down.every((m) => m.direction === 'down')).toBe(true);
    });

    it("reads Open Notebook's `1.surrealql` and `1_down.surrealql`", async () => {
      tmp = await tempMigrations({
        '1.surrealql': 'DEFINE TABLE source;',
        '1_down.surrealql': 'REMOVE TABLE source;',
        '2.surrealql': 'DEFINE TABLE note;',
        '2_down.surrealql': 'REMOVE TABLE note;',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(summary(found)).toEqual({
        up: [
          [1, ''],
          [2, ''],
        ],
        down: [
          [1, ''],
          [2, ''],
        ],
      });
      expect(found.down[0]?.text).toBe('REMOVE TABLE source;');
    });

    it("pairs Open Notebook's `11_api_key_config.surrealql` with `11_api_key_config_down.surrealql`", async () => {
      tmp = await tempMigrations({
        '10.surrealql': 'DEFINE TABLE a;',
        '11_api_key_config.surrealql': 'DEFINE TABLE api_key;',
        '11_api_key_config_down.surrealql': 'REMOVE TABLE api_key;',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(summary(found)).toEqual({
        up: [
          [10, ''],
          [11, 'api_key_config'],
        ],
        down: [[11, 'api_key_config']],
      });
      expect(found.down[0]?.text).toBe('REMOVE TABLE api_key;');
    });

    it('keeps `0005_slow_down.surql` an up script named slow_down when no `0005_slow.surql` exists', async () => {
      tmp = await tempMigrations({
        '0004_a.surql': 'DEFINE TABLE a;',
        '0005_slow_down.surql': 'DEFINE TABLE throttle;',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(summary(found)).toEqual({
        up: [
          [4, 'a'],
          [5, 'slow_down'],
        ],
        down: [],
      });
    });

    it('pairs `0005_slow_down.surql` (up) with its own `0005_slow_down.down.surql`', async () => {
      tmp = await tempMigrations({
        '0005_slow_down.surql': 'DEFINE TABLE throttle;',
        '0005_slow_down.down.surql': 'REMOVE TABLE throttle;',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(summary(found)).toEqual({ up: [[5, 'slow_down']], down: [[5, 'slow_down']] });
    });

    it('accepts both .surql and .surrealql in one folder', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;', '0002_b.surrealql': 'B;' });
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => path.basename(m.path))).toEqual(['0001_a.surql', '0002_b.surrealql']);
    });
  });

  describe('versions', () => {
    it('sorts numerically (10 after 9), whatever the padding, and allows gaps', async () => {
      tmp = await tempMigrations({
        '10_ten.surql': '',
        '9_nine.surql': '',
        '0002_two.surql': '',
        '100.surrealql': '',
        '0010_ten.down.surql': '',
        '2_down.surrealql': '',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => m.version)).toEqual([2, 9, 10, 100]);
      expect(found.down.map((m) => m.version)).toEqual([2, 10]);
    });
  });

  describe('content', () => {
    it('strips a UTF-8 BOM and accepts CRLF: the checksum equals the LF file', async () => {
      const lf = '-- users\nDEFINE TABLE user SCHEMAFULL;\nDEFINE FIELD name ON user TYPE string;\n';
      tmp = await tempMigrations({
        '0001_lf.surql': lf,
        '0002_bom_crlf.surql': `\uFEFF${lf.replace(/\n/g, '\r\n')}`,
      });
      const [plain, windows] = (await discoverMigrations(tmp.dir)).up;
      expect(windows?.text).toBe(lf);
      expect(windows?.checksum).toBe(plain?.checksum);
      expect(plain?.checksum).toBe(sha256(lf));
    });

    it('takes the checksum of the text as read (a changed byte changes it)', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a;', '0002_b.surql': 'DEFINE TABLE b;' });
      const [a, b] = (await discoverMigrations(tmp.dir)).up;
      expect(a?.checksum).toBe(sha256('DEFINE TABLE a;'));
      expect(b?.checksum).not.toBe(a?.checksum);
    });

    it('accepts an empty file and a comment-only file as no-op migrations', async () => {
      tmp = await tempMigrations({
        '0001_empty.surql': '',
        '0002_comments.surql': '-- nothing to do yet\n/* really */\n',
      });
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => [m.version, m.text])).toEqual([
        [1, ''],
        [2, '-- nothing to do yet\n/* really */\n'],
      ]);
      expect(found.up[0]?.checksum).toBe(sha256(''));
    });

    it('gives the absolute path and the path relative to the working directory', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;' });
      const [m] = (await discoverMigrations(tmp.dir)).up;
      expect(m?.path).toBe(path.join(tmp.dir, '0001_a.surql'));
      expect(path.isAbsolute(m?.path ?? '')).toBe(true);
      expect(m?.file).toBe(path.relative(process.cwd(), path.join(tmp.dir, '0001_a.surql')));
    });

    it('resolves a relative `directory` against the working directory', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;' });
      const before = process.cwd();
      process.chdir(path.dirname(tmp.dir));
      try {
        const [m] = (await discoverMigrations('migrations')).up;
        expect(m?.file).toBe(path.join('migrations', '0001_a.surql'));
        expect(m?.path).toBe(path.join(tmp.dir, '0001_a.surql'));
      } finally {
        process.chdir(before);
      }
    });
  });

  describe('no-transaction directive', () => {
    it.each([
      ['first line', '-- migrate:no-transaction\nDEFINE INDEX i ON t FIELDS a;'],
      ['after other leading comments', '-- adds an index\n\n-- migrate:no-transaction\nDEFINE INDEX i ON t FIELDS a;'],
      ['with a BOM and CRLF', '\uFEFF-- migrate:no-transaction\r\nDEFINE INDEX i ON t FIELDS a;\r\n'],
    ])('is set when the directive is a leading comment (%s)', async (_case, text) => {
      tmp = await tempMigrations({ '0001_a.surql': text });
      expect((await discoverMigrations(tmp.dir)).up[0]?.noTransaction).toBe(true);
    });

    it.each([
      ['absent', 'DEFINE TABLE t;'],
      ['after the first statement', 'DEFINE TABLE t;\n-- migrate:no-transaction\n'],
      ['a different directive', '-- migrate:no-transactions\nDEFINE TABLE t;'],
    ])('is not set when %s', async (_case, text) => {
      tmp = await tempMigrations({ '0001_a.surql': text });
      expect((await discoverMigrations(tmp.dir)).up[0]?.noTransaction).toBe(false);
    });

    it('is read for down scripts too', async () => {
      tmp = await tempMigrations({
        '0001_a.surql': 'DEFINE TABLE t;',
        '0001_a.down.surql': '-- migrate:no-transaction\nREMOVE TABLE t;',
      });
      const found = await discoverMigrations(tmp.dir);
      expect([found.up[0]?.noTransaction, found.down[0]?.noTransaction]).toEqual([false, true]);
    });
  });

  describe('other files', () => {
    it('ignores non-migrations and reports them, sorted; passes over hidden folders', async () => {
      tmp = await tempMigrations({
        '0001_a.surql': 'A;',
        'README.md': '# migrations',
        '.gitkeep': '',
        'notes.surql': '-- scratch',
        '0001_x.sql': 'SELECT 1;',
      });
      await mkdir(path.join(tmp.dir, '.git'));
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => m.version)).toEqual([1]);
      expect(found.down).toEqual([]);
      expect(found.ignored).toEqual(['.gitkeep', '0001_x.sql', 'README.md', 'notes.surql']);
    });

    it('refuses, by name, a folder other than repeatable/ (issue 23)', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;' });
      await mkdir(path.join(tmp.dir, 'archive'));
      await mkdir(path.join(tmp.dir, 'repeatable'));
      const error = await discoveryError(tmp.dir);
      expect(error.problems.map((p) => [p.files.map((f) => path.basename(f)), p.problem])).toEqual([
        [
          ['archive'],
          'is a folder: the migrations folder holds migrations and one folder, `repeatable/` (repeatable ' +
            'definitions); move it out, or name it `repeatable` if it holds repeatable definitions.',
        ],
      ]);
    });

    it('accepts an empty folder', async () => {
      tmp = await tempMigrations();
      expect(await discoverMigrations(tmp.dir)).toEqual({ up: [], down: [], ignored: [], repeatable: [] });
    });

    it('reads a migration through a symlink', async () => {
      tmp = await tempMigrations({ 'shared.txt': 'DEFINE TABLE shared;' });
      await symlink(path.join(tmp.dir, 'shared.txt'), path.join(tmp.dir, '0001_shared.surql'));
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => [m.version, m.text])).toEqual([[1, 'DEFINE TABLE shared;']]);
    });
  });

  describe('problems that stop start-up', () => {
    it('rejects two up scripts with the same version, naming both files', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;', '1_b.surql': 'B;', '0002_c.surql': 'C;' });
      const error = await discoveryError(tmp.dir);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.files.map((f) => path.basename(f))).toEqual(['0001_a.surql', '1_b.surql']);
      expect(error.message).toContain('0001_a.surql');
      expect(error.message).toContain('1_b.surql');
      expect(error.message).toMatch(/share version 1; renumber/);
    });

    it('rejects the same version in .surql and .surrealql', async () => {
      tmp = await tempMigrations({ '0003_a.surql': 'A;', '0003_a.surrealql': 'A;' });
      const error = await discoveryError(tmp.dir);
      expect(error.problems[0]?.files.map((f) => path.basename(f))).toEqual(['0003_a.surql', '0003_a.surrealql']);
    });

    it('rejects two down scripts with the same version', async () => {
      tmp = await tempMigrations({
        '0001_a.surql': 'A;',
        '0001_a.down.surql': 'x;',
        '1_down.surrealql': 'y;',
      });
      const error = await discoveryError(tmp.dir);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.problem).toMatch(/2 down scripts share version 1/);
    });

    it('rejects a down script with no up script', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;', '0002_b.down.surql': 'B;' });
      const error = await discoveryError(tmp.dir);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.files.map((f) => path.basename(f))).toEqual(['0002_b.down.surql']);
      expect(error.problems[0]?.problem).toMatch(
        /down script with no up script of version 2; add the up script or remove/,
      );
    });

    it('rejects an Open Notebook down script with no up script', async () => {
      tmp = await tempMigrations({ '1.surrealql': 'A;', '2_down.surrealql': 'B;' });
      const error = await discoveryError(tmp.dir);
      expect(error.problems[0]?.files.map((f) => path.basename(f))).toEqual(['2_down.surrealql']);
    });

    it('rejects version 0', async () => {
      tmp = await tempMigrations({ '0000_init.surql': 'A;', '0001_a.surql': 'B;' });
      const error = await discoveryError(tmp.dir);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.files.map((f) => path.basename(f))).toEqual(['0000_init.surql']);
      expect(error.problems[0]?.problem).toMatch(/version 0 is reserved.*start at 1/);
    });

    it('reports a file that cannot be read (a dangling symlink)', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;' });
      await symlink(path.join(tmp.dir, 'gone.surql'), path.join(tmp.dir, '0003_x.surql'));
      const error = await discoveryError(tmp.dir);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.files).toEqual([path.relative(process.cwd(), path.join(tmp.dir, '0003_x.surql'))]);
      expect(error.problems[0]?.problem).toMatch(/cannot be read: .*ENOENT/);
    });

    it('reports a symlink to a folder, naming what it points at', async () => {
      tmp = await tempMigrations({ '0001_a.surql': 'A;' });
      // Beside the migrations folder: a folder inside it is refused on its own.
      const sub = path.join(path.dirname(tmp.dir), 'sub');
      await mkdir(sub);
      await symlink(sub, path.join(tmp.dir, '0002_b.surql'));
      const error = await discoveryError(tmp.dir);
      expect(error.problems.map((p) => p.files.map((f) => path.basename(f)))).toEqual([['0002_b.surql']]);
      expect(error.problems[0]?.problem).toBe(
        `is a symbolic link to ${sub}, which is a directory, not a regular file; ${NOT_A_FILE_FIX}`,
      );
    });

    it('refuses a version above 2^53 − 1 by name instead of ignoring it', async () => {
      tmp = await tempMigrations({
        '0001_a.surql': 'A;',
        '9007199254740993_big.surql': 'B;',
        '9007199254740992_edge.down.surql': 'C;',
      });
      const error = await discoveryError(tmp.dir);
      expect(error.problems.map((p) => [p.files.map((f) => path.basename(f)), p.problem])).toEqual([
        [
          ['9007199254740992_edge.down.surql'],
          'version 9007199254740992 is larger than 2^53 − 1 (9007199254740991), the largest version that can be ' +
            'stored exactly; renumber the file with a smaller version.',
        ],
        [
          ['9007199254740993_big.surql'],
          'version 9007199254740993 is larger than 2^53 − 1 (9007199254740991), the largest version that can be ' +
            'stored exactly; renumber the file with a smaller version.',
        ],
      ]);
      expect(error.message).toContain('9007199254740993_big.surql: version 9007199254740993 is larger than 2^53 − 1');
    });

    it('accepts version 2^53 − 1 itself', async () => {
      tmp = await tempMigrations({ '9007199254740991_max.surql': 'A;' });
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => m.version)).toEqual([Number.MAX_SAFE_INTEGER]);
      expect(found.ignored).toEqual([]);
    });

    it('lists every problem at once, with the files relative to the working directory', async () => {
      tmp = await tempMigrations({
        '0000_zero.surql': 'Z;',
        '0001_a.surql': 'A;',
        '0001_b.surql': 'B;',
        '0004_orphan.down.surql': 'O;',
        '0005_ok.surql': 'K;',
      });
      await symlink(path.join(tmp.dir, 'missing-target'), path.join(tmp.dir, '0006_broken.surql'));
      const error = await discoveryError(tmp.dir);
      const rel = (name: string) => path.relative(process.cwd(), path.join(tmp.dir, name));
      expect(error.problems.map((p) => p.files).sort()).toEqual(
        [
          [rel('0000_zero.surql')],
          [rel('0001_a.surql'), rel('0001_b.surql')],
          [rel('0004_orphan.down.surql')],
          [rel('0006_broken.surql')],
        ].sort(),
      );
      const named = ['0000_zero.surql', '0001_a.surql', '0001_b.surql', '0004_orphan.down.surql', '0006_broken.surql'];
      for (const name of named) {
        expect(error.message).toContain(rel(name));
      }
      expect(error.message).not.toContain('0005_ok.surql');
      expect(error.directory).toBe(tmp.dir);
      expect(error).toBeInstanceOf(MigrationsError);
      expect(error.code).toBe('DISCOVERY_FAILED');
    });

    it('says that a missing folder does not exist and how to fix it', async () => {
      tmp = await tempMigrations();
      const missing = path.join(tmp.dir, 'nope');
      const error = await discoveryError(missing);
      expect(error.message).toContain(missing);
      expect(error.message).toMatch(/does not exist/);
      expect(error.message).toMatch(/create it or set `directory`/);
      expect(error.problems[0]?.files).toEqual([path.relative(process.cwd(), missing)]);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    });

    it('says when the folder is a file', async () => {
      tmp = await tempMigrations();
      const notAFolder = path.join(tmp.dir, 'file.txt');
      await writeFile(notAFolder, 'x');
      const error = await discoveryError(notAFolder);
      expect(error.message).toMatch(/cannot read the folder/);
      expect(error.message).not.toMatch(/does not exist/);
    });
  });
});

describe('discoverMigrations: encoding', () => {
  let tmp: TempMigrations;
  afterEach(async () => {
    await tmp?.dispose();
  });

  const notUtf8 = (byte: string, offset: number, line: number) =>
    `is not valid UTF-8: the first invalid byte is ${byte}, at byte offset ${offset} (line ${line}); ` +
    'save the file as UTF-8 (it may be in Latin-1 or Windows-1252).';
  const writeBytes = (name: string, bytes: Buffer) => writeFile(path.join(tmp.dir, name), bytes);
  const rel = (name: string) => path.relative(process.cwd(), path.join(tmp.dir, name));

  it('refuses a Latin-1 file, naming it, the offset of the first invalid byte and the fix', async () => {
    tmp = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a;' });
    // `é` as Latin-1 (0xE9) on line 2, after 8 + 16 bytes.
    await writeBytes('0002_cafe.surql', Buffer.from('-- menu\nDEFINE TABLE caf\xe9 SCHEMALESS;\n', 'latin1'));
    const error = await discoveryError(tmp.dir);
    expect(error.problems).toEqual([
      {
        files: [rel('0002_cafe.surql')],
        problem: notUtf8('0xE9', 24, 2),
      },
    ]);
    expect(error.message).toContain(`${rel('0002_cafe.surql')}: ${notUtf8('0xE9', 24, 2)}`);
  });

  it('refuses both spellings of a Latin-1 edit (é to è), so none of them can pass with an old checksum', async () => {
    tmp = await tempMigrations();
    await writeBytes('0001_a.surql', Buffer.from('DEFINE TABLE caf\xe9;', 'latin1'));
    const before = await discoveryError(tmp.dir);
    await writeBytes('0001_a.surql', Buffer.from('DEFINE TABLE caf\xe8;', 'latin1'));
    const after = await discoveryError(tmp.dir);
    expect(before.problems[0]?.problem).toBe(notUtf8('0xE9', 16, 1));
    expect(after.problems[0]?.problem).toBe(notUtf8('0xE8', 16, 1));
  });

  it('counts the offset in bytes of the file, BOM and CRLF included', async () => {
    tmp = await tempMigrations();
    const bytes = Buffer.concat([Buffer.from('\uFEFF-- é\r\nA;\r\n', 'utf8'), Buffer.from([0xc3])]);
    await writeBytes('0001_a.surql', bytes);
    const error = await discoveryError(tmp.dir);
    expect(error.problems[0]?.problem).toBe(notUtf8('0xC3', bytes.length - 1, 3));
  });

  it('refuses a surrogate and an overlong form, as a strict decoder does', async () => {
    tmp = await tempMigrations({ '0001_a.surql': 'A;' });
    await writeBytes('0002_b.surql', Buffer.from([0x41, 0xed, 0xa0, 0x80]));
    await writeBytes('0003_c.down.surql', Buffer.from([0xc0, 0xaf]));
    await writeBytes('0003_c.surql', Buffer.from('C;'));
    const error = await discoveryError(tmp.dir);
    expect(error.problems.map((p) => [path.basename(p.files[0]!), p.problem]).sort()).toEqual([
      ['0002_b.surql', notUtf8('0xED', 1, 1)],
      ['0003_c.down.surql', notUtf8('0xC0', 0, 1)],
    ]);
  });

  it('reads valid UTF-8 exactly as before: the checksum is of the decoded text', async () => {
    const text = '-- café ☕ 😀\nDEFINE TABLE straße;\n';
    tmp = await tempMigrations({ '0001_a.surql': `\uFEFF${text}` });
    const [m] = (await discoverMigrations(tmp.dir)).up;
    expect(m?.text).toBe(text);
    expect(m?.checksum).toBe(sha256(text));
  });
});

describe('discoverMigrations: entries that are not regular files', () => {
  let tmp: TempMigrations;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await tmp?.dispose();
  });

  const rel = (name: string) => path.relative(process.cwd(), path.join(tmp.dir, name));
  const problemsOf = (error: MigrationDiscoveryError) =>
    error.problems.map((p) => [p.files.map((f) => path.basename(f)), p.problem]);

  it('refuses a folder named like a migration, and does not call its down script an orphan', async () => {
    tmp = await tempMigrations({ '0001_a.surql': 'A;', '0002_x.down.surql': 'REMOVE TABLE x;' });
    await mkdir(path.join(tmp.dir, '0002_x.surql'));
    const error = await discoveryError(tmp.dir);
    expect(problemsOf(error)).toEqual([[['0002_x.surql'], `is a directory, not a regular file; ${NOT_A_FILE_FIX}`]]);
    expect(error.message).toContain(`${rel('0002_x.surql')}: is a directory, not a regular file`);
  });

  posixIt('refuses a FIFO and a symlink to it by name, without opening either', async () => {
    tmp = await tempMigrations({ '0001_a.surql': 'A;' });
    const fifo = guardedFifo(path.join(tmp.dir, '0003_y.surql'));
    cleanups.push(() => fifo.release());
    await symlink(path.join(tmp.dir, '0003_y.surql'), path.join(tmp.dir, '0004_z.surql'));
    const error = await discoveryError(tmp.dir);
    expect(problemsOf(error)).toEqual([
      [['0003_y.surql'], `is a named pipe (FIFO), not a regular file; ${NOT_A_FILE_FIX}`],
      [
        ['0004_z.surql'],
        `is a symbolic link to ${path.join(tmp.dir, '0003_y.surql')}, which is a named pipe (FIFO), not a regular file; ${NOT_A_FILE_FIX}`,
      ],
    ]);
  });

  posixIt('refuses a socket and a symlink to it', async () => {
    tmp = await tempMigrations({ '0001_a.surql': 'A;' });
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(tmp.dir, '0005_s.surql'), resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await symlink('0005_s.surql', path.join(tmp.dir, '0006_t.surql'));
    const error = await discoveryError(tmp.dir);
    expect(problemsOf(error)).toEqual([
      [['0005_s.surql'], `is a socket, not a regular file; ${NOT_A_FILE_FIX}`],
      [
        ['0006_t.surql'],
        `is a symbolic link to 0005_s.surql, which is a socket, not a regular file; ${NOT_A_FILE_FIX}`,
      ],
    ]);
  });

  posixIt(
    'lists every such entry at once, next to the other problems, and still reads a symlink to a file',
    async () => {
      tmp = await tempMigrations({
        '0001_a.surql': 'A;',
        'shared.txt': 'S;',
        '0007_dup.surql': 'D;',
        '7_dup.surql': 'E;',
      });
      await symlink('shared.txt', path.join(tmp.dir, '0002_shared.surql'));
      await mkdir(path.join(tmp.dir, '0003_folder.surql'));
      const fifo = guardedFifo(path.join(tmp.dir, '0004_pipe.surql'));
      cleanups.push(() => fifo.release());
      await symlink('0004_pipe.surql', path.join(tmp.dir, '0005_link.down.surql'));
      await writeFile(path.join(tmp.dir, '0006_big.surql'), '');
      await writeFile(path.join(tmp.dir, '99999999999999999999_huge.surql'), '');
      const error = await discoveryError(tmp.dir);
      expect(problemsOf(error).map(([files, problem]) => [files, (problem as string).split(',')[0]])).toEqual([
        [['0003_folder.surql'], 'is a directory'],
        [['0004_pipe.surql'], 'is a named pipe (FIFO)'],
        [['0005_link.down.surql'], 'is a symbolic link to 0004_pipe.surql'],
        [
          ['99999999999999999999_huge.surql'],
          'version 99999999999999999999 is larger than 2^53 − 1 (9007199254740991)',
        ],
        [['0007_dup.surql', '7_dup.surql'], '2 up scripts share version 7; renumber all but one.'],
      ]);
      // Without the refused entries, the symlink to a regular file reads as before.
      await rmEntries(tmp.dir, [
        '0003_folder.surql',
        '0005_link.down.surql',
        '99999999999999999999_huge.surql',
        '7_dup.surql',
      ]);
      await fifo.release();
      cleanups.length = 0;
      await rmEntries(tmp.dir, ['0004_pipe.surql']);
      const found = await discoverMigrations(tmp.dir);
      expect(found.up.map((m) => [m.version, m.text])).toEqual([
        [1, 'A;'],
        [2, 'S;'],
        [6, ''],
        [7, 'D;'],
      ]);
    },
  );

  posixIt('never opens a FIFO that is not named like a migration', async () => {
    tmp = await tempMigrations({ '0001_a.surql': 'A;' });
    const fifo = guardedFifo(path.join(tmp.dir, 'events.pipe'));
    cleanups.push(() => fifo.release());
    const found = await discoverMigrations(tmp.dir);
    expect(found.up.map((m) => m.version)).toEqual([1]);
    expect(found.ignored).toEqual([]);
  });
});

async function rmEntries(dir: string, names: string[]): Promise<void> {
  for (const name of names) await rm(path.join(dir, name), { recursive: true });
}
