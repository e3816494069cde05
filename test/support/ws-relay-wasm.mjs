// The SurrealDB 2 engine of the test relay: `@surrealdb/wasm` 2.x (mem:// only), opened from Node.
//
// The package is built for browsers; two bridges make it run here:
// - it fetches its `.wasm` from a `file:` URL, which Node's `fetch` refuses: such URLs are read
//   from disk (every other request goes to the `fetch` that was there);
// - its engine class talks to the SDK through a codec of our choosing: ours hands back each
//   answer's bytes as they are (the relay forwards them untouched), and spots notifications.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { codec, toLocalBytes } from './ws-relay-common.mjs';

let fetchInstalled = false;

function installFileFetch() {
  if (fetchInstalled) return;
  fetchInstalled = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const href = input instanceof URL ? input.href : typeof input === 'string' ? input : undefined;
    if (href?.startsWith('file:')) {
      const bytes = await readFile(fileURLToPath(href));
      return new Response(bytes, { headers: { 'content-type': 'application/wasm' } });
    }
    return original(input, init);
  };
}

/**
 * One message from the engine: an answer's bytes (`raw`), decoded on demand (`value`).
 *
 * The engine class decodes answers and notifications alike through the codec, and reads `.id` of
 * what it decoded only for a notification (to publish it to the SDK's live subscription of that
 * id). So reading `.id` is the signal: the notification goes to the relay's router, and `.id`
 * answers undefined, so that the engine publishes nothing itself.
 */
class EngineMessage {
  #value;
  #decoded = false;
  #onNotification;

  constructor(raw, onNotification) {
    this.raw = raw;
    this.#onNotification = onNotification;
  }

  get value() {
    if (!this.#decoded) {
      this.#value = codec.decode(this.raw);
      this.#decoded = true;
    }
    return this.#value;
  }

  get id() {
    try {
      this.#onNotification(this.value);
    } catch {
      // A malformed notification must not stop the engine's notification loop.
    }
    return undefined;
  }
}

/**
 * Opens a fresh `mem://` datastore in the wasm engine. `send({ method, params })` resolves to an
 * {@link EngineMessage}, or rejects with the engine's failure: a string, such as
 * "There was a problem with the database: ..." or "Method not found".
 * @param {Record<string, unknown> | undefined} engineOptions the engine's ConnectionOptions
 * @param {(payload: unknown) => void} onNotification receives each live query notification
 */
export async function openWasmEngine(engineOptions, onNotification) {
  installFileFetch();
  const { createWasmEngines } = await import('@surrealdb/wasm');
  let lastId = 0;
  const context = {
    options: {},
    uniqueId: () => `relay-${++lastId}`,
    codecs: {
      cbor: {
        encode: (value) => codec.encode(value),
        decode: (bytes) => new EngineMessage(toLocalBytes(bytes), onNotification),
      },
    },
  };
  const engine = createWasmEngines(engineOptions).mem(/** @type {any} */ (context));
  const warn = console.warn;
  // wasm-bindgen warns about the form the package hands it its bytes in, on every first load.
  console.warn = (...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('using deprecated parameters')) return;
    warn(...args);
  };
  try {
    await new Promise((resolve, reject) => {
      const offConnected = engine.subscribe('connected', () => {
        offConnected();
        resolve(undefined);
      });
      const offError = engine.subscribe('error', (error) => {
        offError();
        reject(error);
      });
      engine.open(/** @type {any} */ ({ url: new URL('mem://') }));
    });
  } finally {
    console.warn = warn;
  }
  return engine;
}
