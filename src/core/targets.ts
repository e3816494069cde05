import {
  Features,
  type LiveSubscription,
  type QueryResponse,
  type Surreal,
  type SurrealSession,
  type Table,
} from 'surrealdb';
import { MigrationOptionsError } from './errors.js';
import { checkTargets, targetKey, type MigrationTarget, type TargetFailurePolicy } from './options.js';
import { isRetryableConflict } from './surreal-errors.js';
import { sleep, type QueryClient } from './timing.js';
import { rootNamespaces, selectedDatabases, selectPending } from './selection.js';

/**
 * What the core asks of a database session: queries, and a live query for the lock's waiters.
 * A `Surreal` client fits, and so does a {@link TargetSession}.
 */
export interface SessionLike extends QueryClient {
  live(table: Table): PromiseLike<LiveSubscription>;
}

/**
 * One target's session on a shared connection, opened on first use (see {@link openSession}: it
 * keeps the connection's sign-in), switched to the target's namespace and database. Requests of
 * different targets then run side by side on one connection without switching each other's
 * database. Servers without sessions (SurrealDB 2) get a connection of their own per target,
 * from `openOwn`.
 */
export class TargetSession implements SessionLike {
  readonly #root: Surreal;
  readonly #target: MigrationTarget;
  readonly #openOwn: (() => Promise<{ db: SurrealSession; close(): Promise<void> }>) | undefined;
  #opening: Promise<{ db: SurrealSession; close(): Promise<void> }> | undefined;
  #closed = false;

  constructor(
    root: Surreal,
    target: MigrationTarget,
    openOwn: (() => Promise<{ db: SurrealSession; close(): Promise<void> }>) | undefined,
  ) {
    this.#root = root;
    this.#target = target;
    this.#openOwn = openOwn;
  }

  /** Whether the session is open (or opening). */
  get opened(): boolean {
    return this.#opening !== undefined;
  }

