import type { Surreal } from 'surrealdb';
import { MigrationOptionsError } from '../support/errors.js';
import type { MigrationEventHandlers } from '../events/migration-events.js';
import type { MigrationTarget } from '../support/target.js';
import { EMBEDDED_SCHEMES, Redactor, splitUrlCredentials } from '../support/secrets.js';

/** Defaults, in one place. Every other module reads resolved options, never a default of its own. */
export const DEFAULT_DIRECTORY = 'migrations';
export const DEFAULT_TABLE = '_sbl_migrations';
export const DEFAULT_MODE: MigrationMode = 'apply';
export const DEFAULT_LOCK_TTL_MS = 30_000;
export const DEFAULT_LOCK_WAIT_TIMEOUT_MS = 300_000;
export const DEFAULT_LOCK_RETRY_MS = 250;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_CONNECT_RETRIES = 3;
export const DEFAULT_CONNECT_BACKOFF_MS = 500;
export const DEFAULT_VALIDATE_CHECKSUMS = true;
export const DEFAULT_ALLOW_MISSING = false;
export const DEFAULT_ALLOW_OUT_OF_ORDER = false;
/** Targets migrated at the same time (each target's own migrations still run one after another). */
export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_ON_TARGET_FAILURE: TargetFailurePolicy = 'stop';
/** The SurrealDB major version of the embedded engine, and of an offline analysis's shadow. */
export const DEFAULT_SURREALDB: SurrealDbMajor = 3;

/** A SurrealDB major version this library speaks (2.4 and later, 3.x). */
export type SurrealDbMajor = 2 | 3;

/**
 * Where analyses build their shadow database: the folder applied to a scratch database on a server
 * of your own, made with a unique name and removed afterwards (on failure too). Any server the SDK
 * accepts, so the shadow speaks exactly that server's version. Without it, the shadow is embedded:
 * SurrealDB 3 from `@surrealdb/node`, or 2 from `@surrealdb/wasm` (see `surrealdb`).
 */
export interface ShadowOptions {
  /** `ws(s)://host:port` or `http(s)://host:port`. */
  url: string;
  /** Credentials allowed to define and remove a namespace there. */
  auth?: MigrationAuth;
}

/**
 * What the module does at application bootstrap.
 * - `'apply'`: apply every pending migration before the app listens.
 * - `'validate'`: apply nothing; fail bootstrap if anything is pending, failed or drifted.
 * - `'off'`: do nothing at bootstrap; the services are still provided.
 */
export type MigrationMode = 'apply' | 'validate' | 'off';

export type { MigrationTarget } from '../support/target.js';

/**
 * The databases to migrate: a list, or a function called once the connection is open (with the
 * connected client, on the `namespace`/`database` the options name, if any) that returns them,
 * for example from a tenants table or from `INFO FOR NS` (see `allDatabases`).
 */
export type MigrationTargets =
  readonly MigrationTarget[] | ((client: Surreal) => readonly MigrationTarget[] | Promise<readonly MigrationTarget[]>);

/**
 * What a run over many targets does when one of them fails.
 * - `'stop'`: start no further target, let the running ones finish, and fail.
 * - `'continue'`: migrate every other target, then fail with every failure.
 */
export type TargetFailurePolicy = 'stop' | 'continue';

/** Root or namespace credentials, sent only to remote URLs. */
export interface MigrationAuth {
  username: string;
  password: string;
  /** For namespace or database users. */
  namespace?: string;
  database?: string;
}

/** The migration lock (a lease record). Any subset may be given. */
export interface MigrationLockOptions {
  /**
   * How long a lease lasts without renewal. The holder renews it every third of this.
   * A crashed holder's lease is taken over once it has expired. At least 100 ms.
   * @default DEFAULT_LOCK_TTL_MS (30 s)
   */
  ttlMs: number;
  /**
   * How long a replica waits for another replica's lock before it gives up with
   * `MigrationLockError`.
   * @default DEFAULT_LOCK_WAIT_TIMEOUT_MS (5 min)
   */
  waitTimeoutMs: number;
  /**
   * Base delay between attempts while waiting; backoff doubles it up to 8× with jitter.
   * @default DEFAULT_LOCK_RETRY_MS (250 ms)
   */
  retryMs: number;
}

/**
 * Connecting to the database. The default budget, 4 attempts of at most 3 s with 0.5 + 1 + 2 s
 * between them, stays under 20 seconds.
 */
export interface MigrationConnectOptions {
  /**
   * Time allowed for one connection attempt.
   * @default DEFAULT_CONNECT_TIMEOUT_MS (3 s)
   */
  timeoutMs: number;
  /**
   * Further attempts after the first one fails.
   * @default DEFAULT_CONNECT_RETRIES (3)
   */
  retries: number;
  /**
   * Delay before the first retry; doubles for each further one.
   * @default DEFAULT_CONNECT_BACKOFF_MS (500 ms)
   */
  backoffMs: number;
}

