import { commandName, parseCliArgs, wantsJson } from '../../src/cli/args.js';
import { connectionOptions } from '../../src/cli/connection.js';
import { CliUsageError } from '../../src/cli/cli-errors.js';
import { EXIT, exitCodeFor, worstExitCode } from '../../src/cli/cli.js';
import { errorDocument } from '../../src/cli/output.js';
import {
  ChecksumMismatchError,
  DatabaseUnreachableError,
  MigrationArgumentError,
  MigrationError,
  MigrationOptionsError,
} from '../../src/index.js';

function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseCliArgs', () => {
  it('reads each command with its own options, before or after the command name', () => {
    expect(parseCliArgs(['status', '--check']).command).toEqual({ name: 'status', check: true });
    expect(parseCliArgs(['--check', 'status']).command).toEqual({ name: 'status', check: true });
    expect(parseCliArgs(['up']).command).toEqual({ name: 'up' });
    expect(parseCliArgs(['up', '--to', '7']).command).toEqual({ name: 'up', to: 7 });
    expect(parseCliArgs(['down']).command).toEqual({ name: 'down' });
    expect(parseCliArgs(['down', '--to=0']).command).toEqual({ name: 'down', to: 0 });
    expect(parseCliArgs(['down', '--steps', '2']).command).toEqual({ name: 'down', steps: 2 });
    expect(parseCliArgs(['plan']).command).toEqual({ name: 'plan', down: false });
    expect(parseCliArgs(['plan', '--down', '--steps', '3']).command).toEqual({ name: 'plan', down: true, steps: 3 });
    expect(parseCliArgs(['dry-run']).command).toEqual({ name: 'dry-run' });
    expect(parseCliArgs(['validate', '--require-current']).command).toEqual({
      name: 'validate',
      requireCurrent: true,
      drift: false,
    });
    expect(parseCliArgs(['validate', '--drift']).command).toMatchObject({ name: 'validate', drift: true });
    expect(parseCliArgs(['drift']).command).toEqual({ name: 'drift' });
    expect(parseCliArgs(['lint', '--fix', '--out', 'v3']).command).toEqual({ name: 'lint', fix: true, out: 'v3' });
    expect(parseCliArgs(['schema', '--schema-check', 'schema.surql']).command).toEqual({
      name: 'schema',
      out: undefined,
      check: 'schema.surql',
    });
    expect(parseCliArgs(['schema', '--check', 'schema.surql']).command).toEqual({
      name: 'schema',
      out: undefined,
      check: 'schema.surql',
    });
    expect(parseCliArgs(['types', '--check', 'db-types.ts']).command).toEqual({
      name: 'types',
      out: undefined,
      check: 'db-types.ts',
    });
    expect(parseCliArgs(['types', '--out', 'db-types.ts']).command).toEqual({
      name: 'types',
      out: 'db-types.ts',
      check: undefined,
    });
    expect(parseCliArgs(['types']).command).toEqual({ name: 'types', out: undefined, check: undefined });
    expect(usageError(['types', '--check'])).toMatch(/`types` needs a <file> after --check/);
    expect(usageError(['types', '--schema-check', 'x.ts'])).toMatch(/--schema-check does not apply to `types`/);
    expect(parseCliArgs(['diff', '--to', 'desired.surql', '--name', 'add_tags', '--dry-run']).command).toEqual({
      name: 'diff',
      to: 'desired.surql',
      migrationName: 'add_tags',
      dryRun: true,
    });
    expect(parseCliArgs(['baseline', '12']).command).toEqual({ name: 'baseline', version: 12 });
    expect(parseCliArgs(['resolve', '4', '--applied']).command).toEqual({
      name: 'resolve',
      version: 4,
      outcome: 'applied',
    });
    expect(parseCliArgs(['resolve', '4', '--rolled-back']).command).toEqual({
      name: 'resolve',
      version: 4,
      outcome: 'rolled-back',
    });
    expect(parseCliArgs(['repair', '--changed']).command).toEqual({ name: 'repair', changed: true });
    expect(parseCliArgs(['unlock']).command).toEqual({ name: 'unlock' });
    expect(parseCliArgs(['create', 'add widgets']).command).toEqual({ name: 'create', migrationName: 'add widgets' });
    expect(parseCliArgs(['--help']).command).toEqual({ name: 'help' });
    expect(parseCliArgs(['up', '-h']).command).toEqual({ name: 'help' });
  });

  it('reads the global options', () => {
    const args = parseCliArgs([
      'status',
      '--json',
      '--verbose',
      '--url',
      'ws://db:8000',
      '--ns',
      'n',
      '--db',
      'd',
      '--user',
      'u',
      '--pass',
      'p',
      '--dir',
      'db/migrations',
      '--table',
      'history',
      '--connect-timeout',
      '1500',
      '--connect-retries',
      '0',
    ]);
    expect(args.json).toBe(true);
    expect(args.verbose).toBe(true);
    expect(args.connection).toEqual({
      url: 'ws://db:8000',
      ns: 'n',
      db: 'd',
      user: 'u',
      pass: 'p',
      dir: 'db/migrations',
      table: 'history',
      connectTimeout: 1500,
      connectRetries: 0,
    });
  });

  it('refuses what cannot be run as written', () => {
    expect(usageError([])).toMatch(/missing command/);
    expect(usageError(['frobnicate'])).toMatch(/unknown command "frobnicate"/);
    expect(usageError(['status', '--bogus'])).toMatch(/Unknown option '--bogus'/);
    expect(usageError(['up', '--to'])).toMatch(/--to/);
    expect(usageError(['up', '--to', 'abc'])).toMatch(/--to must be a whole number/);
    expect(usageError(['up', '--to=-1'])).toMatch(/--to must be a whole number/);
    expect(usageError(['up', '--to', '1.5'])).toMatch(/--to must be a whole number/);
    expect(usageError(['up', '--steps', '1'])).toMatch(/--steps does not apply to `up`/);
    expect(usageError(['status', '--to', '1'])).toMatch(/--to does not apply to `status`/);
    expect(usageError(['down', '--to', '1', '--steps', '1'])).toMatch(/either --to or --steps/);
    expect(usageError(['plan', '--steps', '1'])).toMatch(/plan --down/);
    expect(usageError(['baseline'])).toMatch(/`baseline` needs a <version>/);
    expect(usageError(['baseline', 'v2'])).toMatch(/version must be a whole number/);
    expect(usageError(['resolve', '3'])).toMatch(/exactly one of --applied, --rolled-back or --resume-after <n>/);
    expect(usageError(['resolve', '3', '--applied', '--resume-after', '1'])).toMatch(/exactly one/);
    expect(usageError(['resolve', '3', '--resume-after', 'x'])).toMatch(/--resume-after must be a whole number/);
    expect(usageError(['resolve', '3', '--applied', '--rolled-back'])).toMatch(/exactly one/);
    expect(usageError(['create'])).toMatch(/`create` needs a migration <name>/);
    expect(usageError(['up', 'extra'])).toMatch(/unexpected argument "extra"/);
    expect(usageError(['status', '--connect-retries', 'many'])).toMatch(/--connect-retries must be a whole number/);
  });

  it('reads --targets and --all-databases with --continue-on-error and --concurrency', () => {
    expect(parseCliArgs(['up', '--targets', 'tenants.json']).targets).toEqual({
      source: { from: 'file', file: 'tenants.json' },
      continueOnError: false,
    });
    expect(
      parseCliArgs(['down', '--all-databases', '--ns', 'tenants', '--continue-on-error', '--concurrency', '3']),
    ).toMatchObject({
      command: { name: 'down' },
      connection: { ns: 'tenants' },
      targets: { source: { from: 'all-databases' }, continueOnError: true, concurrency: 3 },
    });
    for (const command of ['status', 'validate', 'drift']) {
      expect(parseCliArgs([command, '--all-databases']).targets).toEqual({
        source: { from: 'all-databases' },
        continueOnError: false,
      });
    }
    expect(parseCliArgs(['up']).targets).toBeUndefined();
  });

  it('refuses the many-targets flags where they cannot apply', () => {
    for (const command of [
      'plan',
      'dry-run',
      'baseline 1',
      'resolve 1 --applied',
      'repair',
      'unlock',
      'schema',
      'types',
    ]) {
      expect(usageError([...command.split(' '), '--targets', 't.json'])).toMatch(
        /--targets does not apply to `\w[\w-]*`; it works with status, up, down, validate, drift/,
      );
      expect(usageError([...command.split(' '), '--all-databases'])).toMatch(/--all-databases does not apply/);
    }
    expect(usageError(['create', 'x', '--concurrency', '2'])).toMatch(/--concurrency does not apply to `create`/);
    expect(usageError(['lint', '--continue-on-error'])).toMatch(/--continue-on-error does not apply to `lint`/);
    expect(usageError(['up', '--targets', 't.json', '--all-databases'])).toMatch(
      /either --targets or --all-databases, not both/,
    );
    expect(usageError(['up', '--continue-on-error'])).toMatch(/--continue-on-error applies with --targets/);
    expect(usageError(['status', '--concurrency', '2'])).toMatch(/--concurrency applies with --targets/);
    expect(usageError(['up', '--targets', 't.json', '--concurrency', '0'])).toMatch(/--concurrency must be .* >= 1/);
    expect(usageError(['up', '--all-databases', '--concurrency', 'all'])).toMatch(/--concurrency must be a whole/);
    expect(usageError(['up', '--targets', 't.json', '--db', 'd'])).toMatch(/--db does not apply with --targets/);
    expect(usageError(['up', '--all-databases', '--db', 'd'])).toMatch(/--db does not apply with --all-databases/);
    expect(usageError(['up', '--targets', 't.json', '--ns', 'n'])).toMatch(/--ns does not apply with --targets/);
    expect(usageError(['up', '--targets='])).toMatch(/--targets needs the path of a JSON file/);
  });

  it('sees --json and the command before parsing, so that a usage error can be reported as JSON', () => {
    expect(wantsJson(['frobnicate', '--json'])).toBe(true);
    expect(wantsJson(['create', '--', '--json'])).toBe(false);
    expect(wantsJson(['status'])).toBe(false);
    expect(commandName(['down', '--to', '1', '--steps', '1'])).toBe('down');
    expect(commandName(['--bogus', 'status'])).toBe('status');
    expect(commandName(['frobnicate'])).toBeUndefined();
    expect(commandName(['-h'])).toBe('help');
    expect(commandName([])).toBeUndefined();
  });
});

