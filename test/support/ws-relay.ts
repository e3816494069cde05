import { Surreal } from 'surrealdb';
/**
 * Test-only WebSocket relay: serves ONE embedded SurrealDB engine (3: @surrealdb/node, 2: @surrealdb/wasm) at
 * `ws://127.0.0.1:PORT/rpc` so SDK clients in this process and in child processes can share one
 * database through a real `ws://` endpoint. The implementation lives in ws-relay-impl.mjs so that
 * plain `node` child processes (ws-relay-cli.mjs) can run it without ts-jest.
 */
export type { WsRelay, WsRelayEngine, WsRelayOptions } from './ws-relay-impl.mjs';
export { defaultEngine, startWsRelay } from './ws-relay-impl.mjs';

/**
 * The root user of a relay that requires a sign-in, as `surreal start --user root --pass root`
 * (Open Notebook's compose file) does: `startWsRelay({ path: 'mem://', ...RELAY_ROOT })`, or
 * `ws-relay-cli.mjs --user root --pass root`.
 */
export const RELAY_ROOT = { user: 'root', pass: 'root' } as const;

/** The same user as the product's `auth` option (and the SDK's `authentication`) signs in with it. */
export const RELAY_AUTH = { username: RELAY_ROOT.user, password: RELAY_ROOT.pass } as const;

/** The same user as `surreal-migrate` reads it from the environment. */
export const RELAY_ENV = { SURREAL_USER: RELAY_ROOT.user, SURREAL_PASSWORD: RELAY_ROOT.pass } as const;

/**
 * A client of the relay's database, on `use` when given (Node 20 has no global WebSocket), signed
 * in with `auth` when given (a relay started with `user`/`pass` refuses statements without it).
 */
export async function connectWs(
  url: string,
  use: { namespace: string; database: string } | Record<string, never> = {},
  options: { auth?: { username: string; password: string } } = {},
): Promise<Surreal> {
  const { default: WebSocketImpl } = await import('ws');
  const db = new Surreal({ websocketImpl: WebSocketImpl as unknown as typeof WebSocket });
  await db.connect(url, {
    ...use,
    reconnect: false,
    ...(options.auth ? { authentication: { ...options.auth } } : {}),
  });
  return db;
}

/**
 * Every namespace of the server, and every database of each, as `observer` (a root client) lists
 * them: what a test compares before and after something that must create nothing. Leaves the
 * observer with nothing selected.
 */
export async function namespacesAndDatabases(observer: Surreal): Promise<Record<string, string[]>> {
  const [root] = await observer.query<[{ namespaces: Record<string, string> }]>('INFO FOR ROOT').collect();
  const lists: Record<string, string[]> = {};
  for (const namespace of Object.keys(root.namespaces).sort()) {
    await observer.use({ namespace, database: null });
    const [ns] = await observer.query<[{ databases: Record<string, string> }]>('INFO FOR NS').collect();
    lists[namespace] = Object.keys(ns.databases).sort();
  }
  await observer.use({ namespace: null, database: null });
  return lists;
}
