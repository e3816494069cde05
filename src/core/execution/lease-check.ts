import { MigrationLockError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { MigrationLock } from '../lock/migration-lock.js';

/** A holder whose lease was taken over must stop: another process now runs the migrations. */
export function ensureLeaseHeld(
  lock: Pick<MigrationLock, 'lost'>,
  migration: Pick<MigrationFile, 'version' | 'file'>,
): void {
  if (lock.lost) {
    throw new MigrationLockError(undefined, 0, {
      lost: true,
      detail: `before migration ${migration.version} (${migration.file})`,
    });
  }
}
