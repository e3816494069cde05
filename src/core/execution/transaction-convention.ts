import type { ExecutionContext } from './execution-context.js';

/** Per connection (shared by the targets' sessions): whether the server answers BEGIN and COMMIT. */
const conventions = new WeakMap<object, Promise<boolean>>();

/**
 * Whether the server answers BEGIN and COMMIT (SurrealDB 3 does, 2 does not): learnt once per
 * connection, from the number of answers to a transaction of one statement.
 */
export function answersTransactions(ctx: Pick<ExecutionContext, 'db' | 'connection'>): Promise<boolean> {
  const { connection } = ctx;
  let convention = conventions.get(connection);
  if (!convention) {
    convention = ctx.db
      .query('BEGIN TRANSACTION; LET $__sbl_probe = 1; COMMIT TRANSACTION;')
      .responses()
      .then((responses) => responses.length === 3);
    conventions.set(connection, convention);
    const learnt = convention;
    learnt.catch(() => conventions.get(connection) === learnt && conventions.delete(connection));
  }
  return convention;
}
