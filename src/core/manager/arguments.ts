/**
 * The arguments of the manager's methods, checked before anything is read or changed.
 */
import { MigrationArgumentError, type MigrationOptionsError } from '../support/errors.js';
import { type MigrationTarget } from '../options/options.js';
import { checkTargets } from '../options/target-list.js';
import type { MigrationState } from '../plan/migration-plan.js';
import type { RollbackOptions } from './reports.js';

/** `forTarget`'s target, checked as the `targets` option is. */
export function checkTarget(target: MigrationTarget): MigrationTarget {
  try {
    return (checkTargets([target], 'forTarget') as [MigrationTarget])[0];
  } catch (error) {
    throw new MigrationArgumentError(`forTarget: ${(error as MigrationOptionsError).problem}`);
  }
}

/** Refuses a version that is not a whole number >= 0. */
export function requireVersion(version: number, field: string): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new MigrationArgumentError(`${field} must be a whole number >= 0, got ${String(version)}.`);
  }
}

/** The versions a rollback undoes, newest first. Validates the arguments at once. */
export function rollbackSelector(options: RollbackOptions): (state: MigrationState) => number[] {
  const { to, steps } = options;
  if (to !== undefined && steps !== undefined) {
    throw new MigrationArgumentError('rollback: give either `to` or `steps`, not both.');
  }
  if (to !== undefined) {
    requireVersion(to, 'to');
    return (state) =>
      state.applied
        .filter((r) => r.version > to)
        .map((r) => r.version)
        .reverse();
  }
  const count = steps ?? 1;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new MigrationArgumentError(`rollback: steps must be a whole number >= 1, got ${String(steps)}.`);
  }
  return (state) =>
    state.applied
      .slice(-count)
      .map((r) => r.version)
      .reverse();
}
