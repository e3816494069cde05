// Plain-ESM implementation of the test WebSocket relay (see ws-relay.ts for the typed entry).
// It is .mjs so that child processes can load it with plain `node` (no ts-jest there).
//
// One embedded SurrealDB engine is served over `ws://127.0.0.1:PORT/rpc`, speaking the same CBOR
// RPC protocol as a real server; all connections share its one datastore.
// - engine 'v3' (here): the native `SurrealNodeEngine` inside @surrealdb/node. Every WebSocket
//   connection gets its own engine session (the native engine supports `attach`/`detach` and a
//   `session` uuid on every request), so namespace/database, variables and auth are per
//   connection, and connections see the real engine's transaction/conflict behaviour.
// - engine 'v2' (ws-relay-v2.mjs): SurrealDB 2.6 from @surrealdb/wasm, one request at a time.
// With `user`/`pass`, a root sign-in is required, as `surreal start --user --pass` requires it.
import { escapeIdent, Uuid } from 'surrealdb';
import {
  codec,
  connectionsCleaned,
  defineRootUser,
  errorFrame,
  isPlainObject,
  isRootCredentials,
  key,
  makeDummyToken,
  newUuid,
  OPEN_METHODS,
  resultFrame,
  rootCredentials,
  rpcError,
  serveRequests,
  serveRpc,
  toLocalBytes,
} from './ws-relay-common.mjs';
import { loadNativeEngineClass } from './ws-relay-native.mjs';

/** The native engine answers either the bare result or `{ error: { code, message, ... } }`. */
function isEngineError(decoded) {
  if (!isPlainObject(decoded)) return false;
  const keys = Object.keys(decoded);
  return (
    keys.length === 1 &&
    keys[0] === 'error' &&
    isPlainObject(decoded.error) &&
    typeof decoded.error.code === 'number' &&
    typeof decoded.error.message === 'string'
  );
}

/**
 * What SurrealDB 3 answers, with a root user defined, a request that needs a sign-in from a
 * session without one (the wording of its anonymous-access check, kind NotAllowed).
 */
const ANONYMOUS_REFUSED = {
  code: -32002,
  kind: 'NotAllowed',
  message: 'Anonymous access not allowed: Not enough permissions to perform this action',
  details: { kind: 'Auth', details: { kind: 'NotAllowed' } },
};

/** The engine a relay serves when its options name none: `SURREALDB_ENGINE=v2` switches a whole run. */
export function defaultEngine() {
  return process.env.SURREALDB_ENGINE === 'v2' ? 'v2' : 'v3';
}

/**
 * @param {import('./ws-relay-impl.mjs').WsRelayOptions} options
 * @returns {Promise<import('./ws-relay-impl.mjs').WsRelay>}
 */
export async function startWsRelay(options) {
  if (!options || typeof options.path !== 'string') {
    throw new TypeError('startWsRelay: options.path (engine url, e.g. "mem://") is required');
  }
  const engine = options.engine ?? defaultEngine();
  if (engine !== 'v2' && engine !== 'v3') {
    throw new TypeError(`startWsRelay: options.engine is 'v2' or 'v3', not ${JSON.stringify(engine)}`);
  }
  const credentials = rootCredentials(options);
  const host = options.host ?? '127.0.0.1';
  if (engine === 'v2') {
    // Loaded only for v2: the wasm engine is a large module.
    const { startV2Relay } = await import('./ws-relay-v2.mjs');
    return startV2Relay({ ...options, host }, credentials);
  }
  return startNativeRelay({ ...options, host }, credentials);
}

/**
 * SurrealDB 3 from the native engine: one engine session per client session.
 * @param {import('./ws-relay-impl.mjs').WsRelayOptions & { host: string }} options
 * @param {{ user: string, pass: string } | undefined} credentials
 */
