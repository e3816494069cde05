import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { itOn } from '../support/engine.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';
import { cliProject, runCli, versions, type CliProject } from './cli-harness.js';

/** Options that make an unreachable server fail at once. */
const FAIL_FAST = ['--connect-retries', '0', '--connect-timeout', '1000'];

describe('surreal-migrate create', () => {
  let project: CliProject | undefined;
  afterEach(async () => {
    await project?.dispose();
    project = undefined;
  });

  it('numbers after the widest prefix in a NNNN_name.surql folder, without a database, and the files apply', async () => {
    project = await cliProject({
      '0001_init.surql': 'DEFINE TABLE init SCHEMALESS;\n',
      // An index: the embedded engine then keeps the process alive unless the CLI exits by itself.
      '0009_more.surql':
        'DEFINE TABLE more SCHEMAFULL;\nDEFINE FIELD n ON more TYPE int;\nDEFINE INDEX more_n ON more FIELDS n;\n',
      '0009_more.down.surql': 'REMOVE TABLE more;\n',
      'README.md': 'not a migration',
    });
    // No SURREAL_URL: create never connects.
    const created = await runCli(project.root, ['create', 'Add Widgets']);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe(
      'Created migration 10 (add_widgets):\n  migrations/0010_add_widgets.surql\n  migrations/0010_add_widgets.down.surql\n',
    );
    expect(await project.read('0010_add_widgets.surql')).toBe('-- 10: add widgets\n');
    expect(await project.read('0010_add_widgets.down.surql')).toBe('-- 10: add widgets (rollback)\n');

    const json = await runCli(project.root, ['create', 'add-gadgets', '--json']);
    expect(json.code).toBe(0);
    expect(json.json()).toEqual({
      ok: true,
      command: 'create',
      version: 11,
      name: 'add_gadgets',
      files: ['migrations/0011_add_gadgets.surql', 'migrations/0011_add_gadgets.down.surql'],
    });
    expect(await project.files()).toEqual([
      '0001_init.surql',
      '0009_more.down.surql',
      '0009_more.surql',
      '0010_add_widgets.down.surql',
      '0010_add_widgets.surql',
      '0011_add_gadgets.down.surql',
      '0011_add_gadgets.surql',
      'README.md',
    ]);

    const up = await project.run(['up', '--json']);
    expect(up.code).toBe(0);
    expect(up.json().applied.map((r: { version: number }) => r.version)).toEqual([1, 9, 10, 11]);
  });

  it('follows the Open Notebook style: 24.surrealql and 24_down.surrealql, the name in a comment', async () => {
    project = await cliProject({
      '9.surrealql': 'DEFINE TABLE a SCHEMALESS;\n',
      '22.surrealql': 'DEFINE TABLE b SCHEMALESS;\n',
      '23.surrealql': 'DEFINE TABLE c SCHEMALESS;\n',
      '23_down.surrealql': 'REMOVE TABLE c;\n',
    });
    const created = await runCli(project.root, ['create', 'add widgets']);
    expect(created.code).toBe(0);
    expect(await project.files()).toEqual([
      '22.surrealql',
      '23.surrealql',
      '23_down.surrealql',
      '24.surrealql',
      '24_down.surrealql',
      '9.surrealql',
    ]);
    expect(await project.read('24.surrealql')).toBe('-- 24: add widgets\n');
    expect(await project.read('24_down.surrealql')).toBe('-- 24: add widgets (rollback)\n');
  });

  it('refuses names that would leave the folder or hold other characters (exit 2), writing nothing', async () => {
    project = await cliProject({ '0001_init.surql': 'DEFINE TABLE init SCHEMALESS;\n' });
    const evil = await runCli(project.root, ['create', '../evil']);
    expect(evil.code).toBe(2);
    expect(evil.stderr).toContain('would leave the migrations folder');
    const nested = await runCli(project.root, ['create', 'a/b', '--json']);
    expect(nested.code).toBe(2);
    expect(nested.json()).toMatchObject({ ok: false, command: 'create', error: { code: 'USAGE' } });
    const odd = await runCli(project.root, ['create', 'drop;table']);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain('only letters, digits');
    expect(await project.files()).toEqual(['0001_init.surql']);
    expect((await readdir(project.root)).sort()).toEqual(['migrations']);
  });
});