  /** The session, opened once (again after a failed attempt). */
  session(): Promise<SurrealSession> {
    if (this.#closed) {
      return Promise.reject(new Error(`the session of ${targetKey(this.#target)} is closed (its manager was closed)`));
    }
    if (!this.#opening) {
      const opening = this.#open();
      // A failed open is tried again by the next request.
      opening.catch(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
      this.#opening = opening;
    }
    return this.#opening.then((opened) => opened.db);
  }

  query(sql: string, vars?: Record<string, unknown>): { responses(): Promise<QueryResponse[]> } {
    return { responses: async () => (await this.session()).query(sql, vars).responses() };
  }

  live(table: Table): Promise<LiveSubscription> {
    return this.session().then((session) => session.live(table));
  }

  /** Ends the session (or closes the target's own connection). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    if (!opening) return;
    const opened = await opening.catch(() => undefined);
    await opened?.close().catch(() => {});
  }

  async #open(): Promise<{ db: SurrealSession; close(): Promise<void> }> {
    if (!this.#root.isFeatureSupported(Features.Sessions)) {
      if (!this.#openOwn) throw noSessionsError();
      return this.#openOwn();
    }
    const session = await openSession(this.#root);
    try {
      await useRetrying(session, { namespace: this.#target.namespace, database: this.#target.database });
    } catch (error) {
      await closeSession(session);
      throw error;
    }
    return { db: session, close: () => closeSession(session) };
  }
}

/**
 * A `client` of a server without sessions (SurrealDB 2) cannot serve several targets: each needs a
 * connection of its own, which only a URL can open.
 */
export function noSessionsError(): MigrationOptionsError {
  return new MigrationOptionsError(
    'targets',
    'this server has no sessions (SurrealDB 2; SurrealDB 3 has them), so targets cannot share the `client` ' +
      'given; give `url` instead, and each target gets a connection of its own.',
  );
}

/** How one target fared in {@link runOverTargets}. */
export type TargetOutcome<T> =
  | { target: MigrationTarget; state: 'done'; value: T }
  | { target: MigrationTarget; state: 'failed'; error: Error }
  /** Not started: an earlier failure under `onTargetFailure: 'stop'`, or a stop request. */
  | { target: MigrationTarget; state: 'skipped' };

/**
 * Runs `work` once per target, at most `concurrency` at a time, in the list's order of starting.
 * A failure under `'stop'` (or `stopped()` turning true) starts no further target; those already
 * running finish. Never throws: every outcome is returned, in the list's order.
 */
export async function runOverTargets<T>(
  targets: readonly MigrationTarget[],
  policy: { concurrency: number; onTargetFailure: TargetFailurePolicy },
  work: (target: MigrationTarget, index: number) => Promise<T>,
  stopped: () => boolean = () => false,
): Promise<TargetOutcome<T>[]> {
  const outcomes: TargetOutcome<T>[] = targets.map((target) => ({ target, state: 'skipped' }));
  let next = 0;
  let halted = false;
  const worker = async () => {
    while (!halted && !stopped() && next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      try {
        outcomes[index] = { target, state: 'done', value: await work(target, index) };
      } catch (error) {
        outcomes[index] = { target, state: 'failed', error: asError(error) };
        if (policy.onTargetFailure === 'stop') halted = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(policy.concurrency, targets.length) }, worker));
  return outcomes;
}

/**
 * A `targets` function: every database of `namespace`, read with `INFO FOR NS` when the app
 * starts (and on `refresh()`), in name order.
 *
 * @example
 * ```ts
 * MigrationsModule.forRoot({ url, namespace: 'tenants', targets: allDatabases('tenants') });
 * ```
 */
export function allDatabases(namespace: string): (client: Surreal) => Promise<MigrationTarget[]> {
  if (typeof namespace !== 'string' || !namespace) {
    throw new MigrationOptionsError(
      'targets',
      `allDatabases needs a namespace name, got ${JSON.stringify(namespace)}.`,
    );
  }
  const list = async (client: Surreal) => {
    const forked = client.isFeatureSupported(Features.Sessions);
    const session: SurrealSession = forked ? await openSession(client) : client;
    // Without sessions the client itself moves: put back where it was afterwards.
    const { namespace: wasNamespace, database: wasDatabase } = forked ? { namespace: null, database: null } : client;
    try {
      const databases = await databasesOf(session, namespace, await rootNamespaces(session));
      if (databases instanceof Error) {
        throw new MigrationOptionsError(
          'targets',
          `could not list the databases of namespace ${namespace}: ${databases.message}.`,
        );
      }
      return databases.sort(byCodeUnits).map((database) => ({ namespace, database }));
    } finally {
      if (forked) await closeSession(session);
      else await client.use({ namespace: wasNamespace ?? null, database: wasDatabase ?? null }).catch(() => {});
    }
  };
  listsWithoutSelecting.add(list);
  return list;
}

/** `targets` functions that read nothing through the client's own database (allDatabases'). */
const listsWithoutSelecting = new WeakSet<object>();

/**
 * The databases of `namespace`, read without defining it: `[]` when the root's `namespaces` (if
 * this user may list them) do not hold it, since a `use` of a namespace that does not exist
 * defines it (SurrealDB 3). The server's refusal of `INFO FOR NS` comes back as an `Error`.
 */
async function databasesOf(
  session: SurrealSession,
  namespace: string,
  namespaces: readonly string[] | undefined,
): Promise<string[] | Error> {
  if (namespaces && !namespaces.includes(namespace)) return [];
  await useRetrying(session, { namespace, database: null });
  return selectedDatabases(session);
}

/**
 * The targets whose database does not exist, found without creating anything (a session's `use`
 * of a missing namespace or database defines it on SurrealDB 3): one `INFO FOR ROOT`, then one
 * `INFO FOR NS` per namespace that exists. Empty when the user may not list namespaces (a
 * namespace user: its namespace exists) and the namespace cannot be read either.
 */
export async function missingTargets(root: Surreal, targets: readonly MigrationTarget[]): Promise<Set<string>> {
  const missing = new Set<string>();
  if (targets.length === 0 || !root.isFeatureSupported(Features.Sessions)) return missing;
  const session = await openSession(root);
  try {
    const namespaces = await rootNamespaces(session);
    for (const namespace of new Set(targets.map((t) => t.namespace))) {
      const databases = await databasesOf(session, namespace, namespaces);
      // Not readable: taken as there (a `use` then finds out).
      if (databases instanceof Error) continue;
      for (const t of targets) {
        if (t.namespace === namespace && !databases.includes(t.database)) missing.add(targetId(t));
      }
    }
  } finally {
    await closeSession(session);
  }
  return missing;
}

/**
 * A session of its own on the connection, with the root session's sign-in and variables: a fork;
 * with none to carry over, a new session, which spares the fork's own `use` of the root's
 * namespace (one request per target).
 */
async function openSession(root: Surreal): Promise<SurrealSession> {
  const inherit = root.accessToken !== undefined || Object.keys(root.parameters).length > 0;
  return inherit ? root.forkSession() : root.newSession();
}

/**
 * Ends a session of {@link openSession}. A forked session holds the sign-in, whose renewal timer
 * the SDK (2.0.8) leaves running after `closeSession()`: it would keep the process alive until
 * the token expires, and then fail. Invalidating the session first stops it.
 */
async function closeSession(session: SurrealSession): Promise<void> {
  if (session.accessToken !== undefined) await session.invalidate().catch(() => {});
  await session.closeSession().catch(() => {});
}

/** A target's identity, for maps and sets (`targetKey`'s `ns/db` is for display: names may hold a `/`). */
export function targetId(target: MigrationTarget): string {
  return JSON.stringify([target.namespace, target.database]);
}

/** Resolves the `targets` option: the list as is, or what the function returns, checked. */
export async function resolveTargets(
  targets: readonly MigrationTarget[] | ((client: Surreal) => unknown),
  client: Surreal,
): Promise<readonly MigrationTarget[]> {
  if (typeof targets !== 'function') return checkTargets(targets, 'targets');
  // An app's function is given the connection on the options' database, as it always was (it
  // may read its list of tenants there): selected now, even if that creates it.
  if (!listsWithoutSelecting.has(targets)) await selectPending(client);
  return checkTargets(await targets(client), 'targets (the list the function returned)');
}

/** Attempts of a `use` that meets a write conflict, and the pause before the next, times the attempt. */
const USE_ATTEMPTS = 10;
const USE_BACKOFF_MS = 10;

/**
 * `session.use(...)`, again on a transaction conflict: the server defines a namespace or database
 * that does not exist yet on first use, and two sessions doing so at once (targets in a new
 * namespace, replicas starting together) conflict; the loser can simply use it again.
 */
async function useRetrying(
  session: SurrealSession,
  where: { namespace: string; database: string | null },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.use(where);
      return;
    } catch (error) {
      if (attempt >= USE_ATTEMPTS || !isRetryableConflict(error)) throw error;
      await sleep(USE_BACKOFF_MS * attempt);
    }
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
