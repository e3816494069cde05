/**
 * Selecting a connection's namespace and database without creating them. On SurrealDB 3 a `use`
 * of a namespace or database that does not exist defines it (the connection's own `use` at
 * connect, a session's, a `USE` statement); SurrealDB 2's `use` only selects. So a connection is
 * opened with nothing selected, its namespace and database are looked up (`INFO FOR ROOT`, then
 * `INFO FOR NS`), and only what exists is selected. What does not exist is selected (and so
 * created) by the connection's first request of its own: a migration, a write, the app's first
 * query through `manager.db`. A read looks the database up again first (`MigrationConnection.missing`), and
 * while it is still missing makes no request there.
 */
import type { Engines, Surreal } from 'surrealdb';
import type { QueryClient } from './session.js';

type Where = { namespace: string; database: string | null };

/** A selection waiting for the connection's first request, by client. */
const pending = new WeakMap<object, { where: Where; flushing?: Promise<void> }>();

/**
 * Engine methods that act in the selected database, with the position of their `session`
 * argument (`-1`: they always act as the connection's own session). A call for the connection's
 * own session (`session` undefined) first makes the pending selection.
 */
const ACTS_IN_DATABASE: Record<string, number> = {
  query: 1,
  begin: 0,
  importSql: -1,
  exportSql: -1,
  exportMlModel: -1,
};

/**
 * The engines, each made to make its client's pending selection before a request of the
 * connection's own session that acts in a database (a query, a transaction, an import or
 * export). `client()` is the client the engines are for (made after them).
 */
export function selectingEngines(engines: Engines, client: () => Surreal | undefined): Engines {
  const result: Engines = {};
  for (const [scheme, factory] of Object.entries(engines)) {
    result[scheme] = (context) => selectingEngine(factory(context), client);
  }
  return result;
}

function selectingEngine<E extends object>(engine: E, client: () => Surreal | undefined): E {
  return new Proxy(engine, {
    get(target, property) {
      // Bound to the engine itself: its methods use private fields a proxy does not have.
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      const at = typeof property === 'string' ? ACTS_IN_DATABASE[property] : undefined;
      if (at === undefined) return method;
      const own = (args: unknown[]) => at < 0 || args[at] === undefined;
      if (property === 'query') {
        // An async generator: the selection is made before its first chunk.
        return async function* (...args: unknown[]) {
          const db = client();
          if (db && own(args)) await selectPending(db);
          yield* method(...args) as AsyncIterable<unknown>;
        };
      }
      return async (...args: unknown[]) => {
        const db = client();
        if (db && own(args)) await selectPending(db);
        return method(...args);
      };
    },
  });
}

/** The namespace and database `client` has not selected yet (not found when it connected). */
export function pendingSelection(client: object): Readonly<Where> | undefined {
  return pending.get(client)?.where;
}

/** Makes the pending selection now (creating what does not exist, as SurrealDB 3's `use` does). */
export async function selectPending(client: Surreal): Promise<void> {
  const entry = pending.get(client);
  if (!entry) return;
  entry.flushing ??= client.use(entry.where).then(
    () => {
      pending.delete(client);
    },
    (error: unknown) => {
      entry.flushing = undefined;
      throw error;
    },
  );
  await entry.flushing;
}

/** How a connection signed in: what its credentials say exists. */
export interface SignedInAs {
  namespace?: string | undefined;
  database?: string | undefined;
}

/**
 * Selects `namespace` (and `database`, if given) on a connection that has nothing selected, if
 * they exist; otherwise leaves them pending for the first request of the connection's own (see
 * {@link selectPending}). Returns whether they were found missing. What cannot be checked
 * (a user who may not list namespaces, nor the databases of the namespace) is selected as a
 * connection always selected it: such a user may not define a namespace either.
 */
export async function selectExisting(
  db: Surreal,
  namespace: string | undefined,
  database: string | undefined,
  signedInAs: SignedInAs | undefined,
): Promise<boolean> {
  if (!namespace) return false;
  const where: Where = { namespace, database: database ?? null };
  const found = await lookUp(db, namespace, database ?? null, signedInAs);
  if (found === 'namespace missing') {
    pending.set(db, { where });
    return true;
  }
  if (found === 'database missing') {
    // The namespace exists: selected, so that sessions forked from this one find it.
    await db.use({ namespace, database: null });
    pending.set(db, { where });
    return true;
  }
  await db.use(where);
  return false;
}

type Found = 'found' | 'namespace missing' | 'database missing' | 'unknown';

async function lookUp(
  db: Surreal,
  namespace: string,
  database: string | null,
  signedInAs: SignedInAs | undefined,
): Promise<Found> {
  // A user of a database, or of a namespace, signed in to it: it exists.
  const theirs = signedInAs?.namespace === namespace;
  if (theirs && signedInAs?.database !== undefined && signedInAs.database === database) return 'found';
  const namespaces = theirs ? undefined : await known(rootNamespaces(db));
  if (namespaces && !namespaces.includes(namespace)) return 'namespace missing';
  if (!namespaces && !theirs) return 'unknown';
  if (database === null) return 'found';
  await db.use({ namespace, database: null });
  const databases = await known(selectedDatabases(db));
  if (!databases) return 'unknown';
  return databases.includes(database) ? 'found' : 'database missing';
}

/**
 * On SurrealDB 2, whose `use` selects without creating: whether the selected `namespace` and
 * `database` exist (`INFO FOR ROOT`, then `INFO FOR NS` of the selected namespace). True when this
 * user may not list them: a `use` then finds out.
 */
export async function selectedExists(db: Surreal, namespace: string, database: string): Promise<boolean> {
  const namespaces = await known(rootNamespaces(db));
  if (namespaces && !namespaces.includes(namespace)) return false;
  const databases = await known(selectedDatabases(db));
  return !databases || databases.includes(database);
}

/**
 * The namespaces of the server (`INFO FOR ROOT`), or undefined when this user may not list them
 * (not a root user).
 */
export async function rootNamespaces(db: QueryClient): Promise<string[] | undefined> {
  const [info] = await db.query('INFO FOR ROOT').responses();
  if (!info?.success) return undefined;
  const namespaces = (info.result as { namespaces?: Record<string, unknown> } | undefined)?.namespaces;
  return namespaces ? Object.keys(namespaces) : undefined;
}

/** The databases of the selected namespace (`INFO FOR NS`), or the server's refusal as an `Error`. */
export async function selectedDatabases(db: QueryClient): Promise<string[] | Error> {
  const [info] = await db.query('INFO FOR NS').responses();
  if (!info?.success) return new Error(String(info?.error?.message ?? 'no answer'));
  return Object.keys((info.result as { databases?: Record<string, unknown> } | undefined)?.databases ?? {});
}

/** A listing of `read`, or undefined when it failed or was refused: then nothing is known. */
async function known(read: Promise<string[] | Error | undefined>): Promise<string[] | undefined> {
  const names = await read.catch(() => undefined);
  return names instanceof Error ? undefined : names;
}