describe('surreal-migrate usage, environment and failures', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\n' });
  });
  afterAll(() => project.dispose());

  it('prints usage with --help and exits 0', async () => {
    const help = await project.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: surreal-migrate <command> [options]');
    for (const command of [
      'status',
      'up',
      'down',
      'plan',
      'dry-run',
      'validate',
      'baseline',
      'resolve',
      'repair',
      'unlock',
      'create',
    ]) {
      expect(help.stdout).toContain(`\n  ${command}`);
    }
    expect(help.stderr).toBe('');
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['status', '--bogus'], /Unknown option '--bogus'/],
    [['down', '--to', '1', '--steps', '1'], /either --to or --steps/],
    [['baseline'], /`baseline` needs a <version>/],
    [['up', '--to', 'latest'], /--to must be a whole number/],
    [[], /missing command/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const run = await project.run(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('surreal-migrate --help');
    expect(run.stdout).toBe('');
  });

  it('reports usage errors as one JSON document with --json', async () => {
    const unknown = await project.run(['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json()).toEqual({
      ok: false,
      error: { code: 'USAGE', message: expect.stringContaining('frobnicate'), hint: expect.any(String) },
    });
    const both = await project.run(['down', '--to', '1', '--steps', '1', '--json']);
    expect(both.code).toBe(2);
    expect(both.json()).toMatchObject({ ok: false, command: 'down', error: { code: 'USAGE' } });
  });

  it('exits 2 when the core rejects an option, naming the flag to set', async () => {
    const noUrl = await runCli(project.root, ['status']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('Invalid migrations option `url`');
    expect(noUrl.stderr).toContain('--url or SURREAL_URL');

    const badTimeout = await project.run(['status', '--connect-timeout', '0', '--json']);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.json()).toMatchObject({
      ok: false,
      error: { code: 'INVALID_OPTIONS', field: 'connect.timeoutMs' },
    });
  });

  it('exits 3 when the database is unreachable, never printing the password from the URL', async () => {
    const run = await project.run([
      'status',
      '--json',
      '--url',
      'ws://root:Url-S3cret@127.0.0.1:1',
      '--ns',
      'a',
      '--db',
      'b',
      ...FAIL_FAST,
    ]);
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({
      ok: false,
      command: 'status',
      error: { code: 'DATABASE_UNREACHABLE', url: 'ws://127.0.0.1:1', attempts: 1 },
    });
    expect(run.stdout + run.stderr).not.toContain('Url-S3cret');
  });

  it('exits 3 after its retries, never printing the password from --pass or the environment', async () => {
    const flag = await project.run([
      'up',
      '--verbose',
      '--url',
      'ws://127.0.0.1:1',
      '--user',
      'root',
      '--pass',
      'Flag-S3cret',
      '--connect-retries',
      '1',
      '--connect-timeout',
      '1000',
    ]);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain('not reachable (attempt 1/2)');
    expect(flag.stderr).toContain('Cannot reach SurrealDB at ws://127.0.0.1:1 after 2 attempt(s)');
    expect(flag.stdout + flag.stderr).not.toContain('Flag-S3cret');

    const env = await project.run(['status', '--json', ...FAIL_FAST], {
      SURREAL_URL: 'ws://127.0.0.1:1',
      SURREAL_USER: 'root',
      SURREAL_PASSWORD: 'Env-S3cret',
    });
    expect(env.code).toBe(3);
    expect(env.stdout + env.stderr).not.toContain('Env-S3cret');
  });

  it('reads .env from the working directory; variables already set win', async () => {
    // The sign-in, when the project's database requires one, is in the file too.
    const credentials = Object.entries(project.credentials).map(([name, value]) => `${name}=${value}\n`);
    await writeFile(
      path.join(project.root, '.env'),
      `SURREAL_URL=${project.url}\nSURREAL_NAMESPACE=from_file\nSURREAL_DATABASE=from_file\n${credentials.join('')}`,
    );
    try {
      const run = await runCli(project.root, ['status', '--json'], { SURREAL_DATABASE: 'from_env' });
      expect(run.code).toBe(0);
      expect(run.json().target).toMatchObject({ url: project.url, namespace: 'from_file', database: 'from_env' });
    } finally {
      await writeFile(path.join(project.root, '.env'), '');
    }
  });

  posixIt('never opens a .env that is not a regular file: it names it in a warning and reads nothing', async () => {
    await rm(path.join(project.root, '.env'), { force: true });
    // A FIFO with a writer: a CLI that opened it would read `opened` and go on, without the warning.
    const fifo = guardedFifo(path.join(project.root, '.env'));
    try {
      const run = await runCli(project.root, ['lint', '--json']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(
        `warning: ${path.join(project.root, '.env')} is a named pipe (FIFO), not a regular file; .env is read only ` +
          'when it is a regular file (or a symbolic link to one): replace it, or remove it.\n',
      );
    } finally {
      await fifo.release();
      await rm(path.join(project.root, '.env'));
      await writeFile(path.join(project.root, '.env'), '');
    }
  });

  it('exits 1 on a broken folder, before connecting', async () => {
    await project.write('0001_again.surql', 'DEFINE TABLE again SCHEMALESS;\n');
    const run = await project.run(['up', '--json', '--url', 'ws://127.0.0.1:1', ...FAIL_FAST]);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({
      ok: false,
      command: 'up',
      error: {
        code: 'DISCOVERY_FAILED',
        problems: [{ files: ['migrations/0001_a.surql', 'migrations/0001_again.surql'] }],
      },
    });
  });
});

