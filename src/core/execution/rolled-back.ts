import { serverMajor } from '../db/connection.js';
import { forgetRolledBackTables } from '../db/rolled-back-tables.js';
import { withTimeout } from '../support/timing.js';
import type { ExecutionContext } from './execution-context.js';

/**
 * On SurrealDB 2, after a rollback: see `rolled-back-tables.ts`. Bounded by one connect timeout: a
 * server that stopped answering (the cause of the failure, maybe) must not hold its report back.
 */
export async function forgetRolledBack(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options'>,
  scripts: readonly string[],
): Promise<void> {
  const cure = async () => {
    if ((await serverMajor(ctx.connection)) === 2) await forgetRolledBackTables(ctx.db, scripts);
  };
  await withTimeout(cure(), ctx.options.connect.timeoutMs, () => 'no answer').catch(() => {});
}
