/** The lock record as its holder: how a row of the lock table reads. */
import type { LockHolder } from '../support/run-errors.js';
import { toDate } from '../db/datetime.js';

/** A lock record as its holder: who, and the lease's dates (a garbage date reads as none). */
export function toHolder(row: Record<string, unknown>): LockHolder {
  const owner = (row.owner ?? {}) as Record<string, unknown>;
  return {
    host: String(owner.host ?? 'unknown'),
    pid: Number(owner.pid ?? 0),
    token: String(owner.token ?? ''),
    acquiredAt: toDate(row.acquired_at),
    expiresAt: toDate(row.expires_at),
  };
}
