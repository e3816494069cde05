import type { ExecutionContext } from './execution-context.js';

/**
 * A migration's own statements may run long, and are never timed out. But while one runs, the
 * lease is renewed on the same connection; when no renewal has been answered for
 * `lock.waitTimeoutMs`, the connection is taken as stalled and reported, rather than waited on
 * forever.
 */
export function unlessStalled<T>(ctx: Pick<ExecutionContext, 'lock' | 'options'>, request: Promise<T>): Promise<T> {
  const { lock, options } = ctx;
  const limit = options.lock.waitTimeoutMs + options.lock.ttlMs;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(
      () => {
        const silent = Date.now() - lock.lastAnswer;
        if (silent > limit) {
          reject(
            new Error(
              `SurrealDB has answered nothing on this connection for ${silent} ms, not even the lock's ` +
                `renewals: the connection looks stalled`,
            ),
          );
        }
      },
      Math.max(50, Math.min(1_000, options.lock.ttlMs / 3)),
    );
  });
  return Promise.race([request, stalled]).finally(() => clearInterval(timer));
}
