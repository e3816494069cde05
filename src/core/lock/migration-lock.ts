import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Duration, RecordId, Table, type QueryResponse } from 'surrealdb';
import type { SessionLike } from '../db/session.js';
import { MigrationLockError, type LockHolder } from '../support/run-errors.js';
import { toHolder } from './lock-record.js';
import { toDate } from '../db/datetime.js';
import type { MigrationEvents } from '../events/migration-events.js';
import type { MigrationLogger, ResolvedMigrationsOptions } from '../options/options.js';
import { isConflictOrExists } from '../db/surreal-errors.js';
import { Waker, withTimeout } from '../support/timing.js';
import { type BoundedClient } from '../db/session.js';

/** The outcome of one attempt to take the lock. */
export type LockAttempt =
  { acquired: true; tookOver: LockHolder | undefined } | { acquired: false; holder: LockHolder | undefined };

/**
 * A lease on the record `<table>_lock:lock`.
 *
 * - Acquired by creating the record with its fixed id: while it exists, the create fails with
 *   AlreadyExists (or, when two creates race, a write conflict). Both mean "held".
 * - An expired lease is taken over only by a conditional update (`WHERE expires_at < time::now()`),
 *   so two replicas cannot both take over the same expired lease.
 * - Expiry is computed by the database's clock, so replicas with skewed clocks agree.
 * - The holder renews it every third of the ttl and deletes it on release.
 *
 * The lock keeps replicas from doing the same work at the same time; correctness does not rest on
 * it. A holder can outlive its lease (a paused process, a partition), so the history record's
 * fixed id is the fence: a second apply of the same version fails its commit and is rolled back.
 */
export class MigrationLock {
  readonly #db: BoundedClient;
  readonly #live: SessionLike;
  readonly #id: RecordId;
  readonly #ttl: Duration;
  readonly #options: ResolvedMigrationsOptions['lock'];
  readonly #logger: MigrationLogger;
  readonly owner: LockHolder;
  #heartbeat: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #lost = false;
  #interrupted = false;
  #waker: Waker | undefined;

  constructor(
    db: BoundedClient,
    live: SessionLike,
    options: Pick<ResolvedMigrationsOptions, 'lockTable' | 'lock'>,
    logger: MigrationLogger,
  ) {
    this.#db = db;
    this.#live = live;
    this.#id = new RecordId(options.lockTable, 'lock');
    this.#ttl = new Duration(`${Math.ceil(options.lock.ttlMs)}ms`);
    this.#options = options.lock;
    this.#logger = logger;
    this.owner = { host: hostname(), pid: process.pid, token: randomUUID() };
  }

  /** When the server last answered a bookkeeping request (a renewal, above all). */
  get lastAnswer(): number {
    return this.#db.lastAnswer;
  }

  /** True when a renewal found the lease taken by another process. */
  get lost(): boolean {
    return this.#lost;
  }

  /**
   * One attempt, one request: create the lease; failing that, take over an expired one; and read
   * the holder. The conditional update cannot match a lease that was just created (its expiry is
   * in the future), so the three statements need no transaction.
   */
  async tryAcquire(): Promise<LockAttempt> {
    const [created, takenOver, current] = await this.#db
      .query(
        'CREATE $id CONTENT { owner: $owner, acquired_at: time::now(), expires_at: time::now() + $ttl }; ' +
          'UPDATE $id SET owner = $owner, acquired_at = time::now(), expires_at = time::now() + $ttl ' +
          // A lease whose expiry is not a datetime (garbage, or none) cannot be waited out: expired.
          // The method form: SurrealDB 2 names the function type::is::datetime, 3 type::is_datetime.
          'WHERE !expires_at.is_datetime() OR expires_at < time::now() RETURN BEFORE; ' +
          'SELECT * FROM ONLY $id',
        { id: this.#id, owner: this.#ownerRecord(), ttl: this.#ttl },
      )
      .responses();
    if (created?.success) return this.#acquired(undefined);
    if (created && !isHeldError(created)) throw created.error;
    if (takenOver?.success) {
      const before = (takenOver.result as Record<string, unknown>[])[0];
      if (before) {
        if (toDate(before.expires_at) === undefined) {
          this.#logger.warn(
            `The migration lock record ${String(this.#id)} could not be read as a lease (expires_at: ` +
              `${JSON.stringify(before.expires_at ?? null)}); it was taken as expired and taken over.`,
          );
        }
        return this.#acquired(toHolder(before));
      }
    } else if (takenOver && !isHeldError(takenOver)) {
      throw takenOver.error;
    }
    const holder = current?.success && current.result ? toHolder(current.result as Record<string, unknown>) : undefined;
    // An attempt that got no answer in time may have taken the lease before it was sent again.
    if (holder?.token === this.owner.token) return this.#acquired(undefined);
    return { acquired: false, holder };
  }

