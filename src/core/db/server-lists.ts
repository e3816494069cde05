/**
 * What exists on the server, read without creating anything: its namespaces (`INFO FOR ROOT`),
 * a namespace's databases (`INFO FOR NS`), and so the targets whose database is missing. A
 * session's `use` of a namespace or database that does not exist defines it on SurrealDB 3, so
 * these read in a session of their own and `use` only what exists.
 */
import { Features, type Surreal, type SurrealSession } from 'surrealdb';
import { type MigrationTarget } from '../options/options.js';
import { targetId } from '../options/target-list.js';
import { quoteIdent } from '../support/identifiers.js';
import { sleep } from '../support/timing.js';
import { isRetryableConflict } from './surreal-errors.js';
import { rootNamespaces, selectedDatabases } from './selection.js';
import type { QueryClient } from './session.js';

/**
 * The databases of `namespace`, read without defining it: `[]` when the root's `namespaces` (if
 * this user may list them) do not hold it, since a `use` of a namespace that does not exist
 * defines it (SurrealDB 3). The server's refusal of `INFO FOR NS` comes back as an `Error`.
 */
export async function databasesOf(
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
 * The databases of each of `namespaces`, in one request: `USE NS <ns>; INFO FOR NS;` for each. A
 * `USE` inside a request selects for the statements after it in that request only, on SurrealDB 2
 * and 3: the client's own selection is left as it was. A `USE` of a namespace that does not exist
 * defines it on SurrealDB 3: give only namespaces that exist (that `INFO FOR ROOT` lists), or that
 * this user cannot define. A namespace whose `USE` or `INFO FOR NS` the server refused comes back
 * as an `Error`.
 */
export async function databasesOfEach(
  client: QueryClient,
  namespaces: readonly string[],
): Promise<Map<string, string[] | Error>> {
  const lists = new Map<string, string[] | Error>();
  if (namespaces.length === 0) return lists;
  const responses = await client
    .query(namespaces.map((namespace) => `USE NS ${quoteIdent(namespace)}; INFO FOR NS;`).join(' '))
    .responses();
  namespaces.forEach((namespace, i) => {
    const [use, info] = [responses[2 * i], responses[2 * i + 1]];
    const refused = [use, info].find((response) => !response?.success);
    if (refused || !info?.success) {
      lists.set(namespace, new Error(String(refused?.error?.message ?? 'no answer')));
      return;
    }
    lists.set(
      namespace,
      Object.keys((info.result as { databases?: Record<string, unknown> } | undefined)?.databases ?? {}),
    );
  });
  return lists;
}

/**
 * A session of its own on the connection, with the root session's sign-in and variables: a fork;
 * with none to carry over, a new session, which spares the fork's own `use` of the root's
 * namespace (one request per target).
 */
export async function openSession(root: Surreal): Promise<SurrealSession> {
  const inherit = root.accessToken !== undefined || Object.keys(root.parameters).length > 0;
  return inherit ? root.forkSession() : root.newSession();
}

/**
 * Ends a session of {@link openSession}. A forked session holds the sign-in, whose renewal timer
 * the SDK (2.0.8) leaves running after `closeSession()`: it would keep the process alive until
 * the token expires, and then fail. Invalidating the session first stops it.
 */
export async function closeSession(session: SurrealSession): Promise<void> {
  if (session.accessToken !== undefined) await session.invalidate().catch(() => {});
  await session.closeSession().catch(() => {});
}

/** Attempts of a `use` that meets a write conflict, and the pause before the next, times the attempt. */
const USE_ATTEMPTS = 10;
const USE_BACKOFF_MS = 10;

/**
 * `session.use(...)`, again on a transaction conflict: the server defines a namespace or database
 * that does not exist yet on first use, and two sessions doing so at once (targets in a new
 * namespace, replicas starting together) conflict; the loser can simply use it again.
 */
export async function useRetrying(
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

/** Per connection, the namespaces whose first `use` is under way or made ({@link useTargetInTurn}). */
const namespacesUsed = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * {@link useRetrying} for a target's session on `root`, where many targets' sessions open at once:
 * the first `use` of each namespace through the connection runs alone, and the others of that
 * namespace wait for it. On SurrealDB 3.0.2, when sessions define the same new namespace at once,
 * a database one of them defined can be gone afterwards (`INFO FOR NS` no longer lists it): its
 * `use` succeeded, and its next read is refused ("Couldn't write to a read only transaction", the
 * read trying to define the database again). namespace-race.spec.ts measures it. Once the namespace exists,
 * `use`s of its databases run side by side safely. Costs no request.
 */
export async function useTargetInTurn(
  root: object,
  session: SurrealSession,
  where: { namespace: string; database: string | null },
): Promise<void> {
  let used = namespacesUsed.get(root);
  if (!used) namespacesUsed.set(root, (used = new Map()));
  for (;;) {
    const first = used.get(where.namespace);
    if (!first) break;
    // Made: this `use` finds the namespace. Failed: the next one in turn is the first.
    if (await succeeds(first)) return useRetrying(session, where);
    if (used.get(where.namespace) === first) used.delete(where.namespace);
  }
  const first = useRetrying(session, where);
  used.set(where.namespace, first);
  try {
    await first;
  } catch (error) {
    if (used.get(where.namespace) === first) used.delete(where.namespace);
    throw error;
  }
}

/** Whether `promise` fulfils (never rejects). */
function succeeds(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => true,
    () => false,
  );
}
