import { MigrationLockError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { MigrationLock } from '../lock/migration-lock.js';

/** A holder whose lease was taken over must stop: another process now runs the migrations. */
export function ensureLeaseHeld(
  lock: Pick<MigrationLock, 'lost'>,
  /** The migration about to run; without a version, a repeatable definition. */
  migration: Pick<MigrationFile, 'file'> & { version?: number },
): void {
  if (lock.lost) {
    throw new MigrationLockError(undefined, 0, {
      lost: true,
      detail: `before ${migration.version === undefined ? 'repeatable definition' : `migration ${migration.version}`} (${migration.file})`,
    });
  }
}
