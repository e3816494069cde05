import { Surreal } from 'surrealdb';
/**
 * Test-only WebSocket relay: serves ONE embedded SurrealDB engine (3: @surrealdb/node, 2: @surrealdb/wasm) at
 * `ws://127.0.0.1:PORT/rpc` so SDK clients in this process and in child processes can share one
 * database through a real `ws://` endpoint. The implementation lives in ws-relay-impl.mjs so that
 * plain `node` child processes (ws-relay-cli.mjs) can run it without ts-jest.
 */
export type { WsRelay, WsRelayEngine, WsRelayOptions } from './ws-relay-impl.mjs';
export { defaultEngine, startWsRelay } from './ws-relay-impl.mjs';

/** A client of the relay's database, on `use` when given (Node 20 has no global WebSocket). */
export async function connectWs(
  url: string,
  use: { namespace: string; database: string } | Record<string, never> = {},
): Promise<Surreal> {
  const { default: WebSocketImpl } = await import('ws');
  const db = new Surreal({ websocketImpl: WebSocketImpl as unknown as typeof WebSocket });
  await db.connect(url, { ...use, reconnect: false });
  return db;
}
