import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { types } from 'node:util';
import vm from 'node:vm';
import { CborCodec } from 'surrealdb';
import { MigrationOptionsError } from '../../src/core/support/errors.js';
import { DatabaseUnreachableError } from '../../src/core/support/database-errors.js';
import { MigrationManager } from '../../src/core/manager/migration-manager.js';
import { type MigrationLogger, type MigrationsOptions } from '../../src/core/options/options.js';
import { resolveOptions } from '../../src/core/options/resolve-options.js';
import { Redactor, splitUrlCredentials } from '../../src/core/support/secrets.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { freePort } from '../support/net.js';
import { startWsRelay, type WsRelay } from '../support/ws-relay.js';
import { forbidden, PASSWORDS } from '../support/passwords.js';

/**
 * A password as written in a URL and as it signs in. Every password is made of distinctive runs
 * (`Zq9w`, `Kx7v`...) around the special characters, so that a password shown in part, cut at a
 * `/`, `#`, `?` or `@`, is caught as surely as a whole one.
 */

/** Fails with the offending text and where it was when any forbidden text is in `texts`. */
function expectNoLeak(texts: Record<string, string | undefined>, secrets: readonly string[]): void {
  const leaks: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    if (text === undefined) continue;
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${where} shows ${JSON.stringify(secret)}`);
  }
  expect({ leaks, texts }).toEqual({ leaks: [], texts });
}

/** The message, cause messages and stacks of an error, by where they are. */
function errorTexts(error: unknown, prefix = 'error'): Record<string, string | undefined> {
  const texts: Record<string, string | undefined> = {};
  let current: unknown = error;
  let where = prefix;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    // An error of another realm too (Node's own errors under Jest's vm modules are).
    if (current instanceof Error || types.isNativeError(current)) {
      const error = current as Error;
      texts[`${where}.message`] = error.message;
      texts[`${where}.stack`] = error.stack;
      current = error.cause;
    } else {
      texts[where] = typeof current === 'string' ? current : JSON.stringify(current);
      current = undefined;
    }
    where += '.cause';
  }
  return texts;
}

/** A logger that keeps every line (and every extra argument, errors spelt out). */
function recordingLogger(): { logger: MigrationLogger; lines: string[] } {
  const lines: string[] = [];
  const spell = (arg: unknown): string =>
    arg instanceof Error ? Object.values(errorTexts(arg)).join('\n') : typeof arg === 'string' ? arg : String(arg);
  const record =
    (level: string) =>
    (message: string, ...optional: unknown[]) => {
      lines.push([`${level}: ${message}`, ...optional.map(spell)].join(' | '));
    };
  return { logger: { log: record('log'), warn: record('warn'), error: record('error') }, lines };
}

function lineTexts(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.map((line, i) => [`log line ${i}`, line]));
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Fails fast against a closed port: one retry, so that the retry warning is produced too. */
const FAST = { retries: 1, timeoutMs: 300, backoffMs: 10 } as const;
const SCHEMES = ['ws', 'wss', 'http', 'https'] as const;

describe('splitUrlCredentials', () => {
  it.each(SCHEMES)('takes user:password@ out of a %s:// URL, path and query kept', (scheme) => {
    expect(splitUrlCredentials(`${scheme}://root:Zq9w!Kx7v@127.0.0.1:8000/rpc?x=1`)).toEqual({
      url: `${scheme}://127.0.0.1:8000/rpc?x=1`,
      username: 'root',
      password: 'Zq9w!Kx7v',
      secrets: expect.arrayContaining(['Zq9w!Kx7v']),
    });
  });

  it.each(PASSWORDS)('reads a password with $label whole, and knows every spelling of it', (password) => {
    const split = splitUrlCredentials(`ws://root:${password.written}@127.0.0.1:8000`);
    expect(split.url).toBe('ws://127.0.0.1:8000');
    expect(split.username).toBe('root');
    expect(split.password).toBe(password.plain);
    expect(split.secrets).toEqual(expect.arrayContaining([password.written, password.plain]));
  });

  it.each([
    ['a scheme typo (ws:/)', 'ws:/root:Zq9w!Kx7v@127.0.0.1:8000', 'ws:/127.0.0.1:8000'],
    ['a scheme without slashes (ws:)', 'ws:root:Zq9w!Kx7v@127.0.0.1:8000', 'ws:127.0.0.1:8000'],
    ['a leading space', '  ws://root:Zq9w!Kx7v@127.0.0.1:8000', 'ws://127.0.0.1:8000'],
    ['a trailing newline', 'ws://root:Zq9w!Kx7v@127.0.0.1:8000\n', 'ws://127.0.0.1:8000'],
  ])('takes the credentials out whatever the shape: %s', (_shape, input, url) => {
    expect(splitUrlCredentials(input)).toEqual({
      url,
      username: 'root',
      password: 'Zq9w!Kx7v',
      secrets: expect.arrayContaining(['Zq9w!Kx7v']),
    });
  });

  it.each([
    ['no scheme', 'root:Zq9w!Kx7v@127.0.0.1:8000'],
    ['no scheme, a user that is not scheme-like', 'app_user:Zq9w!Kx7v@127.0.0.1:8000'],
    ['no scheme, a / in the password', 'root:Zq9w/Kx7v@127.0.0.1:8000'],
    ['no scheme, a : in the password', 'root:Zq9w:Kx7v@127.0.0.1:8000'],
    ['no scheme, a leading space', ' root:Zq9w!Kx7v@127.0.0.1:8000'],
  ])('with %s, the URL given on shows no part of the password once its secrets are masked', (_shape, input) => {
    const split = splitUrlCredentials(input);
    // resolveOptions goes on with the cleaned URL only when a password was found.
    const shown = split.password === undefined ? input.trim() : split.url;
    expect(new Redactor(split.secrets).text(shown)).not.toMatch(/Zq9w|Kx7v/);
  });

  it('knows a user-only (token) user info as a secret without calling it a password', () => {
    const split = splitUrlCredentials('ws://Zq9wTok3n@127.0.0.1:8000');
    expect(split.password).toBeUndefined();
    expect(split.username).toBe('Zq9wTok3n');
    expect(split.secrets).toContain('Zq9wTok3n');
  });

  it.each([
    'surrealkv://data/a@b.db',
    'surrealkv+versioned://data/a@b.db',
    'rocksdb://data/x@y/z.db',
    'SurrealKV://data/a@b.db',
    'mem://',
    'ws://127.0.0.1:8000/rpc',
  ])('leaves %s alone (nothing to take out)', (url) => {
    expect(splitUrlCredentials(url)).toEqual({ url, username: undefined, password: undefined, secrets: [] });
  });

  it('trims a URL it leaves alone', () => {
    expect(splitUrlCredentials('  surrealkv://data/a@b.db ').url).toBe('surrealkv://data/a@b.db');
  });
});