describe('connectionOptions', () => {
  const env = {
    SURREAL_URL: 'surrealkv://data/app.db',
    SURREAL_NAMESPACE: 'env-ns',
    SURREAL_DATABASE: 'env-db',
  };

  it('takes flags over the environment and passes connect options through', () => {
    expect(connectionOptions({}, env).options).toEqual({
      url: 'surrealkv://data/app.db',
      namespace: 'env-ns',
      database: 'env-db',
    });
    const { options } = connectionOptions(
      {
        url: 'mem://',
        ns: 'n',
        dir: 'm',
        table: 't',
        connectTimeout: 10,
        connectRetries: 0,
        connectBackoff: 5,
        lockTimeout: 1000,
      },
      env,
    );
    expect(options).toEqual({
      url: 'mem://',
      namespace: 'n',
      database: 'env-db',
      directory: 'm',
      table: 't',
      connect: { timeoutMs: 10, retries: 0, backoffMs: 5 },
      lock: { waitTimeoutMs: 1000 },
    });
  });

  it('moves credentials out of the URL and lists every password as a secret', () => {
    const fromUrl = connectionOptions({ url: 'wss://admin:p%40ss@db.example.com:8000/rpc' }, {});
    expect(fromUrl.options.url).toBe('wss://db.example.com:8000/rpc');
    expect(fromUrl.options.auth).toEqual({ username: 'admin', password: 'p@ss' });
    expect(fromUrl.secrets).toEqual(expect.arrayContaining(['p@ss', 'p%40ss']));

    const rawAt = connectionOptions({ url: 'ws://root:se@cret@host:8000' }, {});
    expect(rawAt.options.url).toBe('ws://host:8000');
    expect(rawAt.options.auth).toEqual({ username: 'root', password: 'se@cret' });

    const fromEnv = connectionOptions({}, { ...env, SURREAL_USER: 'root', SURREAL_PASSWORD: 'from-env' });
    expect(fromEnv.options.auth).toEqual({ username: 'root', password: 'from-env' });
    expect(fromEnv.secrets).toEqual(['from-env']);

    const flagWins = connectionOptions(
      { user: 'ops', pass: 'flag-pass' },
      { ...env, SURREAL_USER: 'root', SURREAL_PASSWORD: 'x' },
    );
    expect(flagWins.options.auth).toEqual({ username: 'ops', password: 'flag-pass' });
  });

  it('refuses a user without a password and the reverse', () => {
    expect(() => connectionOptions({ user: 'root' }, env)).toThrow(CliUsageError);
    expect(() => connectionOptions({}, { ...env, SURREAL_PASSWORD: 'secret' })).toThrow(/without a user/);
  });
});

