import type { LockHolder, MigrationDirection } from './errors.js';

/** The payload of each event, by event name. */
export interface MigrationEventMap {
  /** A migration is about to run up. */
  migrating: { version: number; name: string; file: string };
  /** A migration was applied (or found applied by another replica: `byAnother`). */
  migrated: { version: number; name: string; file: string; durationMs: number; byAnother: boolean };
  /** A migration failed, in either direction. */
  failed: { version: number; name: string; file: string; direction: MigrationDirection; error: Error };
  /** A migration is about to be rolled back. */
  rollingBack: { version: number; name: string; file: string };
  /** A migration was rolled back. */
  rolledBack: { version: number; name: string; file: string; durationMs: number };
  /** Another process holds the lock; this one waits. Emitted once per wait. */
  lockWaiting: { holder: LockHolder | undefined };
  /** This process holds the lock. */
  lockAcquired: { waitedMs: number; tookOver: LockHolder | undefined };
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
} satisfies Record<MigrationEventName, true>;

/**
 * A small typed event emitter. A listener that throws, or returns a promise that rejects, is
 * reported through `onListenerError` and never breaks a migration.
 */
export class MigrationEvents {
  readonly #listeners = new Map<MigrationEventName, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

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

  emit<K extends MigrationEventName>(event: K, payload: MigrationEventMap[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        const returned = (listener as Listener<K>)(payload) as unknown;
        // An async listener that rejects must not become an unhandled rejection mid-run.
        if (returned instanceof Promise) returned.catch((error: unknown) => this.onListenerError(error));
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