describe('Redactor', () => {
  it('masks a secret as written, as JSON escapes it and URL-encoded', () => {
    const secret = 'Zq9w"/ @\\Kx7v';
    const r = new Redactor([secret]);
    for (const spelling of [
      secret,
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      encodeURI(secret),
    ]) {
      expect(r.text(`before ${spelling} after`)).toBe('before *** after');
    }
    expect(r.text(JSON.stringify({ password: secret }))).toBe('{"password":"***"}');
  });

  it('masks every occurrence, and a longer secret whole when a shorter one is part of it', () => {
    const r = new Redactor(['Kx7v', 'Zq9wKx7vWv8k']);
    expect(r.text('a Zq9wKx7vWv8k b Kx7v c Kx7v')).toBe('a *** b *** c ***');
  });

  it('ignores empty and undefined secrets (nothing else is masked)', () => {
    const r = new Redactor(['', undefined]);
    expect(r.text('nothing to hide: surrealkv://data/a@b.db')).toBe('nothing to hide: surrealkv://data/a@b.db');
  });

  it('masks credentials left in any URL-shaped text, even unknown ones', () => {
    const r = new Redactor([]);
    expect(r.text('at ws://root:unknown@host:1/rpc and http://tok@host')).toBe(
      'at ws://***@host:1/rpc and http://***@host',
    );
    expect(r.text('http://host/x?user=a&password=unknown&y=1')).toBe('http://host/x?user=a&password=***&y=1');
  });

  it('leaves an embedded URL with @ in its path alone', () => {
    const r = new Redactor(['Zq9w!Kx7v']);
    expect(r.text('opened surrealkv://data/a@b.db and rocksdb://data/x@y/z.db')).toBe(
      'opened surrealkv://data/a@b.db and rocksdb://data/x@y/z.db',
    );
  });

  it('with(): a new redactor knowing both sets; the first one is unchanged', () => {
    const first = new Redactor(['Zq9wAaaa']);
    const both = first.with(['Kx7vBbbb', undefined]);
    expect(both.text('Zq9wAaaa Kx7vBbbb')).toBe('*** ***');
    expect(first.text('Zq9wAaaa Kx7vBbbb')).toBe('*** Kx7vBbbb');
    // Spellings of the added secret too.
    expect(first.with(['K"x']).text('K\\"x K%22x')).toBe('*** ***');
  });

  it('error(): masks message and stack along the cause chain, in place, keeping class and fields', () => {
    const r = new Redactor(['Zq9w!Kx7v']);
    const root = new Error('root Zq9w!Kx7v');
    const middle = new TypeError('middle Zq9w!Kx7v', { cause: root });
    const top = new DatabaseUnreachableError('ws://127.0.0.1:1', 2, middle);
    expect(top.message).toContain('Zq9w!Kx7v');

    const masked = r.error(top);
    expect(masked).toBe(top);
    expect(masked).toBeInstanceOf(DatabaseUnreachableError);
    expect(masked.code).toBe('DATABASE_UNREACHABLE');
    expect(masked.attempts).toBe(2);
    expect(masked.cause).toBe(middle);
    expect(middle).toBeInstanceOf(TypeError);
    expect(middle.cause).toBe(root);
    expectNoLeak(errorTexts(masked), ['Zq9w!Kx7v']);
    expect(masked.message).toContain('middle ***');
    expect(root.message).toBe('root ***');
  });

  it("error(): masks an AggregateError's errors, and survives a cause cycle", () => {
    const r = new Redactor(['Zq9w!Kx7v']);
    const a = new Error('a Zq9w!Kx7v');
    const b = new Error('b Zq9w!Kx7v', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const aggregate = new AggregateError([a, new Error('c Zq9w!Kx7v')], 'all Zq9w!Kx7v');
    r.error(aggregate);
    expectNoLeak(
      { ...errorTexts(aggregate), ...errorTexts(aggregate.errors[0], 'errors[0]'), ...errorTexts(aggregate.errors[1]) },
      ['Zq9w!Kx7v'],
    );
  });

  it('error(): gives back anything that is not an error as is', () => {
    const r = new Redactor(['Zq9w!Kx7v']);
    expect(r.error('Zq9w!Kx7v')).toBe('Zq9w!Kx7v');
    expect(r.error(undefined)).toBeUndefined();
  });

  it('error(): masks a cause that is a string, not an Error', () => {
    const r = new Redactor(['Zq9w!Kx7v']);
    const error = r.error(new Error('outer', { cause: 'connecting with Zq9w!Kx7v' }));
    expectNoLeak(errorTexts(error), ['Zq9w!Kx7v']);
  });

  it("error(): masks an error made in another realm (vm context, Node's own errors under Jest)", () => {
    const r = new Redactor(['Zq9w!Kx7v']);
    const foreign = vm.runInNewContext('new Error("foreign Zq9w!Kx7v")') as Error;
    const error = r.error(new Error('outer', { cause: foreign }));
    expectNoLeak(errorTexts(error), ['Zq9w!Kx7v']);
    expectNoLeak(errorTexts(r.error(foreign)), ['Zq9w!Kx7v']);
  });
});

describe('resolveOptions and secrets', () => {
  const base = { namespace: 'app', database: 'main' } as const;

  describe.each(SCHEMES)('%s://', (scheme) => {
    it.each(PASSWORDS)('signs in with a URL password with $label, the URL kept without it', (password) => {
      const resolved = resolveOptions({ ...base, url: `${scheme}://root:${password.written}@127.0.0.1:8000/rpc` });
      expect(resolved.url).toBe(`${scheme}://127.0.0.1:8000/rpc`);
      expect(resolved.auth).toEqual({ username: 'root', password: password.plain });
      expect(resolved.redactor.text(`${password.written} ${password.plain}`)).toBe('*** ***');
    });

    it('a leading space: still signs in with the URL credentials', () => {
      const resolved = resolveOptions({ ...base, url: ` ${scheme}://root:Zq9w!Kx7v@127.0.0.1:8000` });
      expect(resolved.url).toBe(`${scheme}://127.0.0.1:8000`);
      expect(resolved.auth).toEqual({ username: 'root', password: 'Zq9w!Kx7v' });
    });
  });

  it('an explicit auth wins over URL credentials; the URL is cleaned and both passwords are masked', () => {
    const resolved = resolveOptions({
      ...base,
      url: 'ws://root:Zq9wUrl1@127.0.0.1:8000',
      auth: { username: 'admin', password: 'Kx7vAuth' },
    });
    expect(resolved.url).toBe('ws://127.0.0.1:8000');
    expect(resolved.auth).toEqual({ username: 'admin', password: 'Kx7vAuth' });
    expect(resolved.redactor.text('Zq9wUrl1 Kx7vAuth')).toBe('*** ***');
  });

  it('an embedded URL with @ in its path is kept as is, without sign-in', () => {
    const resolved = resolveOptions({ ...base, url: 'surrealkv://data/a@b.db' });
    expect(resolved.url).toBe('surrealkv://data/a@b.db');
    expect(resolved.auth).toBeUndefined();
    expect(resolved.redactor.text('surrealkv://data/a@b.db')).toBe('surrealkv://data/a@b.db');
  });

  it.each(PASSWORDS)('the given logger masks every message and argument (password with $label)', (password) => {
    const { logger, lines } = recordingLogger();
    const resolved = resolveOptions({
      ...base,
      url: `ws://root:${password.written}@127.0.0.1:8000`,
      logger,
    });
    const secretText = `${password.written} / ${password.plain} / ${JSON.stringify(password.plain)} / ${encodeURIComponent(password.plain)}`;
    resolved.logger.log(`log ${secretText}`, `arg ${secretText}`);
    resolved.logger.warn(`warn ${secretText}`, new Error(`err ${secretText}`, { cause: new Error(secretText) }));
    resolved.logger.error(`error ${secretText}`, `arg ${secretText}`);
    expect(lines).toHaveLength(3);
    expectNoLeak(lineTexts(lines), forbidden(password));
  });

  it('the logger also masks the auth password', () => {
    const { logger, lines } = recordingLogger();
    const resolved = resolveOptions({
      ...base,
      url: 'ws://127.0.0.1:8000',
      auth: { username: 'root', password: 'Zq9w"Kx7v' },
      logger,
    });
    resolved.logger.warn('signing in with Zq9w"Kx7v, as JSON "Zq9w\\"Kx7v"');
    expectNoLeak(lineTexts(lines), ['Zq9w', 'Kx7v']);
  });

  /** Options with one bad field; `secret` is the password, for fields whose message shows their value. */
  const badOptions: [string, (url: string, secret: string) => MigrationsOptions][] = [
    ['the URL scheme', (url) => ({ url: url.replace(/^\s*ws:\/\//, 'ftp://') })],
    ['table', (url, secret) => ({ url, table: secret })],
    ['mode', (url, secret) => ({ url, mode: secret as never })],
    ['lock.ttlMs', (url, secret) => ({ url, lock: { ttlMs: secret as never } })],
    ['namespace', (url) => ({ url, namespace: '' })],
  ];

  it.each(badOptions)('an option error (%s) never shows the URL password', (_field, make) => {
    for (const password of PASSWORDS) {
      const url = `ws://root:${password.written}@127.0.0.1:8000`;
      const error = thrown(() => resolveOptions({ ...base, ...make(url, password.plain) }));
      expect(error).toBeInstanceOf(MigrationOptionsError);
      expectNoLeak(errorTexts(error), [...forbidden(password), 'Zq9w', 'Kx7v']);
    }
  });

  it.each([
    ['a scheme typo (ws:/)', (w: string) => `ws:/root:${w}@127.0.0.1:8000`],
    ['no scheme', (w: string) => `root:${w}@127.0.0.1:8000`],
    ['no scheme and a leading space', (w: string) => ` root:${w}@127.0.0.1:8000`],
    ['a made-up scheme', (w: string) => `surreal://root:${w}@127.0.0.1:8000`],
    ['a scheme without slashes', (w: string) => `ws:root:${w}@127.0.0.1:8000`],
  ])('a URL with %s is refused without showing the password', (_shape, make) => {
    for (const password of PASSWORDS) {
      const error = thrown(() => resolveOptions({ ...base, url: make(password.written) }));
      expect(error).toBeInstanceOf(MigrationOptionsError);
      expect((error as MigrationOptionsError).field).toBe('url');
      expectNoLeak(errorTexts(error), forbidden(password));
    }
  });

  it('an option error never shows the auth password either', () => {
    const error = thrown(() =>
      resolveOptions({
        ...base,
        url: 'ws://127.0.0.1:8000',
        auth: { username: 'root', password: 'Zq9w-Kx7v' },
        table: 'Zq9w-Kx7v',
      }),
    );
    expect(error).toBeInstanceOf(MigrationOptionsError);
    expectNoLeak(errorTexts(error), ['Zq9w', 'Kx7v']);
  });
});

describe('MigrationManager.create against a closed port', () => {
  let port: number;
  let migrations: TempMigrations;
  beforeAll(async () => {
    port = await freePort();
    migrations = await tempMigrations();
  });
  afterAll(() => migrations.dispose());

  describe.each(SCHEMES)('%s://', (scheme) => {
    it.each(PASSWORDS)(
      'no password ($label) in the error, its causes, stacks or the retry warning',
      async (password) => {
        const { logger, lines } = recordingLogger();
        const url = `${scheme}://root:${password.written}@127.0.0.1:${port}/rpc`;
        const error = await caught(MigrationManager.create({ ...target(migrations.dir), url, logger, connect: FAST }));
        expect(error).toBeInstanceOf(DatabaseUnreachableError);
        const texts = { ...errorTexts(error), ...lineTexts(lines) };
        expectNoLeak(texts, forbidden(password));
        // The SDK refuses a URL with credentials (http): the credentials never reach it.
        expect(Object.values(texts).join('\n')).not.toMatch(/includes credentials/i);
        expect((error as DatabaseUnreachableError).url).toBe(`${scheme}://127.0.0.1:${port}/rpc`);
        // Retried: the warning was written, and says where, without credentials.
        expect(lines.some((line) => line.startsWith(`warn: SurrealDB at ${scheme}://127.0.0.1:${port}/rpc`))).toBe(
          true,
        );
      },
    );
  });
});

function target(directory: string) {
  return { namespace: 'app', database: 'main', directory } as const;
}

/** What the fake HTTP server saw of one request. */
interface SeenRequest {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: { id?: unknown; method?: string; params?: unknown[] } | undefined;
}

/**
 * A SurrealDB stand-in over HTTP that answers `version`, `signin` (as `signin` decides) and the
 * rest with `null`, and records every request.
 */
async function fakeHttpServer(
  signin: (params: unknown) => { result: unknown } | { error: { code: number; message: string } },
): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const codec = new CborCodec({});
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const body = (bytes.length > 0 ? codec.decode(new Uint8Array(bytes)) : undefined) as SeenRequest['body'];
      seen.push({ url: req.url, headers: req.headers, body });
      const answer =
        body?.method === 'version'
          ? { result: 'surrealdb-2.3.0' }
          : body?.method === 'signin'
            ? signin(body.params?.[0])
            : { result: null };
      res.writeHead(200, { 'content-type': 'application/cbor' });
      res.end(Buffer.from(codec.encode({ id: body?.id, ...answer })));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('http:// with credentials in the URL (fake server)', () => {
  let migrations: TempMigrations;
  beforeAll(async () => {
    migrations = await tempMigrations();
  });
  afterAll(() => migrations.dispose());

  it.each(PASSWORDS)('signs in with the URL password ($label); no request carries it in its URL', async (password) => {
    const server = await fakeHttpServer(() => ({ result: 'header.payload.signature' }));
    const { logger, lines } = recordingLogger();
    try {
      const url = `http://root:${password.written}@${server.url}/rpc`;
      expect(resolveOptions({ ...target(migrations.dir), url }).auth).toEqual({
        username: 'root',
        password: password.plain,
      });
      const manager = await MigrationManager.create({ ...target(migrations.dir), url, logger, connect: FAST });
      try {
        expect(manager.settings.url).toBe(`http://${server.url}/rpc`);
        const signins = server.seen.filter((r) => r.body?.method === 'signin');
        expect(signins.map((r) => r.body?.params?.[0])).toEqual([{ user: 'root', pass: password.plain }]);
        for (const request of server.seen) {
          expect(request.url).toBe('/rpc');
          // No Basic authorization made from URL user info.
          expect(request.headers.authorization ?? '').not.toMatch(/^basic/i);
        }
        expectNoLeak(lineTexts(lines), forbidden(password));
      } finally {
        await manager.close();
      }
    } finally {
      await server.close();
    }
  });

  it.each(PASSWORDS)(
    'a refused sign-in whose server message repeats the password ($label) is masked',
    async (password) => {
      const server = await fakeHttpServer((params) => ({
        error: { code: -32000, message: `There was a problem with authentication: ${JSON.stringify(params)}` },
      }));
      const { logger, lines } = recordingLogger();
      try {
        const url = `http://root:${password.written}@${server.url}`;
        const error = await caught(MigrationManager.create({ ...target(migrations.dir), url, logger, connect: FAST }));
        expect(error).toBeInstanceOf(DatabaseUnreachableError);
        // The server was reached and said no: not retried.
        expect((error as DatabaseUnreachableError).attempts).toBe(1);
        expect(server.seen.some((r) => r.body?.method === 'signin')).toBe(true);
        expectNoLeak({ ...errorTexts(error), ...lineTexts(lines) }, forbidden(password));
      } finally {
        await server.close();
      }
    },
  );
});

describe('ws:// with credentials in the URL (ws relay)', () => {
  let relay: WsRelay;
  let migrations: TempMigrations;
  const rootPassword = PASSWORDS[1]!;

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://' });
    migrations = await tempMigrations();
    // A real root user: from now on the engine checks root sign-ins itself.
    const admin = await MigrationManager.create({ ...target(migrations.dir), url: relay.url, connect: FAST });
    try {
      await admin.db.query(`DEFINE USER root ON ROOT PASSWORD ${JSON.stringify(rootPassword.plain)} ROLES OWNER`);
    } finally {
      await admin.close();
    }
  });
  afterAll(async () => {
    await relay?.close();
    await migrations?.dispose();
  });

  const withCredentials = (written: string, shape = (u: string) => u) =>
    shape(relay.url.replace('ws://', `ws://root:${written}@`));

  it.each([
    ['as is', (u: string) => u],
    ['with a leading space', (u: string) => ` ${u}`],
  ])('signs in with the URL password, %s; settings.url has none', async (_shape, shape) => {
    const { logger, lines } = recordingLogger();
    const url = withCredentials(rootPassword.written, shape);
    expect(resolveOptions({ ...target(migrations.dir), url }).url).toBe(relay.url);
    const manager = await MigrationManager.create({ ...target(migrations.dir), url, logger, connect: FAST });
    try {
      expect(manager.settings.url).toBe(relay.url);
      expectNoLeak({ settings: JSON.stringify(manager.settings), ...lineTexts(lines) }, forbidden(rootPassword));
    } finally {
      await manager.close();
    }
  });

  it('the URL-encoded spelling of the same password signs in too', async () => {
    const manager = await MigrationManager.create({
      ...target(migrations.dir),
      url: withCredentials(encodeURIComponent(rootPassword.plain)),
      connect: FAST,
    });
    await manager.close();
  });

  it.each(PASSWORDS.filter((p) => p !== rootPassword))(
    'a wrong URL password ($label) is refused at once, without showing it',
    async (password) => {
      const { logger, lines } = recordingLogger();
      const error = await caught(
        MigrationManager.create({
          ...target(migrations.dir),
          url: withCredentials(password.written),
          logger,
          connect: FAST,
        }),
      );
      expect(error).toBeInstanceOf(DatabaseUnreachableError);
      expect((error as DatabaseUnreachableError).attempts).toBe(1);
      expectNoLeak({ ...errorTexts(error), ...lineTexts(lines) }, forbidden(password));
    },
  );
});

describe('migration errors that repeat the password (ws relay)', () => {
  let relay: WsRelay;
  const password = PASSWORDS[1]!;
  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://' });
  });
  afterAll(() => relay?.close());

  /** A manager signed in with `password` in its URL, over a folder whose scripts throw it. */
  async function leakyProject(files: Record<string, string>, on: MigrationsOptions['on'] = {}) {
    const migrations = await tempMigrations(files);
    const { logger, lines } = recordingLogger();
    const manager = await MigrationManager.create({
      namespace: 'app',
      database: `db_${Math.random().toString(36).slice(2)}`,
      directory: migrations.dir,
      url: relay.url.replace('ws://', `ws://root:${password.written}@`),
      logger,
      on,
      connect: FAST,
    });
    return {
      manager,
      lines,
      dispose: async () => {
        await manager.close();
        await migrations.dispose();
      },
    };
  }

  const throwing = { '0001_leak.surql': `THROW "boom ${password.plain}";\n` };

  it.each([
    ['runMigrationUp', (m: MigrationManager) => m.runMigrationUp()],
    ['bootstrap', (m: MigrationManager) => m.bootstrap()],
  ])('%s: the error, its causes and stacks, and the log lines are masked', async (_name, run) => {
    const project = await leakyProject(throwing);
    try {
      const error = await caught(run(project.manager));
      expect((error as { code?: string }).code).toBe('MIGRATION_FAILED');
      expectNoLeak({ ...errorTexts(error), ...lineTexts(project.lines) }, forbidden(password));
      expect(project.lines.some((line) => line.startsWith('error: Migration 1'))).toBe(true);
    } finally {
      await project.dispose();
    }
  });

  it("runMigrationUp: the error's own fields (statement, reason) are masked too", async () => {
    const project = await leakyProject(throwing);
    try {
      const error = await caught(project.manager.runMigrationUp());
      const fields = Object.fromEntries(
        Object.entries(error as object).map(([key, value]) => [`error.${key}`, JSON.stringify(value)]),
      );
      expectNoLeak(fields, forbidden(password));
    } finally {
      await project.dispose();
    }
  });

  it.each([
    ['migrateTo', (m: MigrationManager) => m.migrateTo(1)],
    ['dryRun', (m: MigrationManager) => m.dryRun()],
  ])('%s: the error is masked like runMigrationUp', async (_name, run) => {
    const project = await leakyProject(throwing);
    try {
      const error = await caught(run(project.manager));
      expect((error as { code?: string }).code).toBe('MIGRATION_FAILED');
      expectNoLeak({ ...errorTexts(error), ...lineTexts(project.lines) }, forbidden(password));
    } finally {
      await project.dispose();
    }
  });

  it('rollback: a failing down script is masked like runMigrationUp', async () => {
    const project = await leakyProject({
      '0001_ok.surql': 'DEFINE TABLE ok SCHEMALESS;\n',
      '0001_ok.down.surql': `THROW "boom ${password.plain}";\n`,
    });
    try {
      await project.manager.runMigrationUp();
      const error = await caught(project.manager.rollback());
      expect((error as { code?: string }).code).toBe('MIGRATION_FAILED');
      expectNoLeak({ ...errorTexts(error), ...lineTexts(project.lines) }, forbidden(password));
    } finally {
      await project.dispose();
    }
  });

  it("the 'failed' event's error is masked when the listener gets it", async () => {
    const seen: string[] = [];
    const project = await leakyProject(throwing, {
      failed: (event) => {
        seen.push(event.error.message);
      },
    });
    try {
      await caught(project.manager.runMigrationUp());
      expect(seen).toHaveLength(1);
      expectNoLeak({ 'failed event error.message': seen[0] }, forbidden(password));
    } finally {
      await project.dispose();
    }
  });
});
