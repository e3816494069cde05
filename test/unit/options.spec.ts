import type { Surreal } from 'surrealdb';

import { MigrationOptionsError, MigrationsError } from '../../src/core/support/errors.js';
import {
  DEFAULT_ALLOW_MISSING,
  DEFAULT_ALLOW_OUT_OF_ORDER,
  DEFAULT_CONNECT_BACKOFF_MS,
  DEFAULT_CONNECT_RETRIES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DIRECTORY,
  DEFAULT_LOCK_RETRY_MS,
  DEFAULT_LOCK_TTL_MS,
  DEFAULT_LOCK_WAIT_TIMEOUT_MS,
  DEFAULT_MODE,
  DEFAULT_SURREALDB,
  DEFAULT_TABLE,
  DEFAULT_VALIDATE_CHECKSUMS,
  type MigrationsOptions,
} from '../../src/core/options/options.js';
import { isEmbeddedUrl, redactUrl } from '../../src/core/options/urls.js';
import { resolveOptions } from '../../src/core/options/resolve-options.js';

const base = { url: 'mem://', namespace: 'app', database: 'main' } as const;

/** A stand-in for a connected client; resolveOptions only checks that one is there. */
const client = {} as Surreal;

/** Resolves and returns the MigrationOptionsError it throws (fails the test when it does not throw). */
function optionsError(options: unknown): MigrationOptionsError {
  let caught: unknown;
  try {
    resolveOptions(options as MigrationsOptions);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MigrationOptionsError);
  return caught as MigrationOptionsError;
}

