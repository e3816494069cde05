/**
 * Resolves the options: applies the defaults (from options.ts) and validates every field, throwing
 * MigrationOptionsError naming the field; the configured secrets never reach a message or a log.
 */
import path from 'node:path';
import { MigrationOptionsError } from '../support/errors.js';
import { EMBEDDED_SCHEMES, Redactor, splitUrlCredentials } from '../support/secrets.js';
import {
  DEFAULT_ALLOW_MISSING,
  DEFAULT_ALLOW_OUT_OF_ORDER,
  DEFAULT_ACCEPT_DATA_LOSS,
  DEFAULT_CHECK_DATA,
  DEFAULT_CONCURRENCY,
  DEFAULT_CONNECT_BACKOFF_MS,
  DEFAULT_CONNECT_RETRIES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DIRECTORY,
  DEFAULT_LOCK_RETRY_MS,
  DEFAULT_LOCK_TTL_MS,
  DEFAULT_LOCK_WAIT_TIMEOUT_MS,
  DEFAULT_MODE,
  DEFAULT_ON_TARGET_FAILURE,
  DEFAULT_ON_DELETED_REPEATABLE,
  DEFAULT_SCHEMA_CACHE,
  DEFAULT_SURREALDB,
  DEFAULT_TABLE,
  DEFAULT_VALIDATE_CHECKSUMS,
  type MigrationConnectOptions,
  type MigrationLockOptions,
  type MigrationLogger,
  type MigrationMode,
  type MigrationsOptions,
  type ResolvedMigrationsOptions,
  type ShadowOptions,
  type TargetFailurePolicy,
  type DeletedRepeatablePolicy,
} from './options.js';
import { atMost, flag, nonNegative, positive, requireName, unknownKeys, wholeNumber } from './option-checks.js';
import { isEmbeddedUrl, redactUrl } from './urls.js';
import { checkTargets } from './target-list.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MIN_LOCK_TTL_MS = 100;
/** A lease longer than a day only delays the takeover of a crashed holder's work. */
const MAX_LOCK_TTL_MS = 86_400_000;
/** Node's timers hold at most 2^31 - 1 ms; past that they fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_CONNECT_RETRIES = 1_000;
const OPTION_KEYS: readonly string[] = [
  'url',
  'namespace',
  'database',
  'targets',
  'concurrency',
  'onTargetFailure',
  'onDeletedRepeatable',
  'auth',
  'surrealdb',
  'shadow',
  'schemaCache',
  'client',
  'directory',
  'table',
  'mode',
  'lock',
  'connect',
  'validateChecksums',
  'allowMissing',
  'allowOutOfOrder',
  'acceptDataLoss',
  'checkData',
  'on',
  'logger',
  // The Nest module's extra; harmless here.
  'isGlobal',
];
const URL_SCHEME = new RegExp(`^(${EMBEDDED_SCHEMES}|ws|wss|http|https)://`);
const MODES: readonly MigrationMode[] = ['apply', 'validate', 'off'];
const POLICIES: readonly TargetFailurePolicy[] = ['stop', 'continue'];
const DELETED_POLICIES: readonly DeletedRepeatablePolicy[] = ['warn', 'fail'];
/** More sessions than this at once only queue at the server. */
const MAX_CONCURRENCY = 1_000;

const SILENT: MigrationLogger = { log() {}, warn() {}, error() {} };

/**
 * Applies the defaults and validates. Throws {@link MigrationOptionsError} naming the field.
 */
export function resolveOptions(options: MigrationsOptions): ResolvedMigrationsOptions {
  // Known before anything is checked, so that no message about the options can show them.
  const credentials =
    options !== null && typeof options === 'object' && typeof options.url === 'string'
      ? splitUrlCredentials(options.url)
      : undefined;
  const password = (options as MigrationsOptions | null)?.auth?.password;
  // The shadow's server may have credentials of its own, in its URL or its auth.
  const shadow = (options as MigrationsOptions | null)?.shadow;
  const shadowSecrets =
    shadow !== null && typeof shadow === 'object'
      ? [
          ...(typeof shadow.url === 'string' ? splitUrlCredentials(shadow.url).secrets : []),
          typeof shadow.auth?.password === 'string' ? shadow.auth.password : undefined,
        ]
      : [];
  const redactor = new Redactor([
    ...(credentials?.secrets ?? []),
    typeof password === 'string' ? password : undefined,
    ...shadowSecrets,
  ]);
  try {
    return resolve(options, credentials, redactor);
  } catch (error) {
    throw redactor.error(error);
  }
}

