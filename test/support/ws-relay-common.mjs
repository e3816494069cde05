// What the test relay's two engines share (see ws-relay-impl.mjs): the CBOR frames, the relay's own
// root tokens, the rule for unauthenticated requests, and the HTTP/WebSocket server itself.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { CborCodec, Uuid } from 'surrealdb';
import { WebSocketServer } from 'ws';

export const codec = new CborCodec({});
const DUMMY_TOKEN_ISSUER = 'ws-relay';

/**
 * Copies bytes into a Uint8Array of this realm. Under Jest's vm modules the engines' and Node's
 * Buffers come from another realm, and the SDK's CBOR decoder relies on `instanceof`.
 * @param {ArrayBuffer | ArrayBufferView} bytes
 */
export function toLocalBytes(bytes) {
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
export function resultFrame(id, raw) {
  const parts = id === undefined ? [mapHeader(1)] : [mapHeader(2), codec.encode('id'), codec.encode(id)];
  parts.push(codec.encode('result'), raw);
  return Buffer.concat(parts);
}

/** `{ id, result }` for a result the relay makes itself. */
export function valueFrame(id, result) {
  return Buffer.from(codec.encode(id === undefined ? { result } : { id, result }));
}

/** @param {unknown} id @param {unknown} error */
export function errorFrame(id, error) {
  return Buffer.from(codec.encode(id === undefined ? { error } : { id, error }));
}

export function isPlainObject(value) {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A SurrealDB 3 error (with its `kind`). */
export function rpcError(code, kind, message) {
  return { code, kind, message };
}

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT-shaped token without `exp` (so the SDK schedules no renewal). */
export function makeDummyToken(auth) {
  const payload = { iss: DUMMY_TOKEN_ISSUER, iat: Math.floor(Date.now() / 1000), ID: String(auth?.user ?? 'root') };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.relay`;
}

export function isRootCredentials(auth) {
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

export const key = (uuid) => String(uuid);

/**
 * Not `Uuid.v4()`: under Jest's vm modules its bytes live in an ArrayBuffer of another realm and
 * the SDK's CborCodec then encodes the uuid as an empty map. Parsing a string is realm-safe.
 */
export const newUuid = () => new Uuid(randomUUID());

/**
 * What a server started with `--user/--pass` answers without a sign-in: sign-in and session
 * bookkeeping. Anything that runs statements (query, select, create, live, info, ...) is refused.
 */
export const OPEN_METHODS = new Set([
  'ping',
  'version',
  'health',
  'use',
  'let',
  'set',
  'unset',
  'signin',
  'signup',
  'authenticate',
  'refresh',
  'invalidate',
  'reset',
  'attach',
  'detach',
  'sessions',
]);

/** The statement that gives the engine the root user a server's `--user/--pass` creates. */
export function defineRootUser(user, pass, escapeIdent) {
  // PASSWORD takes a string literal, not a parameter; a JSON string is a valid SurrealQL string.
  // IF NOT EXISTS: a restart on a store that has the user keeps it, as `surreal start` does.
  return `DEFINE USER IF NOT EXISTS ${escapeIdent(user)} ON ROOT PASSWORD ${JSON.stringify(pass)} ROLES OWNER`;
}

/** `user`/`pass` both given (root sign-in required) or both left out. */
export function rootCredentials(options) {
  const { user, pass } = options;
  if (user === undefined && pass === undefined) return undefined;
  if (typeof user !== 'string' || typeof pass !== 'string' || user === '') {
    throw new TypeError('startWsRelay: options.user and options.pass go together, as non-empty strings');
  }
  return { user, pass };
}

/**
 * Serves `ws://host:port/rpc` (CBOR subprotocol) and answers `/health` and `/status`.
 * `onSocket(socket)` is called for every accepted WebSocket; `stop()` closes the server and
 * terminates every socket (their 'close' handlers run afterwards).
 * @param {{ host: string, port: number, onSocket: (socket: import('ws').WebSocket) => void }} options
 */
export async function serveRpc({ host, port, onSocket }) {
  const server = createServer((req, res) => {
    if (req.url === '/health' || req.url === '/status') {
      res.writeHead(200).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('ws-relay: only ws /rpc is served');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const wss = new WebSocketServer({
    server,
    path: '/rpc',
    handleProtocols: (protocols) => (protocols.has('cbor') ? 'cbor' : false),
  });
  let closing = false;
  wss.on('error', () => {});
  wss.on('connection', (socket) => {
    if (closing) socket.terminate();
    else onSocket(socket);
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `ws://${host}:${boundPort}/rpc`,
    port: boundPort,
    async stop() {
      closing = true;
      const wssClosed = new Promise((resolve) => wss.close(() => resolve(undefined)));
      const serverClosed = new Promise((resolve) => server.close(() => resolve(undefined)));
      for (const socket of wss.clients) socket.terminate();
      server.closeAllConnections?.();
      await Promise.all([wssClosed, serverClosed]);
    },
  };
}

/**
 * Decodes each binary frame of `socket` into a request and sends back the frame `handle(request)`
 * resolves to (none for `undefined`). `pending` holds the requests still being handled.
 * @param {import('ws').WebSocket} socket
 * @param {Set<Promise<unknown>>} pending
 * @param {(request: Record<string, any>) => Promise<Buffer | undefined>} handle
 * @param {(code: number, kind: string, message: string) => unknown} makeError the engine's error shape
 */
export function serveRequests(socket, pending, handle, makeError) {
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
          makeError(-32700, 'Serialization', `Parse error: ${message}`),
        );
      }
      try {
        return await handle(request);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return errorFrame(request.id, makeError(-32000, 'Internal', `ws-relay: ${message}`));
      }
    })().then((frame) => {
      if (frame && socket.readyState === socket.OPEN) socket.send(frame);
    });
    pending.add(work);
    work.finally(() => pending.delete(work)).catch(() => {});
  });
  socket.on('error', () => {});
}

/**
 * Once the server stopped: waits for every connection's cleanup (its `closed` promise). The 'close'
 * handlers run asynchronously after terminate(), so each is waited for, within 5 s, to be set.
 */
export async function connectionsCleaned(connections) {
  const deadline = Date.now() + 5000;
  while ([...connections].some((conn) => !conn.closed) && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.allSettled([...connections].map((conn) => conn.closed));
}
