/**
 * Lists of targets (`{ namespace, database }`): checking one, and a target's display key and identity.
 */
import { MigrationOptionsError } from '../support/errors.js';
import type { MigrationTarget } from '../support/target.js';

/**
 * Checks a list of targets (the option, or what a `targets` function returned): each a
 * `{ namespace, database }` of non-empty names, none twice (two runs on one database would only
 * wait for each other's lock). Returns it as a frozen copy.
 */
export function checkTargets(value: unknown, field: string): readonly MigrationTarget[] {
  if (!Array.isArray(value)) {
    throw new MigrationOptionsError(
      field,
      `expected a list of \`{ namespace, database }\`, got ${describeValue(value)}.`,
    );
  }
  const seen = new Set<string>();
  const targets = value.map((entry: unknown, index) => {
    const t = entry as Partial<MigrationTarget> | null;
    if (
      t === null ||
      typeof t !== 'object' ||
      typeof t.namespace !== 'string' ||
      !t.namespace ||
      typeof t.database !== 'string' ||
      !t.database
    ) {
      throw new MigrationOptionsError(
        `${field}[${index}]`,
        `expected \`{ namespace, database }\` with both names, got ${describeValue(entry)}.`,
      );
    }
    // Keyed by both names apart: `a/b` + `c` is not `a` + `b/c`.
    const id = JSON.stringify([t.namespace, t.database]);
    if (seen.has(id)) {
      throw new MigrationOptionsError(`${field}[${index}]`, `${targetKey(t as MigrationTarget)} is listed twice.`);
    }
    seen.add(id);
    return Object.freeze({ namespace: t.namespace, database: t.database });
  });
  return Object.freeze(targets);
}

/** `namespace/database`, as logs, errors and the CLI name a target. */
export function targetKey(target: MigrationTarget): string {
  return `${target.namespace}/${target.database}`;
}

/**
 * What a value is, without its contents: a `targets` function may return rows of a tenants table,
 * whose other columns (keys, connection strings) must not reach a log.
 */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).slice(0, 10);
    return keys.length > 0 ? `an object with the keys ${keys.join(', ')}` : 'an empty object';
  }
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

/** A target's identity, for maps and sets (`targetKey`'s `ns/db` is for display: names may hold a `/`). */
export function targetId(target: MigrationTarget): string {
  return JSON.stringify([target.namespace, target.database]);
}
