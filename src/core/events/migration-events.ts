import { types } from 'node:util';
import type { MigrationDirection } from '../support/errors.js';
import type { LockHolder } from '../support/run-errors.js';
import type { MigrationTarget } from '../support/target.js';

/** Which database an event is about: set when the manager knows it (always with `targets`). */
interface Targeted {
  target?: MigrationTarget;
}

/** The payload of each event, by event name; each says its `target` when known. */
export interface MigrationEventMap {
  /** A migration is about to run up. */
  migrating: { version: number; name: string; file: string } & Targeted;
  /** A migration was applied (or found applied by another replica: `byAnother`). */
  migrated: { version: number; name: string; file: string; durationMs: number; byAnother: boolean } & Targeted;
  /** A migration failed, in either direction. */
  failed: { version: number; name: string; file: string; direction: MigrationDirection; error: Error } & Targeted;
  /** A migration is about to be rolled back. */
  rollingBack: { version: number; name: string; file: string } & Targeted;
  /** A migration was rolled back. */
  rolledBack: { version: number; name: string; file: string; durationMs: number } & Targeted;
  /** Another process holds the lock; this one waits. Emitted once per wait. */
  lockWaiting: { holder: LockHolder | undefined } & Targeted;
  /** This process holds the lock. */
  lockAcquired: { waitedMs: number; tookOver: LockHolder | undefined } & Targeted;
  /**
   * A repeatable definition (`repeatable/<name>.surql`, `name` without `.surql`) was applied after
   * the versions (or found applied by another replica: `byAnother`).
   */
  repeatableApplied: { name: string; file: string; durationMs: number; byAnother: boolean } & Targeted;
}

export type MigrationEventName = keyof MigrationEventMap;

/** One callback per event; all optional. */
export type MigrationEventHandlers = {
  // Any return is ignored, except that a rejected promise is reported like a throw.
  [K in MigrationEventName]: (event: MigrationEventMap[K]) => unknown;
};

type Listener<K extends MigrationEventName> = (event: MigrationEventMap[K]) => unknown;

/** Every event name; the type makes the compiler flag an event missing here. */
const EVENT_NAMES = {
  migrating: true,
  migrated: true,
  failed: true,
  rollingBack: true,
  rolledBack: true,
  lockWaiting: true,
  lockAcquired: true,
  repeatableApplied: true,
} satisfies Record<MigrationEventName, true>;

/**
 * A small typed event emitter. A listener that throws, or returns a promise (or thenable) that
 * rejects, never breaks a migration, whatever it throws: the fault is reported through
 * `onListenerError` as an `Error` whose message describes it (see {@link listenerFault}), and the
 * other listeners are still called. An `onListenerError` that throws itself is ignored.
 */
export class MigrationEvents {
  readonly #listeners = new Map<MigrationEventName, Set<Listener<never>>>();
  readonly #onListenerError: (error: Error) => void;

  /**
   * @param onListenerError Called with each listener fault, always an `Error` with a message:
   *   the listener's own `Error` as is, anything else (`undefined`, `null`, a string, an object
   *   without a message...) wrapped, with the thrown value as `cause`.
   */
  constructor(onListenerError: (error: Error) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends MigrationEventName>(event: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /**
   * Subscribes every handler of a handler object; a class instance's methods count, and are
   * called with the object as `this`.
   */
  subscribe(handlers: Partial<MigrationEventHandlers>): () => void {
    const offs = (Object.keys(EVENT_NAMES) as MigrationEventName[]).flatMap((name) => {
      const handler = handlers[name] as Listener<typeof name> | undefined;
      return typeof handler === 'function' ? [this.on(name, (event) => handler.call(handlers, event))] : [];
    });
    return () => offs.forEach((off) => off());
  }

  /** Calls each listener of `event` with `payload`, in subscription order. Never throws. */
  emit<K extends MigrationEventName>(event: K, payload: MigrationEventMap[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      let returned: unknown;
      try {
        returned = (listener as Listener<K>)(payload);
      } catch (thrown) {
        this.#report(thrown, 'threw');
        continue;
      }
      // An async listener that rejects must not become an unhandled rejection mid-run. A fresh
      // promise adopts the returned one: whatever its `then` does (throws, is not native), the
      // outcome lands here.
      if (isThenable(returned)) {
        new Promise<unknown>((resolve) => resolve(returned)).catch((reason: unknown) =>
          this.#report(reason, 'rejected with'),
        );
      }
    }
  }

  #report(thrown: unknown, how: ListenerFaultKind): void {
    try {
      const returned: unknown = this.#onListenerError(listenerFault(thrown, how));
      if (isThenable(returned)) new Promise<unknown>((resolve) => resolve(returned)).catch(() => undefined);
    } catch {
      // The error callback failed too (a broken logger): nothing is left to tell, and the run goes on.
    }
  }
}

/** How a listener failed: synchronously, or through the promise it returned. */
export type ListenerFaultKind = 'threw' | 'rejected with';

/**
 * The `Error` that reports what a listener threw (`how: 'threw'`) or rejected with: an `Error`
 * with a non-empty message as is; anything else wrapped in an `Error` whose message describes the
 * value, e.g. `a listener threw undefined`, `a listener rejected with null`,
 * `a listener threw the string "down"`, `a listener threw an object: {"code":1}`, with the value
 * as `cause`. Never throws, whatever the value (a revoked proxy, a throwing getter, a symbol).
 */
export function listenerFault(thrown: unknown, how: ListenerFaultKind = 'threw'): Error {
  try {
    if (isError(thrown) && typeof thrown.message === 'string' && thrown.message !== '') return thrown;
  } catch {
    // A getter or proxy that throws: described below.
  }
  return new Error(`a listener ${how} ${describe(thrown)}`, { cause: thrown });
}

function describe(value: unknown): string {
  try {
    switch (typeof value) {
      case 'undefined':
        return 'undefined';
      case 'string':
        return `the string ${quote(value)}`;
      case 'number':
      case 'bigint':
      case 'boolean':
        return `the ${typeof value} ${String(value)}`;
      case 'symbol':
        return `the symbol ${String(value)}`;
      case 'function':
        return value.name ? `the function ${value.name}` : 'an anonymous function';
      default:
        return value === null ? 'null' : describeObject(value as object);
    }
  } catch {
    return 'a value that cannot be described';
  }
}

function describeObject(value: object): string {
  const error = isError(value);
  const name = error ? (value as { name?: unknown }).name : undefined;
  const kind = error
    ? typeof name === 'string' && name !== ''
      ? `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`
      : 'an Error'
    : Array.isArray(value)
      ? 'an array'
      : 'an object';
  const message = (value as { message?: unknown }).message;
  if (typeof message === 'string' && message !== '') return `${kind} with the message ${quote(message)}`;
  if (error) return `${kind} without a message`;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // Circular, a BigInt inside, a throwing toJSON: named by its constructor instead.
  }
  if (json !== undefined && json !== '{}') return `${kind}: ${abbreviate(json)}`;
  const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object'
    ? `${kind} (${constructorName})`
    : `${kind} without a message`;
}

function quote(text: string): string {
  return JSON.stringify(abbreviate(text));
}

function abbreviate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** An `Error`, also one from another realm (a vm context, a worker's structured clone). */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** A promise, or any object with a `then` method (reading `then` may throw: not a thenable then). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