describe('surreal-migrate on other engines', () => {
  let project: CliProject;
  let relay: WsRelay | undefined;

  beforeAll(async () => {
    project = await cliProject({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\n',
      '0001_a.down.surql': 'REMOVE TABLE a;\n',
    });
  });
  afterAll(async () => {
    await relay?.close();
    await project.dispose();
  });

  it('migrates a server over ws://, signing in with the credentials of the URL and never showing them', async () => {
    // The server requires its root user's sign-in, as `surreal start --user root --pass ...` does:
    // only the URL's credentials can pass it.
    relay = await startWsRelay({ path: 'mem://', user: RELAY_ROOT.user, pass: 'Relay-S3cret' });
    const withCredentials = relay.url.replace('ws://', 'ws://root:Relay-S3cret@');
    // No other credentials in the environment (SURREAL_USER/SURREAL_PASSWORD would win over the URL's).
    const overWs = (args: string[]) =>
      runCli(project.root, [...args, '--url', withCredentials, '--ns', 'test', '--db', 'test']);
    const up = await overWs(['up', '--json']);
    expect(up.code).toBe(0);
    expect(versions(up.json().applied)).toEqual([1]);

    const status = await overWs(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Database    ${relay.url} (namespace test, database test)`);
    expect(status.stdout).toMatch(/^applied\s+1\s+a\s+applied /m);
    expect(up.stdout + up.stderr + status.stdout + status.stderr).not.toContain('Relay-S3cret');
  });

  itOn(['v3'], 'an embedded rocksdb:// store is SurrealDB 3 only: the embedded SurrealDB 2 (wasm) is mem:// only')(
    'migrates an embedded rocksdb:// database',
    async () => {
      const url = `rocksdb://${path.join(project.root, 'rocks')}`;
      const up = await project.run(['up', '--json'], { SURREAL_URL: url });
      expect(up.code).toBe(0);
      expect(up.json()).toMatchObject({ ok: true, currentVersion: 1 });
      const down = await project.run(['down', '--json'], { SURREAL_URL: url });
      expect(down.json()).toMatchObject({ ok: true, currentVersion: 0, rolledBack: [{ version: 1 }] });
    },
  );
});
