// Plain-ESM implementation of the test WebSocket relay (see ws-relay.ts for the typed entry).
// It is .mjs so that child processes can load it with plain `node` (no ts-jest there).
//
// One embedded SurrealDB engine (the native `SurrealNodeEngine` inside @surrealdb/node) is
// served over `ws://127.0.0.1:PORT/rpc`, speaking the same CBOR RPC protocol as a real server.
// Every WebSocket connection gets its own engine session (the native engine supports
// `attach`/`detach` and a `session` uuid on every request), so namespace/database, variables
// and auth are per connection, while all connections share one datastore and see the real
// engine's transaction/conflict behaviour.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CborCodec, Uuid } from 'surrealdb';
import { WebSocketServer } from 'ws';

const codec = new CborCodec({});
const DUMMY_TOKEN_ISSUER = 'ws-relay';

/** @type {{ connect(url: string, options?: unknown): Promise<any> } | undefined} */
let nativeEngineClass;

/**
 * Loads the native `SurrealNodeEngine` class. @surrealdb/node only exports its JS wrapper,
 * so the platform `.node` addon next to it is required directly.
 */
function loadNativeEngineClass() {
  if (nativeEngineClass) return nativeEngineClass;
  const require = createRequire(import.meta.url);
  const candidates = [];
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
    candidates.push(process.env.NAPI_RS_NATIVE_LIBRARY_PATH);
  }
  const prefix = `surrealdb-node.${process.platform}-${process.arch}`;
  for (const dir of require.resolve.paths('@surrealdb/node') ?? []) {
    const dist = join(dir, '@surrealdb', 'node', 'dist');
    if (!existsSync(dist)) continue;
    const files = readdirSync(dist)
      .filter((file) => file.startsWith(prefix) && file.endsWith('.node'))
      // glibc builds first unless the runtime is musl.
      .sort((a, b) => Number(a.includes('musl')) - Number(b.includes('musl')));
    if (isMusl()) files.reverse();
    candidates.push(...files.map((file) => join(dist, file)));
    break;
  }
  const errors = [];
  for (const file of candidates) {
    try {
      const binding = require(file);
      if (binding && typeof binding.SurrealNodeEngine?.connect === 'function') {
        nativeEngineClass = binding.SurrealNodeEngine;
        return nativeEngineClass;
      }
    } catch (err) {
      errors.push(err);
    }
  }
  throw new Error(
    `ws-relay: cannot load the native SurrealNodeEngine from @surrealdb/node (tried ${candidates.join(', ') || 'nothing'})`,
    { cause: errors },
  );
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = /** @type {any} */ (process.report?.getReport?.());
  return !report?.header?.glibcVersionRuntime;
}

/**
 * Copies bytes into a Uint8Array of this realm. Under Jest's vm modules the native addon's and
 * Node's Buffers come from another realm, and the SDK's CBOR decoder relies on `instanceof`.
 * @param {ArrayBuffer | ArrayBufferView} bytes
 */
function toLocalBytes(bytes) {
  if (ArrayBuffer.isView(bytes))
    return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return new Uint8Array(bytes.slice(0));
}

/** CBOR map(n) header for small n. */
function mapHeader(size) {
  return Uint8Array.of(0xa0 + size);
}

/**
 * Builds `{ id, result: <raw> }` without decoding/re-encoding the engine's result bytes.
 * @param {unknown} id
 * @param {Uint8Array} raw
 */
function resultFrame(id, raw) {
  const parts = id === undefined ? [mapHeader(1)] : [mapHeader(2), codec.encode('id'), codec.encode(id)];
  parts.push(codec.encode('result'), raw);
  return Buffer.concat(parts);
}