describe('resolveOptions', () => {
  describe('defaults', () => {
    it('fills every default from the exported constants', () => {
      const resolved = resolveOptions({ ...base });
      expect(resolved).toMatchObject({
        url: 'mem://',
        namespace: 'app',
        database: 'main',
        auth: undefined,
        client: undefined,
        directory: DEFAULT_DIRECTORY,
        table: DEFAULT_TABLE,
        lockTable: `${DEFAULT_TABLE}_lock`,
        failedTable: `${DEFAULT_TABLE}_failed`,
        mode: DEFAULT_MODE,
        lock: {
          ttlMs: DEFAULT_LOCK_TTL_MS,
          waitTimeoutMs: DEFAULT_LOCK_WAIT_TIMEOUT_MS,
          retryMs: DEFAULT_LOCK_RETRY_MS,
        },
        connect: {
          timeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
          retries: DEFAULT_CONNECT_RETRIES,
          backoffMs: DEFAULT_CONNECT_BACKOFF_MS,
        },
        validateChecksums: DEFAULT_VALIDATE_CHECKSUMS,
        allowMissing: DEFAULT_ALLOW_MISSING,
        allowOutOfOrder: DEFAULT_ALLOW_OUT_OF_ORDER,
        on: {},
      });
    });

    it('has the documented default values', () => {
      expect({
        DEFAULT_DIRECTORY,
        DEFAULT_TABLE,
        DEFAULT_MODE,
        DEFAULT_VALIDATE_CHECKSUMS,
        DEFAULT_ALLOW_MISSING,
        DEFAULT_ALLOW_OUT_OF_ORDER,
      }).toEqual({
        DEFAULT_DIRECTORY: 'migrations',
        DEFAULT_TABLE: '_sbl_migrations',
        DEFAULT_MODE: 'apply',
        DEFAULT_VALIDATE_CHECKSUMS: true,
        DEFAULT_ALLOW_MISSING: false,
        DEFAULT_ALLOW_OUT_OF_ORDER: false,
      });
    });

    it('keeps the default connect budget under 20 seconds', () => {
      let backoff = 0;
      for (let retry = 0; retry < DEFAULT_CONNECT_RETRIES; retry++) backoff += DEFAULT_CONNECT_BACKOFF_MS * 2 ** retry;
      const budget = DEFAULT_CONNECT_TIMEOUT_MS * (DEFAULT_CONNECT_RETRIES + 1) + backoff;
      expect(budget).toBeLessThan(20_000);
      expect(DEFAULT_CONNECT_RETRIES).toBeGreaterThan(0);
    });

    it('is silent by default and with `logger: false`', () => {
      for (const logger of [undefined, false] as const) {
        const resolved = resolveOptions({ ...base, logger });
        expect(() => {
          resolved.logger.log('x');
          resolved.logger.warn('x');
          resolved.logger.error('x');
        }).not.toThrow();
      }
    });

    it('uses the given logger', () => {
      const messages: string[] = [];
      const logger = { log: (m: string) => messages.push(m), warn: () => {}, error: () => {} };
      resolveOptions({ ...base, logger }).logger.log('hello');
      expect(messages).toEqual(['hello']);
    });
  });

  describe('overrides', () => {
    it('takes every given value', () => {
      const on = { migrated: () => {} };
      const auth = { username: 'root', password: 'secret' };
      const resolved = resolveOptions({
        url: 'ws://localhost:8000',
        namespace: 'n',
        database: 'd',
        auth,
        directory: 'db/migrations',
        table: 'schema_history',
        mode: 'validate',
        lock: { ttlMs: 1_000 },
        connect: { retries: 0, backoffMs: 0 },
        validateChecksums: false,
        allowMissing: true,
        allowOutOfOrder: true,
        on,
      });
      expect(resolved).toMatchObject({
        url: 'ws://localhost:8000',
        auth,
        directory: 'db/migrations',
        table: 'schema_history',
        mode: 'validate',
        lock: { ttlMs: 1_000, waitTimeoutMs: DEFAULT_LOCK_WAIT_TIMEOUT_MS, retryMs: DEFAULT_LOCK_RETRY_MS },
        connect: { timeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, retries: 0, backoffMs: 0 },
        validateChecksums: false,
        allowMissing: true,
        allowOutOfOrder: true,
      });
      expect(resolved.on).toBe(on);
    });

    it('derives the lock and failed tables from `table`', () => {
      const resolved = resolveOptions({ ...base, table: 'app_history' });
      expect([resolved.table, resolved.lockTable, resolved.failedTable]).toEqual([
        'app_history',
        'app_history_lock',
        'app_history_failed',
      ]);
    });

    it.each([
      'mem://',
      'surrealkv://data/app.db',
      'surrealkv+versioned://data/app.db',
      'rocksdb://data/app.db',
      'ws://h:8000',
      'wss://h/rpc',
      'http://h:8000',
      'https://h',
    ])('accepts the URL %s', (url) => {
      expect(resolveOptions({ ...base, url }).url).toBe(url);
    });

    it('accepts a client without url, namespace or database', () => {
      const resolved = resolveOptions({ client });
      expect(resolved.client).toBe(client);
      expect(resolved.url).toBeUndefined();
    });

    it.each(['apply', 'validate', 'off'] as const)('accepts mode %s', (mode) => {
      expect(resolveOptions({ ...base, mode }).mode).toBe(mode);
    });

    it('accepts 0 where waiting, retrying or backing off can be skipped', () => {
      const resolved = resolveOptions({ ...base, lock: { waitTimeoutMs: 0 }, connect: { retries: 0, backoffMs: 0 } });
      expect(resolved.lock.waitTimeoutMs).toBe(0);
      expect(resolved.connect).toMatchObject({ retries: 0, backoffMs: 0 });
    });
  });

  describe('errors naming the field', () => {
    it.each<[string, unknown, string, RegExp]>([
      ['options not an object', null, 'options', /expected an object/],
      ['no url and no client', {}, 'url', /required unless `client`/],
      ['an empty url', { url: '', namespace: 'n', database: 'd' }, 'url', /required unless `client`/],
      ['both url and client', { ...base, client }, 'url', /either `url` or `client`, not both/],
      ['a bad scheme', { ...base, url: 'postgres://localhost' }, 'url', /unsupported scheme.*mem:\/\//],
      ['a url without scheme', { ...base, url: 'localhost:8000' }, 'url', /unsupported scheme/],
      ['no namespace with url', { url: 'mem://', database: 'd' }, 'namespace', /required with `url`/],
      ['an empty namespace', { ...base, namespace: '' }, 'namespace', /required with `url`/],
      ['no database with url', { url: 'mem://', namespace: 'n' }, 'database', /required with `url`/],
      ['auth without password', { ...base, auth: { username: 'root' } }, 'auth', /username, password/],
      ['auth null', { ...base, auth: null }, 'auth', /username, password/],
      ['a table with a dash', { ...base, table: 'my-table' }, 'table', /"my-table" is not a plain identifier/],
      ['a table starting with a digit', { ...base, table: '1abc' }, 'table', /"1abc" is not a plain identifier/],
      ['a table with a semicolon', { ...base, table: 'a;b' }, 'table', /not a plain identifier/],
      ['an empty table', { ...base, table: '' }, 'table', /not a plain identifier/],
      ['a table with a space', { ...base, table: 'a b' }, 'table', /not a plain identifier/],
      ['a bad mode', { ...base, mode: 'migrate' }, 'mode', /"migrate" is not one of apply, validate, off/],
      ['an empty directory', { ...base, directory: '' }, 'directory', /folder path/],
      ['a negative lock.ttlMs', { ...base, lock: { ttlMs: -1 } }, 'lock.ttlMs', /positive/],
      ['a zero lock.ttlMs', { ...base, lock: { ttlMs: 0 } }, 'lock.ttlMs', /positive/],
      ['a NaN lock.retryMs', { ...base, lock: { retryMs: NaN } }, 'lock.retryMs', /positive.*NaN/],
      ['a negative lock.waitTimeoutMs', { ...base, lock: { waitTimeoutMs: -5 } }, 'lock.waitTimeoutMs', />= 0/],
      ['a string lock.ttlMs', { ...base, lock: { ttlMs: '30000' } }, 'lock.ttlMs', /positive/],
      ['an infinite connect.timeoutMs', { ...base, connect: { timeoutMs: Infinity } }, 'connect.timeoutMs', /positive/],
      ['a NaN connect.timeoutMs', { ...base, connect: { timeoutMs: NaN } }, 'connect.timeoutMs', /positive/],
      ['negative connect.retries', { ...base, connect: { retries: -1 } }, 'connect.retries', />= 0/],
      ['NaN connect.backoffMs', { ...base, connect: { backoffMs: NaN } }, 'connect.backoffMs', />= 0/],
      ['a string validateChecksums', { ...base, validateChecksums: 'false' }, 'validateChecksums', /true or false/],
      ['a numeric allowMissing', { ...base, allowMissing: 1 }, 'allowMissing', /true or false/],
      ['a null allowOutOfOrder', { ...base, allowOutOfOrder: null }, 'allowOutOfOrder', /true or false/],
    ])('%s', (_case, options, field, message) => {
      const error = optionsError(options);
      expect(error.field).toBe(field);
      expect(error.message).toContain(`\`${field}\``);
      expect(error.message).toMatch(message);
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error).toBeInstanceOf(MigrationsError);
    });

    it('does not print the password of a URL with a bad scheme', () => {
      const error = optionsError({ ...base, url: 'postgres://admin:hunter2@db:5432/app?password=hunter2' });
      expect(error.message).not.toContain('hunter2');
      expect(error.message).toContain('postgres://db:5432');
    });

    // Bug: redactUrl's scheme pattern `[a-z+]+` misses schemes with digits, '-' or '.', which are
    // exactly the unsupported ones this message is about.
    it('does not print the password of a URL whose bad scheme has a digit', () => {
      const error = optionsError({ ...base, url: 'ws2://root:hunter2@db:8000' });
      expect(error.message).not.toContain('hunter2');
    });
  });
});