/** A logger; Nest's `Logger` fits. `false` silences the library. */
export interface MigrationLogger {
  log(message: string, ...optional: unknown[]): unknown;
  warn(message: string, ...optional: unknown[]): unknown;
  error(message: string, ...optional: unknown[]): unknown;
}

/**
 * Options of the migrations core, the Nest module and the CLI alike.
 *
 * Give either `url` (with `namespace` and `database`, or `targets`) or `client`.
 */
export interface MigrationsOptions {
  /**
   * `mem://`, `surrealkv://path`, `rocksdb://path` (embedded, no server) or
   * `ws(s)://host:port`, `http(s)://host:port` (a SurrealDB server).
   */
  url?: string;
  namespace?: string;
  database?: string;
  /**
   * Many databases instead of one (`namespace`/`database` then only select where the connection,
   * and a `targets` function, starts). Each target keeps its own history, lock and failed records
   * in its own database; the same folder is applied to all.
   */
  targets?: MigrationTargets;
  /**
   * With `targets`: how many targets are migrated at the same time.
   * @default DEFAULT_CONCURRENCY (8)
   */
  concurrency?: number;
  /**
   * With `targets`: what a run does when a target fails.
   * @default DEFAULT_ON_TARGET_FAILURE ('stop')
   */
  onTargetFailure?: TargetFailurePolicy;
  /** Credentials for remote URLs. Embedded engines run without sign-in. */
  auth?: MigrationAuth;
  /**
   * The SurrealDB major version to speak where no server is asked: the engine behind an embedded
   * `url` (`mem://` runs SurrealDB 2 from `@surrealdb/wasm`, which has no other embedded store), and
   * the shadow of the offline analyses (lint, schema, diff). Where a server is connected, its own
   * version decides instead.
   * @default DEFAULT_SURREALDB (3)
   */
  surrealdb?: SurrealDbMajor;
  /** A shadow database on a server of your own, instead of the embedded engine. */
  shadow?: ShadowOptions;
  /**
   * A `Surreal` instance the app has already connected (namespace and database selected).
   * It is used as is and never closed by this library.
   */
  client?: Surreal;
  /**
   * The folder of migration scripts, relative to the working directory.
   * @default DEFAULT_DIRECTORY ('migrations')
   */
  directory?: string;
  /**
   * The history table. The lock and failed-attempt tables take it as a prefix.
   * @default DEFAULT_TABLE ('_sbl_migrations')
   */
  table?: string;
  /** @default DEFAULT_MODE ('apply') */
  mode?: MigrationMode;
  lock?: Partial<MigrationLockOptions>;
  connect?: Partial<MigrationConnectOptions>;
  /**
   * Refuse to start when an applied migration's file changed.
   * @default DEFAULT_VALIDATE_CHECKSUMS (true)
   */
  validateChecksums?: boolean;
  /**
   * Only warn, instead of failing, when an applied migration has no file any more.
   * @default DEFAULT_ALLOW_MISSING (false)
   */
  allowMissing?: boolean;
  /**
   * Apply pending migrations older than the newest applied one, instead of failing.
   * @default DEFAULT_ALLOW_OUT_OF_ORDER (false)
   */
  allowOutOfOrder?: boolean;
  /** Event callbacks, for metrics and the like. */
  on?: Partial<MigrationEventHandlers>;
  /**
   * Where the library logs. The Nest module passes a Nest `Logger`; `false` is silent.
   * @default console-free silent logger in the core, Nest `Logger('Migrations')` in the module
   */
  logger?: MigrationLogger | false;
}

/** Options after defaults and validation. */
export interface ResolvedMigrationsOptions {
  url: string | undefined;
  namespace: string | undefined;
  database: string | undefined;
  targets: MigrationTargets | undefined;
  concurrency: number;
  onTargetFailure: TargetFailurePolicy;
  auth: MigrationAuth | undefined;
  surrealdb: SurrealDbMajor;
  shadow: ShadowOptions | undefined;
  client: Surreal | undefined;
  directory: string;
  table: string;
  lockTable: string;
  failedTable: string;
  mode: MigrationMode;
  lock: MigrationLockOptions;
  connect: MigrationConnectOptions;
  validateChecksums: boolean;
  allowMissing: boolean;
  allowOutOfOrder: boolean;
  on: Partial<MigrationEventHandlers>;
  /** Masks every lines it writes with {@link redactor}. */
  logger: MigrationLogger;
  /** Knows the configured secrets: every output boundary masks them with it. */
  redactor: Redactor;
}

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
  'auth',
  'surrealdb',
  'shadow',
  'client',
  'directory',
  'table',
  'mode',
  'lock',
  'connect',
  'validateChecksums',
  'allowMissing',
  'allowOutOfOrder',
  'on',
  'logger',
  // The Nest module's extra; harmless here.
  'isGlobal',
];
const URL_SCHEME = new RegExp(`^(${EMBEDDED_SCHEMES}|ws|wss|http|https)://`);
const EMBEDDED_URL = new RegExp(`^(${EMBEDDED_SCHEMES})://`);
const MODES: readonly MigrationMode[] = ['apply', 'validate', 'off'];
const POLICIES: readonly TargetFailurePolicy[] = ['stop', 'continue'];
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
    auth,
    surrealdb,
    shadow,
    client,
    directory,
    table,
    lockTable: `${table}_lock`,
    failedTable: `${table}_failed`,
    mode,
    lock,
    connect,
    validateChecksums: flag(options.validateChecksums, DEFAULT_VALIDATE_CHECKSUMS, 'validateChecksums'),
    allowMissing: flag(options.allowMissing, DEFAULT_ALLOW_MISSING, 'allowMissing'),
    allowOutOfOrder: flag(options.allowOutOfOrder, DEFAULT_ALLOW_OUT_OF_ORDER, 'allowOutOfOrder'),
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

