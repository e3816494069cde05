/** Types for ws-relay-impl.mjs (plain ESM so that child processes can run it without ts-jest). */

/** 'v3': SurrealDB 3 from the native @surrealdb/node engine; 'v2': SurrealDB 2.6 from @surrealdb/wasm. */
export type WsRelayEngine = 'v2' | 'v3';

export interface WsRelayOptions {
  /** Engine url handed to the embedded engine, e.g. 'mem://' or 'surrealkv:///abs/path' (v2: 'mem://' only). */
  path: string;
  /** TCP port on 127.0.0.1; default 0 = random free port. */
  port?: number;
  /** Interface to listen on; default '127.0.0.1'. */
  host?: string;
  /** Passed to the engine's connect(): @surrealdb/node's or @surrealdb/wasm's ConnectionOptions. */
  engineOptions?: Record<string, unknown>;
  /** The SurrealDB served; default {@link defaultEngine}() ('v2' when SURREALDB_ENGINE=v2, else 'v3'). */
  engine?: WsRelayEngine;
  /**
   * With `pass`: a root user, required as `surreal start --user --pass` requires it. Requests that
   * run statements are refused until the connection signs in (as this user, or with a token the
   * relay issued). Without them any root sign-in is accepted (the engine has no users).
   */
  user?: string;
  pass?: string;
}

export interface WsRelay {
  /** ws://127.0.0.1:PORT/rpc */
  url: string;
  port: number;
  /** The SurrealDB served. */
  engine: WsRelayEngine;
  /** Terminates all sockets, stops the server, cleans up sessions and frees the engine. Idempotent. */
  close(): Promise<void>;
}

/** 'v2' when the environment variable SURREALDB_ENGINE is 'v2', else 'v3'. */
export declare function defaultEngine(): WsRelayEngine;

export declare function startWsRelay(options: WsRelayOptions): Promise<WsRelay>;
