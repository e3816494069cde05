import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { readUserFile, regularEntries, userFileProblem } from '../../src/core/files/regular-files.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { tempDir } from '../support/migrations-dir.js';

const FIX = 'the fix.';

describe('a user-named file or folder, read as discovery reads the migrations folder', () => {
  let tmp: { dir: string; dispose(): Promise<void> };
  const cleanups: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    tmp = await tempDir('sbl-regular-');
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await tmp.dispose();
  });
  const at = (name: string) => path.join(tmp.dir, name);

  it('reads a regular file, and a link to one, as UTF-8 with its BOM', async () => {
    await writeFile(at('a.json'), '\uFEFF[]');
    await symlink('a.json', at('b.json'));
    expect(readUserFile(at('a.json'), FIX)).toEqual({ text: '\uFEFF[]' });
    expect(readUserFile(at('b.json'), FIX)).toEqual({ text: '\uFEFF[]' });
    expect(userFileProblem(at('b.json'), FIX)).toBeUndefined();
  });

  it('says when nothing is there, and names a link to nothing', async () => {
    await symlink('gone', at('dangling'));
    expect(readUserFile(at('missing'), FIX)).toEqual({ missing: true });
    expect(readUserFile(at('dangling'), FIX)).toEqual({
      problem:
        'cannot be read: it is a symbolic link to gone, which does not exist (ENOENT); restore the target or remove the link.',
    });
  });

  it('names the first byte that is not UTF-8', async () => {
    await writeFile(at('latin1.surql'), Buffer.from([0x61, 0x0a, 0xe9]));
    expect(readUserFile(at('latin1.surql'), FIX)).toEqual({
      problem: expect.stringContaining('the first invalid byte is 0xE9, at byte offset 2 (line 2)'),
    });
  });

  posixIt('refuses every kind of entry that is not a regular file, by what it is, opening none', async () => {
    const fifo = guardedFifo(at('pipe'));
    cleanups.push(() => fifo.release());
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(at('sock'), resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await mkdir(at('folder'));
    await symlink('pipe', at('pipe.link'));
    await symlink('folder', at('folder.link'));
    await symlink('/dev/null', at('device.link'));
    const expected: [string, string][] = [
      ['pipe', 'is a named pipe (FIFO), not a regular file; the fix.'],
      ['sock', 'is a socket, not a regular file; the fix.'],
      ['folder', 'is a directory, not a regular file; the fix.'],
      ['pipe.link', 'is a symbolic link to pipe, which is a named pipe (FIFO), not a regular file; the fix.'],
      ['folder.link', 'is a symbolic link to folder, which is a directory, not a regular file; the fix.'],
      ['device.link', 'is a symbolic link to /dev/null, which is a character device, not a regular file; the fix.'],
    ];
    for (const [name, problem] of expected) {
      expect([name, readUserFile(at(name), FIX)]).toEqual([name, { problem }]);
    }
    // A folder: every entry the reader wants, checked at once; the others neither checked nor opened.
    await writeFile(at('a.surql'), 'A;');
    const listed = await regularEntries(tmp.dir, (name) => name !== 'folder' && name !== 'pipe', FIX);
    expect(listed.names).toEqual(['a.surql']);
    expect(listed.problems.map((p) => [path.basename(p.files[0]!), p.problem])).toEqual(
      expected.filter(([name]) => name !== 'folder' && name !== 'pipe').sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  });
});