/** @param {unknown} id @param {unknown} error */
function errorFrame(id, error) {
  return Buffer.from(codec.encode(id === undefined ? { error } : { id, error }));
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

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

function rpcError(code, kind, message) {
  return { code, kind, message };
}

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT-shaped token without `exp` (so the SDK schedules no renewal). */
function makeDummyToken(auth) {
  const payload = { iss: DUMMY_TOKEN_ISSUER, iat: Math.floor(Date.now() / 1000), ID: String(auth?.user ?? 'root') };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.relay`;
}

function isRootCredentials(auth) {
  if (!isPlainObject(auth)) return false;
  const lower = Object.keys(auth).map((key) => key.toLowerCase());
  return (
    lower.includes('user') &&
    lower.includes('pass') &&
    !lower.some(
      (key) =>
        key === 'ns' || key === 'db' || key === 'ac' || key === 'namespace' || key === 'database' || key === 'access',
    )
  );
}

const key = (uuid) => String(uuid);

/**
 * Not `Uuid.v4()`: under Jest's vm modules its bytes live in an ArrayBuffer of another realm and
 * the SDK's CborCodec then encodes the uuid as an empty map. Parsing a string is realm-safe.
 */
const newUuid = () => new Uuid(randomUUID());

/**
 * @param {import('./ws-relay-impl.mjs').WsRelayOptions} options
 * @returns {Promise<import('./ws-relay-impl.mjs').WsRelay>}
 */
export async function startWsRelay(options) {
  if (!options || typeof options.path !== 'string') {
    throw new TypeError('startWsRelay: options.path (engine url, e.g. "mem://") is required');
  }
  const host = options.host ?? '127.0.0.1';
  const Engine = loadNativeEngineClass();
  const engine = await Engine.connect(options.path, options.engineOptions);
  let engineFreed = false;

  /** engine session id -> connection state + the session id the client knows (undefined = default). */
  const sessionOwners = new Map();
  /** Every pending engine call, so close() can wait for them before freeing the engine. */
  const inflight = new Set();
  const dummyTokens = new Set();
  const connections = new Set();
  let closing = false;

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
        return resultFrame(id, raw);
      }
      case 'sessions':
        // Only this connection's sessions, under the ids the client chose.
        return Buffer.from(codec.encode({ id, result: [...conn.sessions.values()].map((entry) => entry.client) }));
      case 'authenticate':
        if (typeof request.params?.[0] === 'string' && dummyTokens.has(request.params[0])) {
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
        return Buffer.from(codec.encode({ id, result: token }));
      }
      return errorFrame(id, decoded.error);
    }
    track(conn, method, forward.session, decoded, request);
    return resultFrame(id, raw);
  }

  /** Remembers live queries and open transactions so a closing socket can clean them up. */
  function track(conn, method, engineSession, decoded, request) {
    if (method === 'live' && decoded instanceof Uuid) {
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
    }
    conn.sessions.clear();
  }

  const server = createServer((req, res) => {
    if (req.url === '/health' || req.url === '/status') {
      res.writeHead(200).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('ws-relay: only ws /rpc is served');
  });
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve(undefined);
      });
    });
  } catch (err) {
    // e.g. EADDRINUSE: do not leak the engine.
    await Promise.allSettled([...inflight]);
    engineFreed = true;
    engine.free();
    await notificationLoop;
    throw err;
  }
  const wss = new WebSocketServer({
    server,
    path: '/rpc',
    handleProtocols: (protocols) => (protocols.has('cbor') ? 'cbor' : false),
  });

  wss.on('error', () => {});
  wss.on('connection', (socket) => {
    if (closing) {
      socket.terminate();
      return;
    }
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

    socket.on('message', (data, isBinary) => {
      const work = (async () => {
        let request;
        try {
          if (!isBinary) throw new Error('text frames are not supported, use the cbor subprotocol');
          request = codec.decode(toLocalBytes(Array.isArray(data) ? Buffer.concat(data) : data));
          if (!isPlainObject(request) || typeof request.method !== 'string') throw new Error('invalid request');
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          return errorFrame(
            isPlainObject(request) ? request.id : undefined,
            rpcError(-32700, 'Serialization', `Parse error: ${message}`),
          );
        }
        try {
          await conn.ready;
          return await handle(conn, request);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          return errorFrame(request.id, rpcError(-32000, 'Internal', `ws-relay: ${message}`));
        }
      })().then((frame) => {
        if (socket.readyState === socket.OPEN) socket.send(frame);
      });
      conn.pending.add(work);
      work.finally(() => conn.pending.delete(work)).catch(() => {});
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closed = cleanup(conn).finally(() => connections.delete(conn));
    });
  });

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(options.port ?? 0);

  let closePromise;
  return {
    url: `ws://${host}:${port}/rpc`,
    port,
    close() {
      closePromise ??= (async () => {
        closing = true;
        const wssClosed = new Promise((resolve) => wss.close(() => resolve(undefined)));
        const serverClosed = new Promise((resolve) => server.close(() => resolve(undefined)));
        for (const conn of connections) conn.socket.terminate();
        server.closeAllConnections?.();
        await Promise.all([wssClosed, serverClosed]);
        // 'close' handlers run asynchronously after terminate(); wait (bounded) for every cleanup.
        const deadline = Date.now() + 5000;
        while ([...connections].some((conn) => !conn.closed) && Date.now() < deadline) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.allSettled([...connections].map((conn) => conn.closed));
        await Promise.allSettled([...inflight]);
        engineFreed = true;
        engine.free();
        await notificationLoop;
      })();
      return closePromise;
    },
  };
}
