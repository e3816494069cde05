/**
 * One embedded SurrealDB 2 datastore shared by several `Surreal` clients, each keeping its own
 * namespace, database and variables, as a server keeps them per connection.
 *
 * The wasm engine has no sessions, and each `connect` to `mem://` is a new datastore: without this,
 * the targets of a `mem://` URL (each on a connection of its own, as on any SurrealDB 2) would each
 * see an empty database. Requests run one at a time (the engine cannot overlap them anyway; see
 * `inTurn`); before a client's request, the datastore is switched to that client's namespace,
 * database and variables if another client ran last.
 */
import { Publisher, type EngineEvents, type RpcEngine, type SurrealEngine } from 'surrealdb';

type Request = Parameters<RpcEngine['send']>[0];
/** The wasm engine, bridged: the datastore's owner. */
export type SharedEngine = SurrealEngine & Pick<RpcEngine, 'send' | 'liveQuery' | 'importSql' | 'exportSql'>;
type Sender = SharedEngine;

/** What the datastore keeps for one client between its requests. */
interface ClientState {
  namespace: string | undefined;
  database: string | undefined;
  vars: Map<string, unknown>;
}

/**
 * One queue for every datastore of the process: the wasm engines share one module and its memory.
 * Two connects at once, on a cold start, load the module twice, the second over the first one's
 * memory ("memory access out of bounds", "unreachable"); and the engine cannot overlap requests
 * anyway. So the embedded SurrealDB 2 does one thing at a time in a process, whichever datastore
 * asks.
 */
let processQueue: Promise<unknown> = Promise.resolve();

/** Runs `work` once everything queued before it has settled. */
function inTurn<T>(work: () => Promise<T>): Promise<T> {
  const run = processQueue.then(work);
  processQueue = run.catch(() => {});
  return run;
}

export class SharedV2Datastore {
  /** The engine that owns the datastore: the first client's. */
  readonly #engine: Sender;
  readonly #clients = new Set<ClientState>();
  #current: ClientState | undefined;
  /** Settles once the engine connected (or failed to): undefined until the first client opens it. */
  #opened: Promise<Error | undefined> | undefined;
  #closed = false;

  constructor(engine: Sender) {
    this.#engine = engine;
  }

  /** A client's engine on this datastore: give it to a `Surreal` as its `mem` engine. */
  client(): SurrealEngine {
    const state: ClientState = { namespace: undefined, database: undefined, vars: new Map() };
    const events = new Publisher<EngineEvents>();
    const engine = this.#engine;
    const facade = Object.create(engine) as Sender & Record<string, unknown>;
    const own = {
      features: engine.features,
      open: (connection: Parameters<SurrealEngine['open']>[0]) => {
        this.#clients.add(state);
        // The engine connects in the background and says so by an event: its turn lasts until then.
        this.#opened ??= inTurn(
          () =>
            new Promise<Error | undefined>((settle) => {
              engine.subscribe('connected', () => settle(undefined));
              engine.subscribe('error', (error) => settle(error));
              engine.open(connection);
            }),
        );
        // Each client is connected once the engine is (at once, for the clients after the first).
        void this.#opened.then((error) => (error ? events.publish('error', error) : events.publish('connected')));
      },
      close: async () => {
        this.#clients.delete(state);
        if (this.#current === state) this.#current = undefined;
        if (this.#clients.size === 0 && !this.#closed) {
          this.#closed = true;
          await inTurn(() => engine.close());
        }
        events.publish('disconnected');
      },
      ready: () => {},
      subscribe: <K extends keyof EngineEvents>(event: K, listener: (...payload: EngineEvents[K]) => void) =>
        events.subscribe(event, listener),
      liveQuery: engine.liveQuery.bind(engine),
      send: (request: Request) => this.#run(state, () => engine.send(request), request),
      // Of the client's namespace and database, as any other request.
      importSql: (data: string) => this.#run(state, () => engine.importSql(data)),
      exportSql: (options: Parameters<RpcEngine['exportSql']>[0]) => this.#run(state, () => engine.exportSql(options)),
    };
    return Object.assign(facade, own);
  }

  /** One request of a client, after the datastore is switched to that client. */
  #run(state: ClientState, work: () => Promise<unknown>, request?: Request): Promise<never> {
    return inTurn(async () => {
      if (this.#closed) throw new Error('the embedded SurrealDB 2 datastore is closed');
      if (this.#current !== state) await this.#switchTo(state);
      const result = await work();
      if (request) this.#track(state, request);
      return result as never;
    });
  }

  /** Restores a client's namespace, database and variables over the last client's. */
  async #switchTo(state: ClientState): Promise<void> {
    const previous = this.#current;
    this.#current = undefined;
    for (const name of previous?.vars.keys() ?? []) {
      if (!state.vars.has(name)) await this.#engine.send({ method: 'unset', params: [name] });
    }
    for (const [name, value] of state.vars) await this.#engine.send({ method: 'let', params: [name, value] });
    if (state.namespace !== undefined || previous?.namespace !== undefined) {
      await this.#engine.send({ method: 'use', params: [state.namespace ?? null, state.database ?? null] });
    }
    this.#current = state;
  }

  /** What a request changed of its client's state. */
  #track(state: ClientState, request: Request): void {
    const params = (request.params ?? []) as unknown[];
    switch (request.method) {
      case 'use':
        if (typeof params[0] === 'string') state.namespace = params[0];
        if (typeof params[1] === 'string') state.database = params[1];
        return;
      case 'let':
        state.vars.set(String(params[0]), params[1]);
        return;
      case 'unset':
        state.vars.delete(String(params[0]));
        return;
      case 'reset':
        state.vars.clear();
        return;
      // A `USE` inside a query moves only the rest of that request, on SurrealDB 2 as on 3.
      default:
        return;
    }
  }
}
