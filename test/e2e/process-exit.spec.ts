import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../support/child.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

const PROBE = path.join(repoRoot, 'test', 'support', 'exit-probe.mjs');

/** Runs the probe; resolves with its exit code and output once it has exited by itself. */
function probe(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // A process that hangs is the failure: it is killed, and the test sees a null code.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

/** Processes that use the library end by themselves, even after migrations that define indexes. */
describe('a process ends by itself', () => {
  let folder: TempMigrations;
  afterEach(() => folder.dispose());

  it('after lintMigrations() on a folder that defines an index', async () => {
    folder = await tempMigrations({
      '0001_init.surql':
        'DEFINE TABLE person SCHEMAFULL;\nDEFINE FIELD name ON person TYPE string;\nDEFINE INDEX person_name ON person FIELDS name UNIQUE;',
      '0001_init.down.surql': 'REMOVE TABLE person;',
    });
    const run = await probe(['lint', folder.dir]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, reversible: 1 });
  });

  it('after a migration fails while a MIGRATIONS_READY provider is being built', async () => {
    folder = await tempMigrations({
      // No index here: after a DEFINE INDEX the embedded engine itself keeps the process alive.
      '0001_table.surql': 'DEFINE TABLE t SCHEMALESS;',
      '0002_bad.surql': "THROW 'boom';",
    });
    const run = await probe(['ready', folder.dir]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ created: false, error: 'MigrationError' });
  });
});
