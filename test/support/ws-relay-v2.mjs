// SurrealDB 2.6 behind the test relay (see ws-relay-impl.mjs), from the wasm engine of
// `@surrealdb/wasm` 2.x (ws-relay-wasm.mjs).
//
// That engine has ONE session (no attach/detach, no `session` field) and cannot take a second
// request while one is suspended (a `SLEEP`, a lock wait: wasm throws "recursive use of an object
// detected" and the request never settles). So the relay runs every request of every client one
// at a time, and keeps each connection's namespace, database, variables and sign-in itself: before
// a connection's request runs, the engine's session is given that connection's state (sign-in,
// `use`, `let`/`unset`), and a request that may change it is followed by reading it back.
// Live query notifications carry the live query's id: each goes to the connection that started it.
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
  OPEN_METHODS,
  resultFrame,
  serveRequests,
  serveRpc,
  valueFrame,
} from './ws-relay-common.mjs';
import { openWasmEngine } from './ws-relay-wasm.mjs';

/** A SurrealDB 2 error: a code and a message, no kind. */
const v2Error = (code, _kind, message) => ({ code, message });

/** What SurrealDB 2 answers, with a root user defined, a request that needs a sign-in. */
const ANONYMOUS_REFUSED = v2Error(
  -32000,
  'NotAllowed',
  'There was a problem with the database: IAM error: Not enough permissions to perform this action',
);

/** JSON-RPC failures the engine reports by their message alone, with a server's codes. */
const RPC_CODES = new Map([
  ['Parse error', -32700],
  ['Invalid request', -32600],
  ['Method not found', -32601],
  ['Invalid params', -32602],
]);

