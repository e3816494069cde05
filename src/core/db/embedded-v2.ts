/**
 * The embedded SurrealDB 2 engine: `@surrealdb/wasm` 2.x, an optional peer, `mem://` only.
 *
 * The package is built for browsers; under Node 20 it needs four small bridges, all here:
 * - it fetches its `.wasm` from a `file:` URL, which Node's `fetch` refuses (and `connect()` then
 *   never settles): while it loads, such a URL is read from disk;
 * - it rejects a request-level failure (a parse error, a refused sign-in) with a bare string, where
 *   a SurrealDB 2 server sends `{ code: -32000, message }`: turned into the SDK's own error, as the
 *   SDK does with a server's answer;
 * - it cannot take a second request while one is suspended (a `SLEEP`, a lock wait): wasm throws
 *   "recursive use of an object detected" and the request never settles; the datastore in front of
 *   it (`embedded-v2-datastore.ts`) sends them one at a time;
 * - 2.4.0 has no `ready()`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  parseRpcError,
  type DriverContext,
  type Engines,
  type RpcEngine,
  type Surreal,
  type SurrealEngine,
} from 'surrealdb';
import { SharedV2Datastore, type SharedEngine } from './embedded-v2-datastore.js';
import { MigrationOptionsError } from '../support/errors.js';

/** What a SurrealDB 2 server sends for a request that failed as a whole. */
const SERVER_ERROR_CODE = -32000;
const SERVER_ERROR_PREFIX = 'There was a problem with the database: ';

type WasmModule = { createWasmEngines(options?: unknown): Engines };

let loading: Promise<WasmModule> | undefined;

/** The datastore behind each client of the embedded SurrealDB 2 engine (made when it connects). */
const datastores = new WeakMap<Surreal, { datastore?: SharedV2Datastore }>();

/** Whether `client` runs on an embedded SurrealDB 2 datastore that another client can share. */
export function isEmbeddedV2Client(client: Surreal): boolean {
  return datastores.has(client);
}

/**
 * The engines of `@surrealdb/wasm` 2.x for a `Surreal` client (`mem` only), bridged for Node, and
 * `register`, to call with the client made from them. `shareWith`, a client made from such engines
 * before, gives the new one that client's datastore (instead of a new one), as connections share
 * a server's. `field` names the option that asked for SurrealDB 2, for the error when the package
 * is missing.
 */
export async function embeddedV2Engines(
  field: string,
  shareWith?: Surreal,
): Promise<{ engines: Engines; register(client: Surreal): void }> {
  const wasm = await loadWasm(field);
  const mem = wasm.createWasmEngines().mem;
  if (!mem) throw new Error('@surrealdb/wasm offers no mem:// engine');
  const box = (shareWith && datastores.get(shareWith)) ?? {};
  return {
    engines: {
      mem: (context: DriverContext) => {
        box.datastore ??= new SharedV2Datastore(bridged(mem(context)));
        return box.datastore.client();
      },
    },
    register: (client) => datastores.set(client, box),
  };
}

function loadWasm(field: string): Promise<WasmModule> {
  loading ??= importWasm(field);
  // A failed load (the package missing) is tried again by the next caller.
  loading.catch(() => (loading = undefined));
  return loading;
}

async function importWasm(field: string): Promise<WasmModule> {
  let wasm: WasmModule;
  try {
    wasm = (await import('@surrealdb/wasm' as string)) as WasmModule;
  } catch (error) {
    if (!isMissingPackage(error, '@surrealdb/wasm')) throw error;
    throw missing(field);
  }
  installFileFetch();
  return wasm;
}

function missing(field: string): MigrationOptionsError {
  return new MigrationOptionsError(
    field,
    'SurrealDB 2 runs embedded (mem://) from the optional package @surrealdb/wasm 2.x: ' +
      'install it with `npm install @surrealdb/wasm@^2.6`, or give a SurrealDB 2 server.',
  );
}

let fetchInstalled = false;

/**
 * Lets `fetch` read `file:` URLs, which Node's refuses ("not implemented... yet"). Only such URLs
 * are served differently: every other request goes to the `fetch` that was there.
 */
function installFileFetch(): void {
  if (fetchInstalled) return;
  fetchInstalled = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const href = input instanceof URL ? input.href : typeof input === 'string' ? input : undefined;
    if (href?.startsWith('file:')) {
      const bytes = await readFile(fileURLToPath(href));
      return new Response(bytes, { headers: { 'content-type': 'application/wasm' } });
    }
    return original(input, init);
  };
}

/** The engine with its string failures as server errors, and a `ready()`. */
function bridged(made: SurrealEngine): SharedEngine {
  const engine = made as SharedEngine;
  const send = engine.send.bind(engine);
  engine.send = ((request: Parameters<RpcEngine['send']>[0]) =>
    send(request).catch((error: unknown) => {
      throw typeof error === 'string' ? asServerError(error) : error;
    })) as RpcEngine['send'];
  if (typeof (engine as { ready?: unknown }).ready !== 'function') {
    (engine as { ready: () => void }).ready = () => {};
  }
  silenceInitWarning(engine);
  return engine;
}

/** The SDK's error for a failure SurrealDB 2 reports as a whole-request error. */
function asServerError(message: string): Error {
  const text = message.startsWith(SERVER_ERROR_PREFIX) ? message : `${SERVER_ERROR_PREFIX}${message}`;
  return parseRpcError({ code: SERVER_ERROR_CODE, message: text } as Parameters<typeof parseRpcError>[0]);
}

/**
 * The package hands its `.wasm` bytes to wasm-bindgen in a form that prints "using deprecated
 * parameters for the initialization function" on every first load: not the user's concern.
 */
function silenceInitWarning(engine: SurrealEngine): void {
  const open = engine.open.bind(engine);
  engine.open = (state) => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('using deprecated parameters')) return;
      warn(...args);
    };
    const restore = engine.subscribe('connected', () => {
      console.warn = warn;
      restore();
    });
    const failed = engine.subscribe('error', () => {
      console.warn = warn;
      failed();
    });
    open(state);
  };
}

/** The package itself is not installed (not one of its own imports failing). */
export function isMissingPackage(error: unknown, name: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  return typeof e.message === 'string' && (e.message.includes(`'${name}'`) || e.message.includes(`"${name}"`));
}