  /**
   * Waits for the lock. Before every further attempt, `remaining` says how much work is left
   * (another replica may be doing it): at 0 the wait ends with `undefined` and the lock is not
   * taken. While that number keeps falling the holder is making progress, so polling stays at
   * `retryMs`; otherwise it backs off (up to 8×, with jitter). Where the engine supports live
   * queries, a change to the lease (its release, above all) wakes the waiter at once.
   */
  async acquire(remaining: () => Promise<number>, events: MigrationEvents): Promise<LockAttempt | undefined> {
    const started = Date.now();
    let holder: LockHolder | undefined;
    let unwatch: (() => Promise<void>) | undefined;
    let backoff = 0;
    let lastRemaining = Number.POSITIVE_INFINITY;
    const waker = (this.#waker = new Waker());
    try {
      for (let attempt = 0; ; attempt++) {
        if (this.#interrupted) return undefined;
        if (attempt > 0) {
          const left = await remaining();
          if (left === 0) return undefined;
          if (left < lastRemaining) backoff = 0;
          lastRemaining = left;
        }
        const result = await this.tryAcquire();
        if (result.acquired) {
          events.emit('lockAcquired', { waitedMs: Date.now() - started, tookOver: result.tookOver });
          return result;
        }
        if (attempt === 0) {
          events.emit('lockWaiting', { holder: result.holder });
          unwatch = await this.#watch(waker);
        }
        holder = result.holder ?? holder;
        const waited = Date.now() - started;
        if (waited >= this.#options.waitTimeoutMs) throw new MigrationLockError(holder, waited);
        const base = this.#options.retryMs * 2 ** Math.min(backoff++, 3);
        await waker.sleep(Math.min(base * (0.5 + Math.random()), Math.max(1, this.#options.waitTimeoutMs - waited)));
      }
    } finally {
      this.#waker = undefined;
      await unwatch?.();
    }
  }

  /** Ends a wait in progress (and any later one) with `undefined`: the process is shutting down. */
  interruptWait(): void {
    this.#interrupted = true;
    this.#waker?.wake();
  }

  /** Deletes the lease if this process still holds it, and stops renewing. */
  async release(): Promise<void> {
    this.#stopHeartbeat();
    // A renewal already sent would otherwise land after the delete and read as a lost lease.
    await this.#renewing;
    const [deleted] = await this.#db
      .query('DELETE $id WHERE owner.token = $lockToken', { id: this.#id, lockToken: this.owner.token })
      .responses();
    // An answer, unlike a thrown request, does not fail by itself: a refused delete is the caller's to report.
    if (deleted && !deleted.success) throw new Error(String(deleted.error?.message ?? 'the lock was not deleted'));
  }

  /** The current holder, if any (expired or not). */
  async holder(): Promise<LockHolder | undefined> {
    const [row] = await this.#db.query('SELECT * FROM ONLY $id', { id: this.#id }).responses();
    if (!row?.success || !row.result) return undefined;
    return toHolder(row.result as Record<string, unknown>);
  }

  /** Deletes the lease whoever holds it. Returns the holder it removed. */
  async forceUnlock(): Promise<LockHolder | undefined> {
    const [row] = await this.#db.query('DELETE $id RETURN BEFORE', { id: this.#id }).responses();
    if (!row) return undefined;
    if (!row.success) {
      if (row.error.kind === 'NotFound') return undefined;
      throw row.error;
    }
    const before = (row.result as Record<string, unknown>[] | undefined)?.[0];
    return before ? toHolder(before) : undefined;
  }

  #ownerRecord() {
    return { host: this.owner.host, pid: this.owner.pid, token: this.owner.token };
  }

  /**
   * A live query on the lock table, so that a waiter wakes when the lease changes (its release,
   * above all). Only an optimization: engines without live queries (http) and any failure fall
   * back to polling. Returns the function that ends it.
   */
  async #watch(waker: Waker): Promise<(() => Promise<void>) | undefined> {
    const starting = this.#live.live(new Table(this.#id.table.name));
    try {
      const live = await withTimeout(starting, WATCH_SETUP_MS, () => 'the live query did not start');
      const unsubscribe = live.subscribe(() => waker.wake());
      return async () => {
        unsubscribe();
        await live.kill().catch(() => {});
      };
    } catch {
      // A subscription that starts after the deadline must not outlive this wait.
      void Promise.resolve(starting)
        .then((late) => late.kill())
        .catch(() => {});
      return undefined;
    }
  }

  #acquired(tookOver: LockHolder | undefined): LockAttempt {
    this.#lost = false;
    this.#startHeartbeat();
    if (tookOver) {
      this.#logger.warn(
        `Took over an expired migration lock from ${tookOver.host} pid ${tookOver.pid} (${tookOver.token})`,
      );
    }
    return { acquired: true, tookOver };
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(
      () => {
        this.#renewing = this.#renew();
      },
      Math.max(10, this.#options.ttlMs / 3),
    );
    // Renewal must never keep a finished process alive.
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  async #renew(): Promise<void> {
    try {
      // One attempt: the next renewal comes a third of the lease later anyway.
      const [renewed] = await this.#db.once(
        'UPDATE $id SET expires_at = time::now() + $ttl WHERE owner.token = $lockToken RETURN AFTER',
        { id: this.#id, ttl: this.#ttl, lockToken: this.owner.token },
      );
      if (renewed?.success && (renewed.result as unknown[]).length === 0 && !this.#lost) {
        this.#lost = true;
        this.#logger.warn(
          'The migration lock lease was taken over by another process; the history record of each ' +
            'version still guarantees that it is applied once.',
        );
      }
    } catch (error) {
      this.#logger.warn(`Could not renew the migration lock: ${(error as Error).message}`);
    }
  }
}

/** How long a waiter gives the live query to start before it relies on polling alone. */
const WATCH_SETUP_MS = 1_000;

/** AlreadyExists, or a write conflict between concurrent creates: both mean "held". */
function isHeldError(response: QueryResponse): boolean {
  if (response.success) return false;
  return isConflictOrExists(response.error);
}
