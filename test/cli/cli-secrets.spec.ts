import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { freePort } from '../support/net.js';
import { RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';
import { runCli, type CliRun } from './cli-harness.js';
import { forbidden, PASSWORDS, type Password } from '../support/passwords.js';

/**
 * The CLI masks passwords in everything it prints: stdout and stderr, human and `--json` output,
 * whatever the shape of the URL they came in. Runs the built bin (`npm run build` first).
 */

/**
 * A password as written in a URL and as it signs in; made of distinctive runs (`Zq9w`, `Kx7v`...)
 * around the special characters, so that a password shown in part is caught too.
 */

/** Fails listing where each forbidden text was found in the runs' stdout and stderr. */
function expectNoLeak(runs: Record<string, CliRun>, secrets: readonly string[]): void {
  const leaks: string[] = [];
  const output: Record<string, string> = {};
  for (const [name, run] of Object.entries(runs)) {
    for (const stream of ['stdout', 'stderr'] as const) {
      output[`${name} ${stream}`] = run[stream];
      for (const secret of secrets) {
        if (run[stream].includes(secret)) leaks.push(`${name} ${stream} shows ${JSON.stringify(secret)}`);
      }
    }
  }
  expect({ leaks, output }).toEqual({ leaks: [], output });
}

const SCHEMES = ['ws', 'wss', 'http', 'https'] as const;
/** A closed port fails at once, with one retry so that the retry warning is printed too. */
const FAST = ['--connect-retries', '1', '--connect-timeout', '300', '--connect-backoff', '10'];
/** A live server: no retry (a refusal is reported at once), and time enough for a busy machine. */
const LIVE = ['--connect-retries', '0', '--connect-timeout', '20000'];

let migrations: TempMigrations;
let closedPort: number;

beforeAll(async () => {
  migrations = await tempMigrations();
  closedPort = await freePort();
});
afterAll(() => migrations.dispose());

/**
 * `status` against `url`: in human mode with --url, in --json mode with SURREAL_URL (and all four
 * combinations with `all`).
 */
async function statusRuns(
  url: string,
  { extra = FAST, env = {}, all = false }: { extra?: string[]; env?: NodeJS.ProcessEnv; all?: boolean } = {},
): Promise<Record<string, CliRun>> {
  const common = ['--ns', 'app', '--db', 'main', '--dir', migrations.dir, ...extra];
  const variants: Record<string, [string[], NodeJS.ProcessEnv]> = {
    '--url': [['status', '--url', url, ...common], env],
    'SURREAL_URL --json': [['status', '--json', ...common], { ...env, SURREAL_URL: url }],
  };
  if (all) {
    variants['--url --json'] = [['status', '--url', url, '--json', ...common], env];
    variants.SURREAL_URL = [['status', ...common], { ...env, SURREAL_URL: url }];
  }
  const runs = await Promise.all(
    Object.entries(variants).map(async ([name, [args, runEnv]]) => [name, await runCli(migrations.dir, args, runEnv)]),
  );
  return Object.fromEntries(runs) as Record<string, CliRun>;
}

/** The --json run of {@link statusRuns}, parsed. */
function jsonOf(runs: Record<string, CliRun>) {
  return runs['SURREAL_URL --json']!.json();
}

describe('an unreachable server with credentials in the URL', () => {
  describe.each(SCHEMES)('%s://', (scheme) => {
    it.each(PASSWORDS)('no password ($label) in any output, human or --json', async (password) => {
      const url = `${scheme}://root:${password.written}@127.0.0.1:${closedPort}`;
      const runs = await statusRuns(url, { all: password === PASSWORDS[1] });
      expectNoLeak(runs, forbidden(password));
      for (const [name, run] of Object.entries(runs)) {
        expect([name, run.code]).toEqual([name, 3]);
        expect(run.stdout + run.stderr).not.toMatch(/includes credentials/i);
        // Retried: the warning names the server without credentials.
        expect(run.stderr).toContain(`warning: SurrealDB at ${scheme}://127.0.0.1:${closedPort} not reachable`);
      }
      expect(jsonOf(runs).error).toMatchObject({
        code: 'DATABASE_UNREACHABLE',
        url: `${scheme}://127.0.0.1:${closedPort}`,
      });
    });
  });

  it.each([
    ['a leading space', (w: string) => ` ws://root:${w}@127.0.0.1:PORT`, 3],
    ['an /rpc path', (w: string) => `ws://root:${w}@127.0.0.1:PORT/rpc`, 3],
    ['a scheme typo (ws:/)', (w: string) => `ws:/root:${w}@127.0.0.1:PORT`, 2],
    ['no scheme', (w: string) => `root:${w}@127.0.0.1:PORT`, 2],
    ['no scheme and a leading space', (w: string) => ` root:${w}@127.0.0.1:PORT`, 2],
    ['a made-up scheme', (w: string) => `surreal://root:${w}@127.0.0.1:PORT`, 2],
  ])('a URL with %s: no password in any output', async (_shape, make, code) => {
    await Promise.all(
      PASSWORDS.map(async (password) => {
        const runs = await statusRuns(make(password.written).replace('PORT', String(closedPort)));
        expectNoLeak(runs, forbidden(password));
        for (const [name, run] of Object.entries(runs)) expect([name, run.code]).toEqual([name, code]);
      }),
    );
  });

  it.each(PASSWORDS)('a password ($label) in --pass or SURREAL_PASSWORD is not shown either', async (password) => {
    const url = `http://127.0.0.1:${closedPort}`;
    const [viaFlag, viaEnv] = await Promise.all([
      statusRuns(url, { extra: [...FAST, '--user', 'root', '--pass', password.plain] }),
      statusRuns(url, { env: { SURREAL_USER: 'root', SURREAL_PASSWORD: password.plain } }),
    ]);
    const runs = { ...prefixed('--pass', viaFlag), ...prefixed('SURREAL_PASSWORD', viaEnv) };
    expectNoLeak(runs, forbidden(password));
    // Each tried the closed port: the password went as far as a connection attempt.
    for (const [name, run] of Object.entries(runs)) expect([name, run.code]).toEqual([name, 3]);
  });
});

function prefixed(prefix: string, runs: Record<string, CliRun>): Record<string, CliRun> {
  return Object.fromEntries(Object.entries(runs).map(([name, run]) => [`${prefix} ${name}`, run]));
}

describe('a server that checks the password (ws relay with a root user)', () => {
  let relay: WsRelay;
  const rootPassword = PASSWORDS[1]!;

  beforeAll(async () => {
    // It requires its root user's sign-in, as `surreal start --user root --pass ...` does.
    relay = await startWsRelay({ path: 'mem://', user: RELAY_ROOT.user, pass: rootPassword.plain });
  });
  afterAll(() => relay?.close());

  const withCredentials = (written: string) => relay.url.replace('ws://', `ws://root:${written}@`);

  it('signs in with the URL credentials (raw and URL-encoded); the URL shown has none', async () => {
    for (const written of [rootPassword.written, encodeURIComponent(rootPassword.plain)]) {
      const runs = await statusRuns(withCredentials(written), { extra: LIVE });
      expectNoLeak(runs, forbidden(rootPassword));
      // Signed in: exit 0 (stderr may only warn that the database is empty).
      for (const [name, run] of Object.entries(runs)) expect([name, run.code]).toEqual([name, 0]);
      expect(runs['--url']!.stdout).toContain(`Database    ${relay.url} (namespace app, database main)`);
      expect(JSON.stringify(jsonOf(runs))).toContain(JSON.stringify(relay.url));
    }
  });

  it.each(PASSWORDS.filter((p) => p !== rootPassword))(
    'a wrong URL password ($label) fails (exit 3) without showing it',
    async (password) => {
      const runs = await statusRuns(withCredentials(password.written), { extra: LIVE });
      expectNoLeak(runs, [...forbidden(password), ...forbidden(rootPassword)]);
      for (const [name, run] of Object.entries(runs)) expect([name, run.code]).toEqual([name, 3]);
      // The server said no: not retried.
      expect(jsonOf(runs).error).toMatchObject({ code: 'DATABASE_UNREACHABLE', attempts: 1 });
    },
  );
});

describe('migration errors that repeat the password (ws relay)', () => {
  let dbCount = 0;

  /** SurrealQL's double-quoted spelling of a string (the same escapes as JSON). */
  const surql = (text: string) => JSON.stringify(text);

  /**
   * Each command in human, --json and --verbose mode, each against a fresh database of a server
   * whose root user's password is `password` (it requires the sign-in, as `surreal start --user root
   * --pass ...` does), signing in with it from the URL or the environment.
   */
  async function failingRuns(
    password: Password,
    script: string,
    credentials: 'url' | 'env',
  ): Promise<Record<string, CliRun>> {
    const folder = await tempMigrations({ '0001_leak.surql': script });
    let relay: WsRelay | undefined;
    try {
      relay = await startWsRelay({ path: 'mem://', user: RELAY_ROOT.user, pass: password.plain });
      const url = credentials === 'url' ? relay.url.replace('ws://', `ws://root:${password.written}@`) : relay.url;
      const env = credentials === 'env' ? { SURREAL_USER: 'root', SURREAL_PASSWORD: password.plain } : {};
      const commands: Record<string, string[]> = {
        'up --json': ['up', '--json'],
        'up --verbose': ['up', '--verbose'],
        'up --to 1': ['up', '--to', '1'],
        'up --to 1 --json': ['up', '--to', '1', '--json'],
        'dry-run --json': ['dry-run', '--json'],
      };
      const entries = await Promise.all(
        Object.entries(commands).map(async ([name, args]) => {
          const db = `db${++dbCount}`;
          const run = await runCli(
            folder.dir,
            [...args, '--url', url, '--ns', 'app', '--db', db, '--dir', folder.dir, ...LIVE],
            env,
          );
          return [name, run] as const;
        }),
      );
      // A run that exits with another code fails the test showing its output.
      for (const [name, run] of entries) {
        expect([name, run.code, run.code === 1 ? '' : run.stdout + run.stderr]).toEqual([name, 1, '']);
      }
      // The migration ran and failed on its THROW (signed in with the password, which the server
      // checked), and its message reached the output masked: a run that never sent the password
      // would show no `boom`.
      expect(Object.fromEntries(entries)['up --json']!.json().error).toMatchObject({
        code: 'MIGRATION_FAILED',
        message: expect.stringContaining('boom ***'),
      });
      return Object.fromEntries(entries);
    } finally {
      await relay?.close();
      await folder.dispose();
    }
  }

  /**
   * A script that throws `boom <password>` with the password written as is: in a single-quoted
   * string, or a double-quoted one when it holds a single quote. A password with a backslash
   * cannot be written as is (see the escaped case below).
   */
  const rawThrow = (password: Password) =>
    password.plain.includes("'") ? `THROW "boom ${password.plain}";\n` : `THROW 'boom ${password.plain}';\n`;
  const writableRaw = PASSWORDS.filter(
    (p) => !p.plain.includes('\\') && !(p.plain.includes("'") && p.plain.includes('"')),
  );

  it.each(writableRaw)('a migration that throws the URL password ($label) is masked', async (password) => {
    const runs = await failingRuns(password, rawThrow(password), 'url');
    expectNoLeak(runs, forbidden(password));
    expect(runs['up --json']!.json().error.code).toBe('MIGRATION_FAILED');
  });

  it.each([PASSWORDS[1]!, PASSWORDS[3]!])(
    'a migration that throws the SURREAL_PASSWORD ($label) is masked',
    async (password) => {
      const runs = await failingRuns(password, rawThrow(password), 'env');
      expectNoLeak(runs, forbidden(password));
    },
  );

  it('a password with a quote and a backslash, escaped in the script as SurrealQL (and JSON) spell it, is masked', async () => {
    const password = PASSWORDS[2]!;
    // THROW "boom Zq9w\"Wv8k\\Kx7v": the statement text holds the password JSON-escaped.
    const runs = await failingRuns(password, `THROW ${surql(`boom ${password.plain}`)};\n`, 'url');
    expectNoLeak(runs, forbidden(password));
  });
});
