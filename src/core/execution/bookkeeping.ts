/** What a migration writes in the history besides its script: the statement that records it, a failed attempt. */
import type { MigrationDirection } from '../support/errors.js';
import type { LockHolder } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { ExecutionContext } from './execution-context.js';
import { messageOf } from './script-errors.js';

/**
 * The history statement that completes `script`: up, its row (written with this run's lock token);
 * down, the deletion of its version's rows.
 */
export function historyStatement(
  ctx: Pick<ExecutionContext, 'history' | 'lock'>,
  script: MigrationFile,
  direction: MigrationDirection,
): { sql: string; vars: Record<string, unknown> } {
  return direction === 'up'
    ? ctx.history.recordStatement({
        version: script.version,
        name: script.name,
        checksum: script.checksum,
        appliedBy: ctx.lock.owner.token,
      })
    : ctx.history.deleteStatement(script.version);
}

/** Records a failed attempt; a failure to record it must not hide the migration's own error. */
export async function recordFailed(
  ctx: Pick<ExecutionContext, 'history' | 'lock' | 'options' | 'logger'>,
  script: MigrationFile,
  direction: MigrationDirection,
  statementsApplied: number,
  statementCount: number,
  reason: string,
): Promise<void> {
  try {
    await ctx.history.recordFailed({
      version: script.version,
      name: script.name,
      file: script.file,
      checksum: script.checksum,
      statementsApplied,
      statementCount,
      // Stored and shown later (status, the start-up refusal): masked like any output.
      error: ctx.options.redactor.text(`${direction}: ${reason}`),
      direction,
      holder: holderLabel(ctx.lock.owner),
    });
  } catch (error) {
    ctx.logger.error(
      `Could not record the failed attempt of migration ${script.version} in the history: ${messageOf(error)}`,
    );
  }
}

/** `host pid token`, as the in-progress and failed records name a process. */
export function holderLabel(owner: LockHolder): string {
  return `${owner.host} pid ${owner.pid} (${owner.token})`;
}