/** Hides user info and password-like query parameters, for logs and error messages. */
export function redactUrl(url: string): string {
  return (
    url
      // Up to the last '@' before the path, as URL parsers read it: a password may contain '@'.
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@')
      .replace(/([?&](?:pass|password|token)=)[^&]*/gi, '$1***')
  );
}

/** Whether the URL names an embedded engine (no server, no sign-in). */
export function isEmbeddedUrl(url: string): boolean {
  return EMBEDDED_URL.test(url);
}

/** A misspelt option (`directry`, `lock: { ttl }`) would otherwise be ignored without a word. */
function unknownKeys(value: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new MigrationOptionsError(`${prefix}${key}`, `unknown option; the options are ${known.join(', ')}.`);
    }
  }
}

/**
 * Checks a list of targets (the option, or what a `targets` function returned): each a
 * `{ namespace, database }` of non-empty names, none twice (two runs on one database would only
 * wait for each other's lock). Returns it as a frozen copy.
 */
export function checkTargets(value: unknown, field: string): readonly MigrationTarget[] {
  if (!Array.isArray(value)) {
    throw new MigrationOptionsError(
      field,
      `expected a list of \`{ namespace, database }\`, got ${describeValue(value)}.`,
    );
  }
  const seen = new Set<string>();
  const targets = value.map((entry: unknown, index) => {
    const t = entry as Partial<MigrationTarget> | null;
    if (
      t === null ||
      typeof t !== 'object' ||
      typeof t.namespace !== 'string' ||
      !t.namespace ||
      typeof t.database !== 'string' ||
      !t.database
    ) {
      throw new MigrationOptionsError(
        `${field}[${index}]`,
        `expected \`{ namespace, database }\` with both names, got ${describeValue(entry)}.`,
      );
    }
    // Keyed by both names apart: `a/b` + `c` is not `a` + `b/c`.
    const id = JSON.stringify([t.namespace, t.database]);
    if (seen.has(id)) {
      throw new MigrationOptionsError(`${field}[${index}]`, `${targetKey(t as MigrationTarget)} is listed twice.`);
    }
    seen.add(id);
    return Object.freeze({ namespace: t.namespace, database: t.database });
  });
  return Object.freeze(targets);
}

/** `namespace/database`, as logs, errors and the CLI name a target. */
export function targetKey(target: MigrationTarget): string {
  return `${target.namespace}/${target.database}`;
}

/**
 * What a value is, without its contents: a `targets` function may return rows of a tenants table,
 * whose other columns (keys, connection strings) must not reach a log.
 */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).slice(0, 10);
    return keys.length > 0 ? `an object with the keys ${keys.join(', ')}` : 'an empty object';
  }
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

function requireName(value: unknown, field: string): void {
  if (typeof value !== 'string' || !value) {
    throw new MigrationOptionsError(field, 'required with `url`; name the SurrealDB ' + field + '.');
  }
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MigrationOptionsError(field, `expected a positive number of milliseconds, got ${String(value)}.`);
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new MigrationOptionsError(field, `expected a number >= 0, got ${String(value)}.`);
  }
  return value;
}

function wholeNumber(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MigrationOptionsError(field, `expected a whole number >= 0, got ${String(value)}.`);
  }
  return value;
}

function atMost(value: number, max: number, field: string): void {
  if (value > max) {
    throw new MigrationOptionsError(field, `must be at most ${max}${field.endsWith('Ms') ? ' ms' : ''}, got ${value}.`);
  }
}

function flag(value: boolean | undefined, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new MigrationOptionsError(field, `expected true or false, got ${String(value)}.`);
  }
  return value;
}

/** A target's identity, for maps and sets (`targetKey`'s `ns/db` is for display: names may hold a `/`). */
export function targetId(target: MigrationTarget): string {
  return JSON.stringify([target.namespace, target.database]);
}
