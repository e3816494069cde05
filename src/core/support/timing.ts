import type { QueryResponse } from 'surrealdb';

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message()` when `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: PromiseLike<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A sleep that can be cut short; a wake-up that comes while nobody sleeps is kept for the next sleep. */
export class Waker {
  #wake: (() => void) | undefined;
  #pending = false;

  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}

/** The part of the SDK's client that the bookkeeping uses. */
export interface QueryClient {
  query(sql: string, vars?: Record<string, unknown>): { responses(): Promise<QueryResponse[]> };
}

/**
 * The runner's own bookkeeping requests (history, lock, in-progress records), bounded: each attempt
 * gets `attemptMs` (no shorter than `connect.timeoutMs`), and one that gets no answer is sent
 * again until `budgetMs` (`lock.waitTimeoutMs`) is spent, so a server busy with a long statement is
 * not taken for a dead one, and a stalled one is reported instead of waited on forever. Every
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
        if (!(error instanceof Error) || error.message !== timedOut.message) throw error;
        if (Date.now() - started + this.#attemptMs > budgetMs) throw this.#unanswered(attempt, error);
      }
    }
  }
}
