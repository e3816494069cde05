import { Surreal, createRemoteEngines, type ConnectOptions, type Engines } from 'surrealdb';
import { MigrationOptionsError } from '../support/errors.js';
import { DatabaseUnreachableError } from '../support/database-errors.js';
import { sleep, withTimeout } from '../support/timing.js';
import { embeddedV2Engines, isMissingPackage } from './embedded-v2.js';
import { pendingSelection, selectExisting, selectPending, selectingEngines } from './selection.js';
import { missingTargets } from './server-lists.js';
import { type MigrationLogger, type ResolvedMigrationsOptions, type SurrealDbMajor } from '../options/options.js';
import { isEmbeddedUrl, redactUrl } from '../options/urls.js';

/** A database connection and whether this library owns (and so closes) it. */
export interface MigrationConnection {
  readonly db: Surreal;
  /** True when the library opened it; a `client` passed in is never closed. */
  readonly owned: boolean;
  /**
   * Whether its namespace or database does not exist: not found when it connected, and not
   * found now (looked up again, in a session of its own, so that a database another process
   * created since is seen, and then selected). No request once it is selected. Always false for
   * a `client` passed in.
   */
  missing(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Connects to `options.url` (or wraps `options.client`), with a timeout per attempt and bounded
 * retries with backoff. Throws {@link DatabaseUnreachableError} when the budget is spent.
 *
 * The embedded engines' native binary is imported only for embedded URLs, and `ws` only where
 * the runtime has no global WebSocket (Node 20).
 */
export async function openConnection(
  options: ResolvedMigrationsOptions,
  logger: MigrationLogger,
  /** An embedded SurrealDB 2 client whose datastore the new connection shares (a target's). */
  shareWith?: Surreal,
): Promise<MigrationConnection> {
  if (options.client) {
    const db = options.client;
    return { db, owned: false, missing: async () => false, close: async () => {} };
  }
  const url = options.url as string;
  const embedded = isEmbeddedUrl(url);
  const { timeoutMs, retries, backoffMs } = options.connect;
  const attempts = retries + 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const db = await createClient(url, embedded ? options.surrealdb : undefined, shareWith);
    // The WebSocket engine reports a refused connection only as events ('error', then
    // 'disconnected'); without them the attempt would wait for the whole timeout.
    let cause: Error | undefined;
    const unsubscribe: (() => void)[] = [];
    const dropped = new Promise<never>((_, reject) => {
      unsubscribe.push(db.subscribe('error', (error) => (cause = error)));
      unsubscribe.push(
        db.subscribe('disconnected', () =>
          reject(new Error(`the connection was refused or closed${cause ? `: ${cause.message}` : ''}`)),
        ),
      );
    });
    dropped.catch(() => {});
    try {
      // The looking up of the namespace and database is part of connecting, within its budget.
      const connected = async () => {
        await db.connect(url, connectOptions(options, embedded));
        // A connection to a datastore already open was checked with the first one.
        if (embedded && !shareWith) await checkEmbeddedVersion(db, options.surrealdb);
        await select(db, options, embedded);
      };
      await withTimeout(Promise.race([connected(), dropped]), timeoutMs, () =>
        embedded
          ? `no answer within ${timeoutMs} ms; another process may hold this embedded database open (one process per path)`
          : `no answer within ${timeoutMs} ms`,
      );
      unsubscribe.forEach((off) => off());
      // A server that stopped answering would hold a WebSocket close for 30 s; an embedded engine
      // closes when its data is flushed, which it must be allowed to finish.
      const close = async () => {
        if (embedded) await db.close();
        else await withTimeout(db.close(), CLOSE_TIMEOUT_MS, () => 'close timed out').catch(() => {});
      };
      return { db, owned: true, missing: () => stillMissing(db), close };
    } catch (error) {
      unsubscribe.forEach((off) => off());
      lastError = error;
      // Closed before the next attempt: an embedded path admits one connection at a time.
      await withTimeout(db.close(), CLOSE_TIMEOUT_MS, () => 'close timed out').catch(() => {});
      // A wrong engine installed: no retry mends that.
      if (error instanceof MigrationOptionsError) throw error;
      // The server answered and said no: waiting will not change its mind.
      if (isRefusal(error)) throw options.redactor.error(new DatabaseUnreachableError(redactUrl(url), attempt, error));
      if (attempt < attempts) {
        const delay = backoffMs * 2 ** (attempt - 1);
        logger.warn(
          `SurrealDB at ${redactUrl(url)} not reachable (attempt ${attempt}/${attempts}): ${
            error instanceof Error ? error.message : String(error)
          }; retrying in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  }
  throw options.redactor.error(new DatabaseUnreachableError(redactUrl(url), attempts, lastError));
}

/** See {@link MigrationConnection.missing}. */
async function stillMissing(db: Surreal): Promise<boolean> {
  const where = pendingSelection(db);
  if (!where) return false;
  // Only a namespace to select: a manager of many targets, whose reads look up each target.
  if (where.database === null) return true;
  const target = { namespace: where.namespace, database: where.database };
  if ((await missingTargets(db, [target])).size > 0) return true;
  await selectPending(db);
  return false;
}

/**
 * Selects the connection's namespace and database. SurrealDB 2's `use` creates nothing; on
 * SurrealDB 3 only what exists is selected, the rest when the connection first needs it (see
 * `selection.ts`): a read of a database that does not exist then creates nothing.
 */
async function select(db: Surreal, options: ResolvedMigrationsOptions, embedded: boolean): Promise<void> {
  const { namespace, database } = options;
  if (!namespace) return;
  if ((await serverMajor(db)) === 2) {
    await db.use({ namespace, database: database ?? null });
    return;
  }
  await selectExisting(db, namespace, database, embedded ? undefined : options.auth);
}

/** How long a failed attempt's client may take to close before the next attempt. */
const CLOSE_TIMEOUT_MS = 1_000;

/** Wrong credentials, or a server version the SDK does not support: retrying cannot help. */
function isRefusal(error: unknown): boolean {
  const e = error as { kind?: string; name?: string; message?: string } | undefined;
  if (e?.kind === 'NotAllowed' || e?.name === 'UnsupportedVersionError') return true;
  return /authentication|credentials|signin|not allowed|unsupported version|version .* not supported/i.test(
    e?.message ?? '',
  );
}

/**
 * A client for `url`; `embedded` is the major version of the engine to run in this process, for
 * an embedded URL (undefined for a server).
 * @internal
 */
export async function createClient(
  url: string,
  embedded: SurrealDbMajor | undefined,
  shareWith?: Surreal,
): Promise<Surreal> {
  let engines: Engines = createRemoteEngines();
  let register: ((client: Surreal) => void) | undefined;
  // Loaded lazily: remote-only users never load an engine, nor need one installed.
  if (embedded === 2) {
    const v2 = await embeddedV2Engines('surrealdb', shareWith);
    engines = { ...engines, ...v2.engines };
    register = v2.register;
  } else if (embedded === 3) {
    const { createNodeEngines } = await importEmbeddedEngine(url);
    engines = { ...engines, ...createNodeEngines() };
  }
  // The embedded SurrealDB 2's `use` creates nothing: its engines need not wait to select.
  const made: { client?: Surreal } = {};
  if (embedded !== 2) engines = selectingEngines(engines, () => made.client);
  const client =
    typeof globalThis.WebSocket === 'undefined'
      ? new Surreal({
          engines,
          websocketImpl: (await import('ws')).default as unknown as typeof WebSocket,
        })
      : new Surreal({ engines });
  made.client = client;
  register?.(client);
  return client;
}

/**
 * `@surrealdb/node`, an optional peer dependency. Without it an embedded URL is a setup mistake
 * that no retry can mend: an options error naming `url`, not Node's "Cannot find package".
 */
async function importEmbeddedEngine(url: string) {
  try {
    return await import('@surrealdb/node');
  } catch (error) {
    if (!isMissingPackage(error, '@surrealdb/node')) throw error;
    const scheme = /^[a-z+]+:\/\//.exec(url)?.[0] ?? url;
    throw new MigrationOptionsError(
      'url',
      `${scheme} runs SurrealDB embedded in this process, which needs the optional package @surrealdb/node: ` +
        `install it with \`npm install @surrealdb/node\`.`,
    );
  }
}

/**
 * The embedded engine is the version asked for: `@surrealdb/wasm` 3.x installed where 2.x was
 * meant would judge every migration as SurrealDB 3 would.
 */
async function checkEmbeddedVersion(db: Surreal, major: SurrealDbMajor): Promise<void> {
  const version = await serverVersion(db);
  if (versionMajor(version) === major) return;
  await db.close().catch(() => {});
  throw new MigrationOptionsError(
    'surrealdb',
    `SurrealDB ${major} was asked for, but the embedded engine is ${version}` +
      (major === 2 ? ': install @surrealdb/wasm 2.x (`npm install @surrealdb/wasm@^2.6`).' : '.'),
  );
}

const versions = new WeakMap<Surreal, Promise<string>>();

/** The version the server behind a connection reports (`surrealdb-2.6.0`), asked once per connection. */
function serverVersion(db: Surreal): Promise<string> {
  let version = versions.get(db);
  if (!version) {
    version = db.version().then((answer) => answer.version);
    versions.set(db, version);
    version.catch(() => versions.delete(db));
  }
  return version;
}

/**
 * The major version of the server behind a connection (2 or 3): the one probe that decides
 * wherever SurrealDB 2 and 3 must be spoken to differently.
 */
export async function serverMajor(db: Surreal): Promise<number> {
  return versionMajor(await serverVersion(db));
}

/** `surrealdb-2.6.0` → 2. */
export function versionMajor(version: string): number {
  return Number(/(\d+)\.\d+/.exec(version)?.[1] ?? NaN);
}

function connectOptions(options: ResolvedMigrationsOptions, embedded: boolean): ConnectOptions {
  // Nothing selected at connect: `select()` selects what exists, once signed in.
  const result: ConnectOptions = {
    // Retrying the connection is this module's job, with a bounded budget.
    reconnect: false,
  };
  // Credentials go to servers only; embedded engines have no users to sign in as.
  if (!embedded && options.auth) {
    const { username, password, namespace, database } = options.auth;
    result.authentication =
      namespace && database
        ? { username, password, namespace, database }
        : namespace
          ? { username, password, namespace }
          : { username, password };
  }
  return result;
}