async function startNativeRelay(options, credentials) {
  const Engine = loadNativeEngineClass();
  const engine = await Engine.connect(options.path, options.engineOptions);
  let engineFreed = false;

  /** engine session id -> connection state + the session id the client knows (undefined = default). */
  const sessionOwners = new Map();
  /** Every pending engine call, so close() can wait for them before freeing the engine. */
  const inflight = new Set();
  const dummyTokens = new Set();
  /** Engine sessions signed in (checked only with `credentials`, as a server with a root user does). */
  const signedIn = new Set();
  const connections = new Set();

  const call = (request) => {
    if (engineFreed) return Promise.reject(new Error('ws-relay: engine closed'));
    const promise = Promise.resolve()
      .then(() => engine.execute(codec.encode(request)))
      .then((bytes) => {
        const raw = toLocalBytes(bytes);
        return { raw, decoded: codec.decode(raw) };
      });
    inflight.add(promise);
    const forget = () => inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  // The relay's own session, used for cleanup and for checking whether root users exist.
  const adminSession = newUuid();
  await call({ id: 'relay-attach', method: 'attach', session: adminSession });
  if (credentials) {
    // As `surreal start --user --pass` does: the root user exists, so sign-ins are really checked.
    const query = defineRootUser(credentials.user, credentials.pass, escapeIdent);
    const { decoded } = await call({ id: 'relay-user', method: 'query', params: [query], session: adminSession });
    const failure = isEngineError(decoded) ? decoded.error : decoded?.find?.((r) => r?.status !== 'OK');
    if (failure) throw new Error(`ws-relay: cannot define the root user: ${JSON.stringify(failure)}`);
  }

  // Live query notifications carry the engine session id: route them to the owning socket.
  const receiver = await engine.notifications();
  const notificationLoop = (async () => {
    for (;;) {
      let bytes;
      try {
        bytes = await receiver.recv();
      } catch {
        return;
      }
      if (bytes === null || bytes === undefined) return;
      try {
        const payload = codec.decode(toLocalBytes(bytes));
        // KILLED notifications carry no session: fall back to the connection that started the query.
        const owner =
          (payload?.session !== undefined ? sessionOwners.get(key(payload.session)) : undefined) ??
          liveOwner(payload?.id);
        if (payload?.action === 'KILLED') owner?.conn.lives.delete(key(payload.id));
        if (!owner || owner.conn.socket.readyState !== owner.conn.socket.OPEN) continue;
        const message = { ...payload };
        if (owner.clientSession === undefined) delete message.session;
        else message.session = owner.clientSession;
        owner.conn.socket.send(codec.encode({ result: message }));
      } catch {
        // A malformed notification must not stop the loop.
      }
    }
  })();

  function liveOwner(liveId) {
    if (liveId === undefined) return undefined;
    for (const conn of connections) {
      const entry = conn.lives.get(key(liveId));
      if (entry) return sessionOwners.get(key(entry.session)) ?? { conn, clientSession: undefined };
    }
    return undefined;
  }

  async function rootUsersExist() {
    const { decoded } = await call({
      id: 'relay-info',
      method: 'query',
      params: ['INFO FOR ROOT'],
      session: adminSession,
    });
    const users = Array.isArray(decoded) ? decoded[0]?.result?.users : undefined;
    return isPlainObject(users) ? Object.keys(users).length > 0 : true;
  }

  function engineSessionFor(conn, clientSession) {
    if (clientSession === undefined || clientSession === null) return conn.defaultSession;
    // Unknown ids go through unchanged: the engine answers "Session not found: <id>" itself.
    return conn.sessions.get(key(clientSession))?.engine ?? clientSession;
  }

  /** @returns {Promise<Buffer>} the response frame */
  async function handle(conn, request) {
    const { id, method } = request;
    const clientSession = request.session ?? undefined;
    const forward = { ...request, session: engineSessionFor(conn, clientSession) };
    if (credentials && !OPEN_METHODS.has(method) && !signedIn.has(key(forward.session))) {
      return errorFrame(id, ANONYMOUS_REFUSED);
    }

    switch (method) {
      case 'attach': {
        if (clientSession === undefined) {
          return errorFrame(id, rpcError(-32602, 'Validation', 'attach requires a session id'));
        }
        if (conn.sessions.has(key(clientSession))) {
          return errorFrame(id, rpcError(-32000, 'AlreadyExists', `Session already exists: ${key(clientSession)}`));
        }
        const engineSession = newUuid();
        const { raw, decoded } = await call({ ...request, session: engineSession });
        if (isEngineError(decoded)) return errorFrame(id, decoded.error);
        conn.sessions.set(key(clientSession), { client: clientSession, engine: engineSession });
        sessionOwners.set(key(engineSession), { conn, clientSession });
        return resultFrame(id, raw);
      }
      case 'detach': {
        const engineSession = clientSession === undefined ? undefined : conn.sessions.get(key(clientSession))?.engine;
        if (!engineSession) {
          return errorFrame(id, rpcError(-32000, 'NotFound', `Session not found: ${key(clientSession)}`));
        }
        await killLiveQueries(conn, engineSession);
        const { raw, decoded } = await call(forward);
        if (isEngineError(decoded)) return errorFrame(id, decoded.error);
        conn.sessions.delete(key(clientSession));
        sessionOwners.delete(key(engineSession));
        signedIn.delete(key(engineSession));
        return resultFrame(id, raw);
      }
      case 'sessions':
        // Only this connection's sessions, under the ids the client chose.
        return Buffer.from(codec.encode({ id, result: [...conn.sessions.values()].map((entry) => entry.client) }));
      case 'authenticate':
        if (typeof request.params?.[0] === 'string' && dummyTokens.has(request.params[0])) {
          signedIn.add(key(forward.session));
          return Buffer.from(codec.encode({ id, result: null }));
        }
        break;
      default:
        break;
    }

    const { raw, decoded } = await call(forward);
    if (isEngineError(decoded)) {
      // The embedded engine has no root users and is root already; accept root signins like a
      // freshly started server with `--user root --pass root` would (any password), unless the
      // database really defines root users, in which case the real error stands.
      if (method === 'signin' && isRootCredentials(request.params?.[0]) && !(await rootUsersExist())) {
        const token = makeDummyToken(request.params[0]);
        dummyTokens.add(token);
        signedIn.add(key(forward.session));
        return Buffer.from(codec.encode({ id, result: token }));
      }
      return errorFrame(id, decoded.error);
    }
    track(conn, method, forward.session, decoded, request);
    return resultFrame(id, raw);
  }

  /** Remembers sign-ins, live queries and open transactions (so a closing socket can clean them up). */
  function track(conn, method, engineSession, decoded, request) {
    if (method === 'signin' || method === 'signup' || method === 'authenticate') {
      signedIn.add(key(engineSession));
    } else if (method === 'invalidate' || method === 'reset') {
      signedIn.delete(key(engineSession));
    } else if (method === 'live' && decoded instanceof Uuid) {
      conn.lives.set(key(decoded), { live: decoded, session: engineSession });
    } else if (method === 'query' && Array.isArray(decoded)) {
      for (const statement of decoded) {
        if (statement?.type === 'live' && statement.result instanceof Uuid) {
          conn.lives.set(key(statement.result), { live: statement.result, session: engineSession });
        }
      }
    } else if (method === 'begin' && decoded instanceof Uuid) {
      conn.txns.set(key(decoded), decoded);
    } else if ((method === 'commit' || method === 'cancel') && request.params?.[0] !== undefined) {
      conn.txns.delete(key(request.params[0]));
    }
  }

  async function killLiveQueries(conn, engineSession) {
    for (const [liveId, entry] of [...conn.lives]) {
      if (key(entry.session) !== key(engineSession)) continue;
      conn.lives.delete(liveId);
      await call({ id: 'relay-kill', method: 'kill', params: [entry.live], session: engineSession }).catch(() => {});
    }
  }

  async function cleanup(conn) {
    await Promise.allSettled(conn.pending);
    if (engineFreed) return;
    for (const txn of conn.txns.values()) {
      await call({ id: 'relay-cancel', method: 'cancel', params: [txn], session: adminSession }).catch(() => {});
    }
    conn.txns.clear();
    const engineSessions = [conn.defaultSession, ...[...conn.sessions.values()].map((entry) => entry.engine)];
    for (const engineSession of engineSessions) {
      await killLiveQueries(conn, engineSession);
      await call({ id: 'relay-detach', method: 'detach', session: engineSession }).catch(() => {});
      sessionOwners.delete(key(engineSession));
      signedIn.delete(key(engineSession));
    }
    conn.sessions.clear();
  }

  let served;
  try {
    served = await serveRpc({ host: options.host, port: options.port ?? 0, onSocket });
  } catch (err) {
    // e.g. EADDRINUSE: do not leak the engine.
    await Promise.allSettled([...inflight]);
    engineFreed = true;
    engine.free();
    await notificationLoop;
    throw err;
  }

  function onSocket(socket) {
    const conn = {
      socket,
      defaultSession: newUuid(),
      /** client session id -> { client, engine } session uuids */
      sessions: new Map(),
      lives: new Map(),
      txns: new Map(),
      pending: new Set(),
      ready: Promise.resolve(),
      closed: undefined,
    };
    connections.add(conn);
    sessionOwners.set(key(conn.defaultSession), { conn, clientSession: undefined });
    conn.ready = call({ id: 'relay-attach', method: 'attach', session: conn.defaultSession }).then(({ decoded }) => {
      if (isEngineError(decoded)) throw new Error(decoded.error.message);
    });
    conn.ready.catch(() => socket.terminate());
    serveRequests(
      socket,
      conn.pending,
      async (request) => {
        await conn.ready;
        return handle(conn, request);
      },
      rpcError,
    );
    socket.on('close', () => {
      conn.closed = cleanup(conn).finally(() => connections.delete(conn));
    });
  }

  let closePromise;
  return {
    url: served.url,
    port: served.port,
    engine: 'v3',
    close() {
      closePromise ??= (async () => {
        await served.stop();
        await connectionsCleaned(connections);
        await Promise.allSettled([...inflight]);
        engineFreed = true;
        engine.free();
        await notificationLoop;
      })();
      return closePromise;
    },
  };
}
