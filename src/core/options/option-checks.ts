/** Checks of single option values, each throwing MigrationOptionsError naming the field. */
import { MigrationOptionsError } from '../support/errors.js';

/** A misspelt option (`directry`, `lock: { ttl }`) would otherwise be ignored without a word. */
export function unknownKeys(value: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new MigrationOptionsError(`${prefix}${key}`, `unknown option; the options are ${known.join(', ')}.`);
    }
  }
}

export function requireName(value: unknown, field: string): void {
  if (typeof value !== 'string' || !value) {
    throw new MigrationOptionsError(field, 'required with `url`; name the SurrealDB ' + field + '.');
  }
}

export function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MigrationOptionsError(field, `expected a positive number of milliseconds, got ${String(value)}.`);
  }
  return value;
}

export function nonNegative(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new MigrationOptionsError(field, `expected a number >= 0, got ${String(value)}.`);
  }
  return value;
}

export function wholeNumber(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MigrationOptionsError(field, `expected a whole number >= 0, got ${String(value)}.`);
  }
  return value;
}

export function atMost(value: number, max: number, field: string): void {
  if (value > max) {
    throw new MigrationOptionsError(field, `must be at most ${max}${field.endsWith('Ms') ? ' ms' : ''}, got ${value}.`);
  }
}

export function flag(value: boolean | undefined, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new MigrationOptionsError(field, `expected true or false, got ${String(value)}.`);
  }
  return value;
}
