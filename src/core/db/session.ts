/**
 * The database port of the core: what it asks of a session ({@link QueryClient}, {@link SessionLike}),
 * and the bounded client its bookkeeping requests go through. A `Surreal` client fits the port, and so
 * does a target's session.
 */
import type { LiveSubscription, QueryResponse, Table } from 'surrealdb';
import { sleep, withTimeout } from '../support/timing.js';
import { isRetryableConflict } from './surreal-errors.js';

/** Attempts of a bookkeeping request the server refuses whole with a transaction conflict, and the pause before the next, times the attempt. */
const CONFLICT_ATTEMPTS = 10;
const CONFLICT_BACKOFF_MS = 10;

/** The part of the SDK's client that the bookkeeping uses. */
export interface QueryClient {
  query(sql: string, vars?: Record<string, unknown>): { responses(): Promise<QueryResponse[]> };
}

/**
 * The runner's own bookkeeping requests (history, lock, in-progress records), bounded: each attempt
 * gets `attemptMs` (no shorter than `connect.timeoutMs`), and one that gets no answer is sent
 * again until `budgetMs` (`lock.waitTimeoutMs`) is spent, so a server busy with a long statement is
 * not taken for a dead one, and a stalled one is reported instead of waited on forever. A request
 * the server refuses whole with a transaction conflict, which it says can be retried (replicas
 * starting together on a database SurrealDB 3 is still defining), is sent again too. Every
 * bookkeeping request is safe to send twice: reads, upserts, and writes whose second attempt reads
 * the first one's outcome.
 */
export class BoundedClient implements QueryClient {
  readonly #db: QueryClient;
  readonly #attemptMs: number;
  readonly #budgetMs: number;
  readonly #unanswered: (attempts: number, cause: Error) => Error;
  #lastAnswer = Date.now();

  constructor(
    db: QueryClient,
    limits: { attemptMs: number; budgetMs: number },
    unanswered: (attempts: number, cause: Error) => Error,
  ) {
    this.#db = db;
    this.#attemptMs = limits.attemptMs;
    this.#budgetMs = limits.budgetMs;
    this.#unanswered = unanswered;
  }

  /** When the server last answered a bookkeeping request. */
  get lastAnswer(): number {
    return this.#lastAnswer;
  }

  query(sql: string, vars?: Record<string, unknown>): { responses(): Promise<QueryResponse[]> } {
    return { responses: () => this.#send(sql, vars, this.#budgetMs) };
  }

  /** One attempt only, for requests that are repeated anyway (lease renewals). */
  once(sql: string, vars?: Record<string, unknown>): Promise<QueryResponse[]> {
    return this.#send(sql, vars, 0);
  }

  async #send(sql: string, vars: Record<string, unknown> | undefined, budgetMs: number): Promise<QueryResponse[]> {
    const started = Date.now();
    let conflicts = 0;
    for (let attempt = 1; ; attempt++) {
      const timedOut = new Error(`no answer within ${this.#attemptMs} ms`);
      try {
        const responses = await withTimeout(
          this.#db.query(sql, vars).responses(),
          this.#attemptMs,
          () => timedOut.message,
        );
        this.#lastAnswer = Date.now();
        return responses;
      } catch (error) {
        if (isRetryableConflict(error) && ++conflicts < CONFLICT_ATTEMPTS) {
          // An answer all the same: the server is there.
          this.#lastAnswer = Date.now();
          await sleep(CONFLICT_BACKOFF_MS * conflicts);
          continue;
        }
        if (!(error instanceof Error) || error.message !== timedOut.message) throw error;
        if (Date.now() - started + this.#attemptMs > budgetMs) throw this.#unanswered(attempt, error);
      }
    }
  }
}

/**
 * What the core asks of a database session: queries, and a live query for the lock's waiters.
 * A `Surreal` client fits, and so does a {@link TargetSession}.
 */
export interface SessionLike extends QueryClient {
  live(table: Table): PromiseLike<LiveSubscription>;
}