describe('redactUrl', () => {
  it.each([
    ['ws://root:secret@localhost:8000/rpc', 'ws://***@localhost:8000/rpc'],
    ['https://user@db.example.com', 'https://***@db.example.com'],
    ['wss://h/rpc?password=secret', 'wss://h/rpc?password=***'],
    ['wss://h/rpc?ns=a&pass=secret&db=b', 'wss://h/rpc?ns=a&pass=***&db=b'],
    ['wss://h/rpc?token=abc.def', 'wss://h/rpc?token=***'],
    ['wss://u:p@h/rpc?PASSWORD=x', 'wss://***@h/rpc?PASSWORD=***'],
    ['surrealkv+versioned://data/app.db', 'surrealkv+versioned://data/app.db'],
    ['ws://localhost:8000', 'ws://localhost:8000'],
  ])('redacts %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('leaves an @ in the path alone', () => {
    expect(redactUrl('ws://localhost:8000/rpc/a@b')).toBe('ws://localhost:8000/rpc/a@b');
  });

  // Bug: `[^/@]*@` stops at the first '@', but URL parsers take the last '@' of the authority as
  // the end of the user info (new URL('ws://u:p@ss@h').password === 'p%40ss'), so the rest leaks.
  it('hides a password that contains @', () => {
    expect(redactUrl('ws://root:p@ss@localhost:8000/rpc')).toBe('ws://***@localhost:8000/rpc');
  });
});

describe('isEmbeddedUrl', () => {
  it.each([
    ['mem://', true],
    ['surrealkv://data/app.db', true],
    ['surrealkv+versioned://data/app.db', true],
    ['rocksdb://data/app.db', true],
    ['ws://localhost:8000', false],
    ['https://db.example.com', false],
  ])('%s → %s', (url, embedded) => {
    expect(isEmbeddedUrl(url)).toBe(embedded);
  });
});

