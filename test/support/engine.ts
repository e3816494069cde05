import type { Surreal, SurrealSession } from 'surrealdb';
import { createClient } from '../../src/core/db/connection.js';
import { ENGINE, MEM, SURREALDB } from './engine-env.mjs';

export { ENGINE, MEM, SURREALDB };

/** A client of a new in-memory database of the suite's engine, on `use` when given. */
export async function memClient(
  use: { namespace: string; database: string } | Record<string, never> = {},
): Promise<Surreal> {
  const db = await createClient('mem://', SURREALDB);
  await db.connect('mem://', use);
  return db;
}

/**
 * `it` where the suite's engine can run the test, else a skip that says why in its name, so that
 * nothing is skipped silently (Jest lists skipped tests by name).
 */
export function itOn(engines: readonly ('v2' | 'v3')[], why: string): jest.It {
  return engines.includes(ENGINE) ? it : skipping(it.skip, why);
}

/** `describe` likewise. */
export function describeOn(engines: readonly ('v2' | 'v3')[], why: string): jest.Describe {
  return engines.includes(ENGINE) ? describe : skipping(describe.skip, why);
}

/** `skip` (it.skip or describe.skip) with the reason added to the name. */
function skipping<T>(skip: unknown, why: string): T {
  const named = (name: string, ...rest: unknown[]) =>
    (skip as (...args: unknown[]) => void)(`${name} [skipped on SurrealDB ${SURREALDB}: ${why}]`, ...rest);
  return named as unknown as T;
}

/**
 * A session of its own on `db`, on `where`: a session of the connection on SurrealDB 3, and on
 * SurrealDB 2 (no sessions) a client of its own on the same embedded datastore. `close()` ends it.
 */
export async function sessionOn(
  db: Surreal,
  where: { namespace: string; database: string },
): Promise<{ session: SurrealSession | Surreal; close(): Promise<void> }> {
  if (ENGINE === 'v2') {
    const client = await createClient('mem://', 2, db);
    await client.connect('mem://', where);
    return {
      session: client,
      close: async () => {
        await client.close();
      },
    };
  }
  const session = await db.forkSession();
  await session.use(where);
  return { session, close: () => session.closeSession() };
}
