/**
 * The migration lock, as an operator sees it: who holds it, and removing it by force. Neither
 * creates a database that does not exist.
 */
import type { LockHolder } from '../support/run-errors.js';
import type { ManagerContext } from './context.js';

/** The current lock holder, if any. */
export function lockHolder(ctx: ManagerContext): Promise<LockHolder | undefined> {
  return ctx.guard(async () => {
    ctx.one('lockHolder');
    if (await ctx.absent()) return undefined;
    return ctx.lock.holder();
  });
}

/** Deletes the migration lock whoever holds it, and returns the holder it removed. */
export function forceUnlock(ctx: ManagerContext): Promise<LockHolder | undefined> {
  return ctx.guard(async () => {
    ctx.one('forceUnlock');
    // No database, no lock: not created to delete nothing.
    if (await ctx.absent()) return undefined;
    return ctx.lock.forceUnlock();
  });
}