describe('resolveOptions: misspelt and unsafe options', () => {
  it.each([
    [{ ...base, directry: 'db' }, 'directry'],
    [{ ...base, lock: { ttl: 1000 } }, 'lock.ttl'],
    [{ ...base, connect: { timeout: 1000 } }, 'connect.timeout'],
    [{ ...base, on: { migrated: 'log' } }, 'on.migrated'],
    [{ ...base, lock: { ttlMs: 10 } }, 'lock.ttlMs'],
  ])('refuses %j, naming %s', (options, field) => {
    expect(optionsError(options).field).toBe(field);
  });

  it('accepts the Nest module extra isGlobal', () => {
    expect(resolveOptions({ ...base, isGlobal: true } as never).table).toBe('_sbl_migrations');
  });
});

describe('resolveOptions: bounded numbers', () => {
  const base = { url: 'mem://', namespace: 'n', database: 'd' };
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a lease longer than a day', { lock: { ttlMs: 1e10 } }, /lock\.ttlMs.*between 100 ms and 86400000 ms/],
    ['a lease past any timer', { lock: { ttlMs: 1e21 } }, /lock\.ttlMs/],
    ['a wait past any timer', { lock: { waitTimeoutMs: 3e9 } }, /lock\.waitTimeoutMs.*at most 2147483647 ms/],
    ['a retry past any timer', { lock: { retryMs: 3e9 } }, /lock\.retryMs/],
    ['a connect timeout past any timer', { connect: { timeoutMs: 3e9 } }, /connect\.timeoutMs/],
    ['too many retries', { connect: { retries: 5000 } }, /connect\.retries.*at most 1000/],
    ['a backoff that overflows', { connect: { retries: 40, backoffMs: 500 } }, /connect\.backoffMs.*lower it/],
  ])('refuses %s with MigrationOptionsError', (_name, extra, message) => {
    expect(() => resolveOptions({ ...base, ...extra } as MigrationsOptions)).toThrow(MigrationOptionsError);
    expect(() => resolveOptions({ ...base, ...extra } as MigrationsOptions)).toThrow(message);
  });

  it('takes a table name that is a keyword', () => {
    for (const table of ['select', 'NONE', 'true']) expect(resolveOptions({ ...base, table }).table).toBe(table);
  });
});

describe('resolveOptions: the SurrealDB version and the shadow server', () => {
  it('speaks SurrealDB 3 unless told otherwise, and takes 2', () => {
    expect(resolveOptions({ ...base }).surrealdb).toBe(DEFAULT_SURREALDB);
    expect(DEFAULT_SURREALDB).toBe(3);
    expect(resolveOptions({ ...base, surrealdb: 2 }).surrealdb).toBe(2);
  });

  it.each([4, '3', 1])('refuses surrealdb: %p, naming the field', (surrealdb) => {
    const error = optionsError({ ...base, surrealdb });
    expect(error.field).toBe('surrealdb');
    expect(error.problem).toMatch(/expected 2 or 3/);
  });

  it('refuses an embedded SurrealDB 2 that is not in memory, saying what works', () => {
    const error = optionsError({ ...base, url: 'surrealkv://data/app.db', surrealdb: 2 });
    expect(error.field).toBe('url');
    expect(error.problem).toMatch(/SurrealDB 2 runs embedded only in memory \(mem:\/\/, from @surrealdb\/wasm\)/);
  });

  it('takes a shadow server, its credentials from the URL or auth, and never shows the password', () => {
    const fromUrl = resolveOptions({ ...base, shadow: { url: 'ws://root:s3cret@db:8000' } });
    expect(fromUrl.shadow).toEqual({ url: 'ws://db:8000', auth: { username: 'root', password: 's3cret' } });
    expect(fromUrl.redactor.text('failed: s3cret')).toBe('failed: ***');
    const withAuth = resolveOptions({
      ...base,
      shadow: { url: 'wss://db', auth: { username: 'u', password: 'p4ss' } },
    });
    expect(withAuth.shadow).toEqual({ url: 'wss://db', auth: { username: 'u', password: 'p4ss' } });
    expect(withAuth.redactor.text('p4ss')).toBe('***');
  });

  it.each([
    [{ url: 'mem://' }, 'shadow.url', /URL of a SurrealDB server/],
    [{ url: 'ws://db', extra: 1 }, 'shadow.extra', /unknown option/],
    [{ url: 'ws://db', auth: { username: 'u' } }, 'shadow.auth', /username, password/],
  ])('refuses the shadow %p, naming %s', (shadow, field, problem) => {
    const error = optionsError({ ...base, shadow });
    expect(error.field).toBe(field);
    expect(error.problem).toMatch(problem);
  });
});