describe('exit codes and JSON errors', () => {
  it('maps each kind of error to its exit code', () => {
    expect(exitCodeFor(new CliUsageError('x'))).toBe(2);
    expect(exitCodeFor(new MigrationOptionsError('url', 'x'))).toBe(2);
    expect(exitCodeFor(new MigrationArgumentError('x'))).toBe(2);
    expect(exitCodeFor(new DatabaseUnreachableError('ws://h', 1, new Error('refused')))).toBe(3);
    expect(exitCodeFor(new ChecksumMismatchError([]))).toBe(1);
    expect(exitCodeFor(new Error('anything else'))).toBe(1);
  });

  it('takes the worst exit code over many targets: 0 < 4 < 1 < 3 < 2', () => {
    expect(worstExitCode([])).toBe(EXIT.ok);
    expect(worstExitCode([0, 0])).toBe(0);
    expect(worstExitCode([0, 4, 0])).toBe(4);
    expect(worstExitCode([4, 1, 4])).toBe(1);
    expect(worstExitCode([1, 3, 4])).toBe(3);
    expect(worstExitCode([3, 2, 1])).toBe(2);
    // A code outside the order counts as a failure.
    expect(worstExitCode([4, 99])).toBe(99);
    expect(worstExitCode([99, 3])).toBe(3);
  });

  it('carries the code, the message and the context of the error', () => {
    const error = new MigrationError({
      version: 2,
      name: 'broken',
      file: 'migrations/0002_broken.surql',
      direction: 'up',
      line: 5,
      column: 1,
      reason: 'boom',
      cause: new Error('engine says boom'),
    });
    expect(errorDocument(error)).toEqual({
      code: 'MIGRATION_FAILED',
      message: error.message,
      version: 2,
      migrationName: 'broken',
      file: 'migrations/0002_broken.surql',
      direction: 'up',
      line: 5,
      column: 1,
      reason: 'boom',
      rolledBack: [],
      cause: 'engine says boom',
    });
    expect(errorDocument(new CliUsageError('bad'))).toEqual({ code: 'USAGE', message: 'bad' });
    expect(errorDocument(new TypeError('oops'))).toEqual({ code: 'UNEXPECTED_ERROR', message: 'oops' });
  });
});