function resolve(
  options: MigrationsOptions,
  credentials: ReturnType<typeof splitUrlCredentials> | undefined,
  redactor: Redactor,
): ResolvedMigrationsOptions {
  if (options === null || typeof options !== 'object') {
    throw new MigrationOptionsError('options', 'expected an object with `url` or `client`.');
  }
  unknownKeys(options, OPTION_KEYS, '');
  unknownKeys(options.lock ?? {}, ['ttlMs', 'waitTimeoutMs', 'retryMs'], 'lock.');
  unknownKeys(options.connect ?? {}, ['timeoutMs', 'retries', 'backoffMs'], 'connect.');
  for (const [name, handler] of Object.entries(options.on ?? {})) {
    if (typeof handler !== 'function') throw new MigrationOptionsError(`on.${name}`, 'expected a function.');
  }
  const { client } = options;
  // Credentials written in a server's URL sign in, like `auth`; the URL kept has none.
  const url = credentials?.password !== undefined ? credentials.url : options.url;
  if (client && url) {
    throw new MigrationOptionsError('url', 'give either `url` or `client`, not both.');
  }
  if (!client) {
    if (typeof url !== 'string' || !url) {
      throw new MigrationOptionsError(
        'url',
        'required unless `client` is given; for example `surrealkv://data/app.db` or `ws://localhost:8000`.',
      );
    }
    if (credentials?.ambiguous) {
      throw new MigrationOptionsError(
        'url',
        'it holds more than one `@`, with a `/`, `?` or `#` between them, so where its host starts is unclear; ' +
          'write the password URL-encoded (`@` as %40, `/` as %2F), or give it in `auth`.',
      );
    }
    if (credentials && credentials.username !== undefined && credentials.password === undefined) {
      throw new MigrationOptionsError(
        'url',
        'it names a user without a password (`user@host`); write `user:password@host`, or give `auth`.',
      );
    }
    if (!URL_SCHEME.test(url.trim())) {
      throw new MigrationOptionsError(
        'url',
        `unsupported scheme in "${redactUrl(url)}"; use mem://, surrealkv://, rocksdb://, ws(s):// or http(s)://.`,
      );
    }
    if (options.targets === undefined) {
      requireName(options.namespace, 'namespace');
      requireName(options.database, 'database');
    }
  }
  const targets = options.targets;
  if (targets !== undefined) {
    if (typeof targets === 'function') {
      // Called once connected; its answer is checked then.
    } else if (Array.isArray(targets)) {
      checkTargets(targets, 'targets');
    } else {
      throw new MigrationOptionsError(
        'targets',
        'expected a list of `{ namespace, database }`, or a function of the connected client that returns one.',
      );
    }
  }
  for (const field of ['namespace', 'database'] as const) {
    if (options[field] !== undefined && (typeof options[field] !== 'string' || !options[field])) {
      throw new MigrationOptionsError(field, `expected a name, got ${JSON.stringify(options[field])}.`);
    }
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new MigrationOptionsError('concurrency', `expected a whole number >= 1, got ${String(concurrency)}.`);
  }
  atMost(concurrency, MAX_CONCURRENCY, 'concurrency');
  const onTargetFailure = options.onTargetFailure ?? DEFAULT_ON_TARGET_FAILURE;
  if (!POLICIES.includes(onTargetFailure)) {
    throw new MigrationOptionsError(
      'onTargetFailure',
      `"${String(onTargetFailure)}" is not one of ${POLICIES.map((p) => `'${p}'`).join(', ')}.`,
    );
  }
  const onDeletedRepeatable = options.onDeletedRepeatable ?? DEFAULT_ON_DELETED_REPEATABLE;
  if (!DELETED_POLICIES.includes(onDeletedRepeatable)) {
    throw new MigrationOptionsError(
      'onDeletedRepeatable',
      `"${String(onDeletedRepeatable)}" is not one of ${DELETED_POLICIES.map((p) => `'${p}'`).join(', ')}.`,
    );
  }
  if (options.logger !== undefined && options.logger !== false && typeof options.logger?.warn !== 'function') {
    throw new MigrationOptionsError(
      'logger',
      'expected an object with log, warn and error methods (a Nest Logger fits), or false.',
    );
  }
  if (options.auth !== undefined) {
    if (typeof options.auth?.username !== 'string' || typeof options.auth.password !== 'string') {
      throw new MigrationOptionsError('auth', 'expected `{ username, password }` as strings.');
    }
  }
  const auth =
    options.auth ??
    (credentials?.password !== undefined
      ? { username: credentials.username ?? '', password: credentials.password }
      : undefined);

  const surrealdb = options.surrealdb ?? DEFAULT_SURREALDB;
  if (surrealdb !== 2 && surrealdb !== 3) {
    throw new MigrationOptionsError(
      'surrealdb',
      `expected 2 or 3 (the SurrealDB major version), got ${String(surrealdb)}.`,
    );
  }
  if (surrealdb === 2 && url && isEmbeddedUrl(url.trim()) && !/^mem:\/\//.test(url.trim())) {
    throw new MigrationOptionsError(
      'url',
      'SurrealDB 2 runs embedded only in memory (mem://, from @surrealdb/wasm); give mem://, or a SurrealDB 2 server URL.',
    );
  }
  const shadow = resolveShadow(options.shadow);

  const table = options.table ?? DEFAULT_TABLE;
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new MigrationOptionsError(
      'table',
      `"${String(table)}" is not a plain identifier; use letters, digits and _ (not starting with a digit).`,
    );
  }
  const mode = options.mode ?? DEFAULT_MODE;
  if (!MODES.includes(mode)) {
    throw new MigrationOptionsError('mode', `"${String(mode)}" is not one of ${MODES.join(', ')}.`);
  }
  const directory = options.directory ?? DEFAULT_DIRECTORY;
  if (typeof directory !== 'string' || !directory) {
    throw new MigrationOptionsError('directory', 'expected a folder path.');
  }

  const lock: MigrationLockOptions = {
    ttlMs: positive(options.lock?.ttlMs, DEFAULT_LOCK_TTL_MS, 'lock.ttlMs'),
    waitTimeoutMs: nonNegative(options.lock?.waitTimeoutMs, DEFAULT_LOCK_WAIT_TIMEOUT_MS, 'lock.waitTimeoutMs'),
    retryMs: positive(options.lock?.retryMs, DEFAULT_LOCK_RETRY_MS, 'lock.retryMs'),
  };
  if (lock.ttlMs < MIN_LOCK_TTL_MS || lock.ttlMs > MAX_LOCK_TTL_MS) {
    // Renewed every third of it: a shorter lease would expire between renewals under any load.
    throw new MigrationOptionsError(
      'lock.ttlMs',
      `must be between ${MIN_LOCK_TTL_MS} ms and ${MAX_LOCK_TTL_MS} ms (a day), got ${lock.ttlMs}.`,
    );
  }
  atMost(lock.waitTimeoutMs, MAX_TIMER_MS, 'lock.waitTimeoutMs');
  atMost(lock.retryMs, MAX_TIMER_MS, 'lock.retryMs');
  const connect: MigrationConnectOptions = {
    timeoutMs: positive(options.connect?.timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'connect.timeoutMs'),
    retries: wholeNumber(options.connect?.retries, DEFAULT_CONNECT_RETRIES, 'connect.retries'),
    backoffMs: nonNegative(options.connect?.backoffMs, DEFAULT_CONNECT_BACKOFF_MS, 'connect.backoffMs'),
  };
  atMost(connect.timeoutMs, MAX_TIMER_MS, 'connect.timeoutMs');
  atMost(connect.retries, MAX_CONNECT_RETRIES, 'connect.retries');
  // The last retry waits backoffMs * 2^(retries - 1): that too must fit a timer.
  if (connect.backoffMs * 2 ** Math.max(0, connect.retries - 1) > MAX_TIMER_MS) {
    throw new MigrationOptionsError(
      'connect.backoffMs',
      `with ${connect.retries} retries the last one would wait longer than ${MAX_TIMER_MS} ms; lower it or connect.retries.`,
    );
  }

  return {
    url: client ? undefined : url?.trim(),
    namespace: options.namespace,
    database: options.database,
    targets,
    concurrency,
    onTargetFailure,
    onDeletedRepeatable,
    auth,
    surrealdb,
    shadow,
    schemaCache: resolveSchemaCache(options.schemaCache),
    client,
    directory,
    table,
    lockTable: `${table}_lock`,
    failedTable: `${table}_failed`,
    repeatableTable: `${table}_repeatable`,
    mode,
    lock,
    connect,
    validateChecksums: flag(options.validateChecksums, DEFAULT_VALIDATE_CHECKSUMS, 'validateChecksums'),
    allowMissing: flag(options.allowMissing, DEFAULT_ALLOW_MISSING, 'allowMissing'),
    allowOutOfOrder: flag(options.allowOutOfOrder, DEFAULT_ALLOW_OUT_OF_ORDER, 'allowOutOfOrder'),
    acceptDataLoss: flag(options.acceptDataLoss, DEFAULT_ACCEPT_DATA_LOSS, 'acceptDataLoss'),
    checkData: flag(options.checkData, DEFAULT_CHECK_DATA, 'checkData'),
    on: options.on ?? {},
    logger: options.logger === false || options.logger === undefined ? SILENT : redacting(options.logger, redactor),
    redactor,
  };
}

