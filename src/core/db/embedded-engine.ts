import type { Surreal } from 'surrealdb';
import { quoteIdent } from '../support/identifiers.js';

/**
 * Removes every namespace of an embedded engine. An engine that ever ran `DEFINE INDEX` keeps a
 * background index builder holding the datastore, and with it the native handle that keeps the
 * Node process alive after `close()`; removing the indexes (here: everything) ends the builders,
 * so the process can exit by itself. Never throws. Used by the shadow database and the testing kit.
 * @internal
 */
export async function emptyEngine(db: Surreal): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // A test may have signed the connection in as a record user; root sees every namespace.
      if (attempt > 0) await db.invalidate();
      // The namespace in use first, in the same request: most engines hold no other.
      const known = [db.namespace, 'main'].filter((ns): ns is string => typeof ns === 'string');
      const answers = await db.query<unknown[]>(
        [...known.map((ns) => `REMOVE NAMESPACE IF EXISTS ${quoteIdent(ns)};`), 'INFO FOR ROOT;'].join('\n'),
      );
      const root = answers.at(-1) as { namespaces?: Record<string, unknown> } | undefined;
      const names = Object.keys(root?.namespaces ?? {});
      if (names.length > 0) {
        await db.query(names.map((ns) => `REMOVE NAMESPACE IF EXISTS ${quoteIdent(ns)};`).join('\n'));
      }
      return;
    } catch {
      // Closed already, or not allowed: try once more as root, then give up quietly.
    }
  }
}

const emptied = new WeakSet<Surreal>();

/**
 * Makes `db.close()` empty the engine first (see {@link emptyEngine}), whoever calls it: the kit's
 * `dispose()`, the test, or the app's own shutdown hook. Idempotent.
 * @internal
 */
export function emptyOnClose(db: Surreal): void {
  if (emptied.has(db)) return;
  emptied.add(db);
  const close = db.close.bind(db);
  let closing: ReturnType<Surreal['close']> | undefined;
  Object.defineProperty(db, 'close', {
    configurable: true,
    writable: true,
    value: () => (closing ??= emptyEngine(db).then(close)),
  });
}