/** The engine's rejection (a string) as the error frame a SurrealDB 2 server sends. */
function serverError(failure) {
  if (typeof failure !== 'string') {
    return v2Error(-32000, 'Internal', `ws-relay: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
  return v2Error(RPC_CODES.get(failure) ?? -32000, 'Internal', failure);
}

/** Requests that need no namespace, database, variables or sign-in of the connection. */
const STATELESS = new Set(['ping', 'version', 'health']);
const SESSION_READ = 'RETURN [session::ns(), session::db()]';

const freshState = () => ({ ns: undefined, db: undefined, vars: new Map(), token: undefined, signedIn: false });

/**
 * @param {import('./ws-relay-impl.mjs').WsRelayOptions & { host: string }} options
 * @param {{ user: string, pass: string } | undefined} credentials
 * @returns {Promise<import('./ws-relay-impl.mjs').WsRelay>}
 */
export async function startV2Relay(options, credentials) {
  if (options.path !== 'mem://') {
    throw new TypeError(`startWsRelay: the v2 engine (@surrealdb/wasm) serves mem:// only, not ${options.path}`);
  }
  /** live query id -> the connection that started it */
  const liveOwners = new Map();
  /** Notifications of live ids not known yet: the request that starts them may still be running. */
  let unrouted = [];
  let running = false;

  function onNotification(payload) {
    if (!isPlainObject(payload) || !(payload.id instanceof Uuid)) return;
    const owner = liveOwners.get(key(payload.id));
    if (owner) deliver(owner, payload);
    else if (running) unrouted.push(payload);
  }

  function deliver(conn, payload) {
    if (conn.socket.readyState === conn.socket.OPEN) conn.socket.send(codec.encode({ result: payload }));
  }

  const engine = await openWasmEngine(options.engineOptions, onNotification);
  const dummyTokens = new Set();
  const connections = new Set();
  /** The state the engine's one session holds now (`token`: the sign-in it was given). */
  const loaded = freshState();

  /** Runs `task` when every task queued before it has settled: the engine takes one request at a time. */
  let queue = Promise.resolve();
  function enqueue(task) {
    const run = queue.then(async () => {
      running = true;
      try {
        return await task();
      } finally {
        running = false;
        // Live ids the task registered get their early notifications; the rest have no owner.
        const early = unrouted;
        unrouted = [];
        for (const payload of early) {
          const owner = liveOwners.get(key(payload.id));
          if (owner) deliver(owner, payload);
        }
      }
    });
    queue = run.catch(() => {});
    return run;
  }

  /** @returns {Promise<{ ok: true, message: { raw: Uint8Array, value: any } } | { ok: false, error: any }>} */
  async function call(method, params) {
    try {
      return { ok: true, message: await engine.send(params === undefined ? { method } : { method, params }) };
    } catch (failure) {
      return { ok: false, error: serverError(failure) };
    }
  }

  if (credentials) {
    // As `surreal start --user --pass` does: the root user exists, so sign-ins are really checked.
    const defined = await call('query', [defineRootUser(credentials.user, credentials.pass, escapeIdent)]);
    const failure = defined.ok ? defined.message.value.find((r) => r?.status !== 'OK') : defined.error;
    if (failure) {
      await engine.close();
      throw new Error(`ws-relay: cannot define the root user: ${JSON.stringify(failure)}`);
    }
  }

  /** Gives the engine's session the state of `conn`. */
  async function restore(state) {
    if (loaded.token !== state.token) {
      let restored = state.token !== undefined && (await call('authenticate', [state.token])).ok;
      if (!restored) {
        // No sign-in, or its token no longer valid (expired): the connection is anonymous again.
        if (state.token !== undefined) Object.assign(state, { token: undefined, signedIn: false });
        restored = (await call('invalidate')).ok;
      }
      loaded.token = restored ? state.token : null;
      // A namespace or database user's token also sets the namespace and database.
      loaded.ns = loaded.db = null;
    }
    if (loaded.ns !== state.ns || loaded.db !== state.db) {
      const used = await call('use', [state.ns ?? null, state.db ?? null]);
      loaded.ns = used.ok ? state.ns : null;
      loaded.db = used.ok ? state.db : null;
    }
    for (const name of [...loaded.vars.keys()]) {
      if (state.vars.has(name)) continue;
      await call('unset', [name]);
      loaded.vars.delete(name);
    }
    for (const [name, value] of state.vars) {
      if (loaded.vars.has(name) && loaded.vars.get(name) === value) continue;
      if ((await call('let', [name, value])).ok) loaded.vars.set(name, value);
      else loaded.vars.delete(name);
    }
  }

  /** Reads the engine's namespace and database back into the connection's state. */
  async function readBack(state) {
    const read = await call('query', [SESSION_READ]);
    const [ns, db] = (read.ok && read.message.value?.[0]?.result) || [];
    state.ns = loaded.ns = ns ?? undefined;
    state.db = loaded.db = db ?? undefined;
  }

  async function rootUsersExist() {
    // Asked as the engine's own (anonymous) session: a record user may not read INFO FOR ROOT.
    if (loaded.token !== undefined) {
      await call('invalidate');
      loaded.token = undefined;
    }
    const info = await call('query', ['INFO FOR ROOT']);
    const users = info.ok ? info.message.value?.[0]?.result?.users : undefined;
    return isPlainObject(users) ? Object.keys(users).length > 0 : true;
  }

  /** @returns {Promise<Buffer>} the response frame */
  async function handle(conn, request) {
    const { id, method } = request;
    const params = request.params;
    const state = conn.state;
    if (method === 'reset') {
      // Not the engine's: the wasm engine panics ("unreachable") on `reset`, and dies with it.
      await killLiveQueries(conn);
      conn.state = freshState();
      return valueFrame(id, null);
    }
    if (method === 'authenticate' && dummyTokens.has(params?.[0])) {
      Object.assign(state, { token: undefined, signedIn: true });
      return valueFrame(id, null);
    }
    if (!STATELESS.has(method)) await restore(state);
    // After restore(): a sign-in whose token expired is gone.
    if (credentials && !state.signedIn && !OPEN_METHODS.has(method)) return errorFrame(id, ANONYMOUS_REFUSED);
    const answer = await call(method, params);
    if (!answer.ok) {
      // The embedded engine has no root users and lets anyone in; like a server started with
      // `--user root --pass root` it accepts a root sign-in (any password), unless the database
      // really defines root users (always, with `credentials`): then the real error stands.
      if (method === 'signin' && isRootCredentials(params?.[0]) && !credentials && !(await rootUsersExist())) {
        const token = makeDummyToken(params[0]);
        dummyTokens.add(token);
        Object.assign(state, { token: undefined, signedIn: true });
        return valueFrame(id, token);
      }
      return errorFrame(id, answer.error);
    }
    await track(conn, method, params, answer.message.value);
    return resultFrame(id, answer.message.raw);
  }

  /** Keeps what a successful request changed of the connection's state. */
  async function track(conn, method, params, value) {
    const state = conn.state;
    switch (method) {
      case 'let':
      case 'set':
        state.vars.set(params[0], params[1]);
        loaded.vars.set(params[0], params[1]);
        return;
      case 'unset':
        state.vars.delete(params[0]);
        loaded.vars.delete(params[0]);
        return;
      case 'signin':
      case 'signup':
      case 'authenticate': {
        const token = method === 'authenticate' ? params[0] : typeof value === 'string' ? value : value?.token;
        Object.assign(state, { token, signedIn: true });
        loaded.token = token;
        await readBack(state);
        return;
      }
      case 'invalidate':
        Object.assign(state, { token: undefined, signedIn: false });
        loaded.token = undefined;
        await readBack(state);
        return;
      case 'use':
        await readBack(state);
        return;
      case 'live':
        if (value instanceof Uuid) addLive(conn, value);
        return;
      case 'kill':
        // Its owner stays known until the connection closes: notifications sent before the kill
        // may still be on their way.
        if (params?.[0] !== undefined) conn.lives.delete(key(params[0]));
        return;
      case 'query': {
        const text = typeof params?.[0] === 'string' ? params[0] : '';
        if (/\bLIVE\b/i.test(text) && Array.isArray(value)) {
          for (const statement of value) if (statement?.result instanceof Uuid) addLive(conn, statement.result);
        }
        if (/\bUSE\b/i.test(text)) await readBack(state);
        return;
      }
      default:
        return;
    }
  }

  function addLive(conn, liveId) {
    conn.lives.set(key(liveId), liveId);
    liveOwners.set(key(liveId), conn);
  }

  /** Kills the connection's live queries; call with the engine's session in the connection's state. */
  async function killLiveQueries(conn) {
    if (conn.lives.size === 0) return;
    await restore(conn.state);
    for (const liveId of conn.lives.values()) await call('kill', [liveId]);
    conn.lives.clear();
  }

  async function cleanup(conn) {
    await Promise.allSettled(conn.pending);
    await enqueue(() => killLiveQueries(conn)).catch(() => {});
    for (const [liveId, owner] of liveOwners) if (owner === conn) liveOwners.delete(liveId);
  }

  let served;
  try {
    served = await serveRpc({ host: options.host, port: options.port ?? 0, onSocket });
  } catch (err) {
    // e.g. EADDRINUSE: do not leak the engine.
    await engine.close();
    throw err;
  }

  function onSocket(socket) {
    const conn = { socket, state: freshState(), lives: new Map(), pending: new Set(), closed: undefined };
    connections.add(conn);
    serveRequests(socket, conn.pending, (request) => enqueue(() => handle(conn, request)), v2Error);
    socket.on('close', () => {
      conn.closed = cleanup(conn).finally(() => connections.delete(conn));
    });
  }

  let closePromise;
  return {
    url: served.url,
    port: served.port,
    engine: 'v2',
    close() {
      closePromise ??= (async () => {
        await served.stop();
        await connectionsCleaned(connections);
        await queue;
        await engine.close();
      })();
      return closePromise;
    },
  };
}