/** The shadow's server: a URL of a server (never embedded); credentials in it sign in, like `auth`. */
export function resolveShadow(value: ShadowOptions | undefined): ShadowOptions | undefined {
  if (value === undefined) return undefined;
  unknownKeys(value ?? {}, ['url', 'auth'], 'shadow.');
  if (typeof value?.url !== 'string' || !/^(ws|wss|http|https):\/\//.test(value.url.trim())) {
    throw new MigrationOptionsError(
      'shadow.url',
      'expected the URL of a SurrealDB server (ws(s):// or http(s)://), where a scratch database is made for the shadow.',
    );
  }
  const credentials = splitUrlCredentials(value.url);
  if (
    value.auth !== undefined &&
    (typeof value.auth?.username !== 'string' || typeof value.auth.password !== 'string')
  ) {
    throw new MigrationOptionsError('shadow.auth', 'expected `{ username, password }` as strings.');
  }
  const auth =
    value.auth ??
    (credentials.password !== undefined
      ? { username: credentials.username ?? '', password: credentials.password }
      : undefined);
  return { url: (credentials.password !== undefined ? credentials.url : value.url).trim(), ...(auth ? { auth } : {}) };
}

/** A logger that masks the secrets in every message, and in every error it is given. */
function redacting(logger: MigrationLogger, redactor: Redactor): MigrationLogger {
  const mask = (args: unknown[]) =>
    args.map((arg) => (typeof arg === 'string' ? redactor.text(arg) : redactor.error(arg)));
  return {
    log: (message, ...optional) => logger.log(redactor.text(message), ...mask(optional)),
    warn: (message, ...optional) => logger.warn(redactor.text(message), ...mask(optional)),
    error: (message, ...optional) => logger.error(redactor.text(message), ...mask(optional)),
  };
}

/** `schemaCache`: a folder (made absolute from the working directory), or false. */
function resolveSchemaCache(value: unknown): string | false {
  if (value === false) return false;
  if (value === undefined) return path.resolve(DEFAULT_SCHEMA_CACHE);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new MigrationOptionsError('schemaCache', 'expected a folder path, or false to keep no schema.');
  }
  return path.resolve(value);
}
