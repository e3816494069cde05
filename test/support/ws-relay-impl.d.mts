/** Types for ws-relay-impl.mjs (plain ESM so that child processes can run it without ts-jest). */

export interface WsRelayOptions {
  /** Engine url handed to the embedded engine, e.g. 'mem://' or 'surrealkv:///abs/path'. */
  path: string;
  /** TCP port on 127.0.0.1; default 0 = random free port. */
  port?: number;
  /** Interface to listen on; default '127.0.0.1'. */
  host?: string;
  /** Passed to the native engine's connect(), like @surrealdb/node's ConnectionOptions. */
  engineOptions?: Record<string, unknown>;
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
  /** Terminates all sockets, stops the server, cleans up sessions and frees the engine. Idempotent. */
  close(): Promise<void>;
}

export declare function startWsRelay(options: WsRelayOptions): Promise<WsRelay>;