describe('--surrealdb and --shadow-url', () => {
  it('read the version to judge by, and the shadow server, into the one options object', () => {
    const args = parseCliArgs(['lint', '--surrealdb', '2', '--shadow-url', 'ws://root:pw@db:8000']);
    expect(args.connection).toMatchObject({ surrealdb: 2, shadowUrl: 'ws://root:pw@db:8000' });
    const { options, secrets } = connectionOptions({ ...args.connection, url: 'mem://' }, {});
    expect(options).toMatchObject({ surrealdb: 2, shadow: { url: 'ws://root:pw@db:8000' } });
    expect(secrets).toContain('pw');
  });

  it('take the shadow server from SURREAL_SHADOW_URL too', () => {
    const { options } = connectionOptions({ url: 'mem://' }, { SURREAL_SHADOW_URL: 'ws://db:8000' });
    expect(options.shadow).toEqual({ url: 'ws://db:8000' });
  });

  it.each(['4', '2.6', 'v2', ''])('refuse --surrealdb %p as a usage error', (value) => {
    expect(() => parseCliArgs(['lint', '--surrealdb', value])).toThrow(CliUsageError);
    expect(() => parseCliArgs(['lint', '--surrealdb', value])).toThrow(/--surrealdb is the SurrealDB major version/);
  });
});
