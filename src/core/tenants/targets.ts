import {
  Features,
  type LiveSubscription,
  type QueryResponse,
  type Surreal,
  type SurrealSession,
  type Table,
} from 'surrealdb';
import { MigrationOptionsError } from '../support/errors.js';
import { type MigrationTarget, type TargetFailurePolicy } from '../options/options.js';
import { checkTargets, targetKey } from '../options/target-list.js';
import { closeSession, databasesOf, missingTargets, openSession, useTargetInTurn } from '../db/server-lists.js';
import { rootNamespaces } from '../db/selection.js';
import type { SessionLike } from '../db/session.js';
import { selectPending } from '../db/selection.js';

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
  /**
   * Whether the target's database is missing, as a listing made for many targets at once found
   * (kept until the session opens); undefined when no listing said.
   */
  knownMissing: boolean | undefined;

  constructor(
    root: Surreal,
    target: MigrationTarget,
    openOwn: (() => Promise<{ db: SurrealSession; close(): Promise<void> }>) | undefined,
  ) {
    this.#root = root;
    this.#target = target;
    this.#openOwn = openOwn;
  }

  /** The target whose database the session is on. */
  get target(): MigrationTarget {
    return this.#target;
  }

  /** Whether the session is open (or opening). */
  get opened(): boolean {
    return this.#opening !== undefined;
  }

  /**
   * Whether the target's database does not exist (a read then opens no session: that would create
   * it). Two requests while the session is not open, none when a listing said
   * ({@link knownMissing}); none once it is open.
   */
  async missing(): Promise<boolean> {
    if (this.opened) return false;
    // Known from a listing made for many targets at once (kept until the session opens).
    if (this.knownMissing !== undefined) return this.knownMissing;
    return (await missingTargets(this.#root, [this.#target])).size > 0;
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
      await useTargetInTurn(this.#root, session, {
        namespace: this.#target.namespace,
        database: this.#target.database,
      });
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

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
