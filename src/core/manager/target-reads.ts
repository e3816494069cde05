/**
 * A read over many targets summed up: each target's status or probe (or why it could not be
 * read), and the sum of them.
 */
import type { TargetOutcome } from '../tenants/targets.js';
import type { MigrationStatus, MigrationsProbe, TargetProbe, TargetStatus } from './reports.js';

/** status() with `targets`: each target's, and the sum of them. */
export function sumStatuses(
  outcomes: readonly TargetOutcome<Omit<MigrationStatus, 'targets'>>[],
  latestVersion: number,
  redact: (text: string) => string,
): MigrationStatus {
  const entries: TargetStatus[] = outcomes.map((o) => {
    const { namespace, database } = o.target;
    if (o.state === 'done') return { namespace, database, ...o.value, error: null };
    const error = o.state === 'failed' ? redact(o.error.message) : 'not read (stopped)';
    return { namespace, database, ...emptyStatus(latestVersion), ok: false, error };
  });
  const read = entries.filter((e) => e.error === null);
  const union = <T extends { version: number }>(pick: (e: TargetStatus) => readonly T[]): T[] => {
    const byVersion = new Map<number, T>();
    for (const entry of read)
      for (const item of pick(entry)) if (!byVersion.has(item.version)) byVersion.set(item.version, item);
    return [...byVersion.values()].sort((a, b) => a.version - b.version);
  };
  const everywhere = read
    .slice(1)
    .reduce(
      (applied, entry) => applied.filter((a) => entry.applied.some((b) => b.version === a.version)),
      read[0]?.applied ?? [],
    );
  return {
    currentVersion: read.length > 0 ? Math.min(...read.map((e) => e.currentVersion)) : 0,
    latestVersion,
    applied: everywhere,
    pending: union((e) => e.pending),
    drifted: union((e) => e.drifted),
    missing: union((e) => e.missing),
    future: union((e) => e.future),
    failed: read.flatMap((e) => e.failed),
    repeatable: {
      pending: byName(read.flatMap((e) => e.repeatable.pending)),
      deleted: byName(read.flatMap((e) => e.repeatable.deleted)),
    },
    ok: entries.every((e) => e.ok),
    targets: entries,
  };
}

/** probe() with `targets`: each target's probe, and the sum of them. */
export function sumProbes(
  outcomes: readonly TargetOutcome<MigrationsProbe>[],
  latestVersion: number,
  redact: (text: string) => string,
): MigrationsProbe {
  const targets: TargetProbe[] = outcomes.map((o) => {
    const { namespace, database } = o.target;
    if (o.state === 'done') {
      const { currentVersion, pending, failed, unreadable } = o.value;
      return { namespace, database, currentVersion, pending, failed, unreadable, error: null };
    }
    const error = o.state === 'failed' ? redact(o.error.message) : 'not probed (stopped)';
    return { namespace, database, currentVersion: 0, pending: 0, failed: [], unreadable: 0, error };
  });
  const read = targets.filter((t) => t.error === null);
  return {
    currentVersion: read.length > 0 ? Math.min(...read.map((t) => t.currentVersion)) : 0,
    latestVersion,
    pending: read.reduce((sum, t) => sum + t.pending, 0),
    failed: [...new Set(read.flatMap((t) => t.failed))].sort((a, b) => a - b),
    unreadable: read.reduce((sum, t) => sum + t.unreadable, 0),
    lock: null,
    targets,
  };
}

/** The status of a target that could not be read. */
function emptyStatus(latestVersion: number): Omit<MigrationStatus, 'targets' | 'ok'> {
  return {
    currentVersion: 0,
    latestVersion,
    applied: [],
    pending: [],
    drifted: [],
    missing: [],
    future: [],
    failed: [],
    repeatable: { pending: [], deleted: [] },
  };
}

/** Each name once (the first target's entry), in name order. */
function byName<T extends { name: string }>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
