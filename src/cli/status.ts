/**
 * The reading commands on one database: `status` (with its list of migrations), `drift`, and the
 * one-line warning about an empty database that `status`, `up` and `dry-run` give.
 */
import type { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationStatus } from '../core/manager/reports.js';
import { redactUrl } from '../core/options/urls.js';
import { describeComputed } from '../core/analysis/computed-definitions.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, type CliOutput, type Mark } from './output.js';
import { ok, type Outcome } from './outcome.js';
import { printRepeatables, printRows, type Row } from './rows.js';

/** `drift`: what was changed by hand, object by object; exit 4 when anything was. */
export async function driftOutcome(manager: MigrationManager, out: CliOutput): Promise<Outcome> {
  const report = await manager.drift({ onProgress: out.progress('drift') });
  for (const d of report.drift) {
    const what = `${d.kind} ${d.name}${d.table ? ` on ${d.table}` : ''}`;
    out.print(
      d.change === 'added'
        ? `added    ${what}: ${d.live}`
        : d.change === 'removed'
          ? `removed  ${what}: expected ${d.expected}`
          : `changed  ${what}:\n  live:     ${d.live}\n  expected: ${d.expected}`,
    );
  }
  // Once each, never as drift: what the engine computed when it ran the DEFINE.
  for (const c of report.computed) out.print(`computed ${describeComputed(c)}`);
  if (report.pending.length > 0) {
    out.print(
      `${report.pending.length} migration(s) pending, not part of the comparison: ${report.pending.map((p) => p.version).join(', ')}.`,
    );
  }
  out.print(
    report.ok
      ? 'No drift: the schema is what the applied migrations make it.'
      : `${report.drift.length} object(s) drifted.`,
  );
  // Every key in every entry: null where the object is only live, or only expected.
  const drift = report.drift.map((d) => ({
    ...d,
    table: d.table ?? null,
    live: d.live ?? null,
    expected: d.expected ?? null,
  }));
  const computed = report.computed.map((c) => ({ ...c, table: c.table ?? null, message: describeComputed(c) }));
  const document = { drift, pending: report.pending, computed };
  if (report.ok) return ok(document);
  return {
    exitCode: EXIT.check,
    document: {
      ...document,
      error: { code: 'DRIFT', message: `${report.drift.length} object(s) drifted from the migrations.` },
    },
  };
}

/**
 * A database with no tables at all, said in one line: a typo in --ns, --db or a `surrealkv://`
 * path opens a new, empty database, which `up` would then build a schema in.
 */
export async function reportEmpty(manager: MigrationManager, out: CliOutput, names: string): Promise<boolean> {
  if (!(await manager.isEmpty())) return false;
  const { url, namespace, database } = manager.settings;
  // A read leaves a database that does not exist as it is; `up` or `baseline` creates it.
  const missing = (await manager.databaseMissing())
    ? ' It does not exist yet, and reading it created nothing (`up` creates it).'
    : '';
  out.warn(
    `The database ${namespace ?? '?'}/${database ?? '?'}${url ? ` at ${url}` : ''} is empty: it has no tables.` +
      `${missing} If you expected a schema there, check ${names} and the URL (or the path).`,
  );
  return true;
}

/** Where the command line names the database, for {@link reportEmpty}'s advice. */
export const SINGLE_DATABASE = '--ns, --db';

export async function status(
  manager: MigrationManager,
  check: boolean,
  out: CliOutput,
  names: string,
): Promise<Outcome> {
  const empty = await reportEmpty(manager, out, names);
  // The CLI's `ok` says whether the command succeeded (`--check` makes "nothing to do" a condition
  // of it); the one database's entry of `targets` repeats the rest.
  const { ok: current, targets: _targets, ...state } = await manager.status();
  const lock = await manager.lockHolder();
  const { url, namespace, database, directory, table } = manager.settings;
  const target = { url: url === undefined ? undefined : redactUrl(url), namespace, database, directory, table };

  out.print(`${out.bold('Database')}    ${target.url} (namespace ${namespace}, database ${database})`);
  out.print(
    `${out.bold('Migrations')}  ${directory}: current version ${state.currentVersion}, latest ${state.latestVersion}`,
  );
  if (lock) {
    out.print(
      `${out.bold('Lock')}        held by ${lock.host} pid ${lock.pid}` +
        (lock.expiresAt ? ` until ${lock.expiresAt.toISOString()}` : ''),
    );
  }
  printStatusRows(state, out);
  printRepeatables(out, state.repeatable);

  const counts = {
    pending: state.pending.length,
    failed: state.failed.length,
    drifted: state.drifted.length,
    missing: state.missing.length,
    repeatable: state.repeatable.pending.length,
  };
  const summary =
    `${state.applied.length} applied, ${counts.pending} pending, ${counts.failed} failed, ` +
    `${counts.drifted} changed, ${counts.missing} missing` +
    (counts.repeatable > 0 ? `; ${counts.repeatable} repeatable definition(s) to apply` : '');
  out.print('');
  out.print(summary);
  // `current`: nothing pending, failed, changed or missing (what --check makes a condition of `ok`).
  const document = { target, ...state, current, lock: lock ?? null, ...(empty ? { empty } : {}) };
  if (check && Object.values(counts).some((n) => n > 0)) {
    const message = `status --check: ${summary}.`;
    out.note(message);
    return { exitCode: EXIT.check, document: { ...document, error: { code: 'CHECK_FAILED', message, ...counts } } };
  }
  return ok(document);
}

function printStatusRows(state: Omit<MigrationStatus, 'ok' | 'targets'>, out: CliOutput): void {
  const missing = new Set(state.missing.map((m) => m.version));
  const rows: Row[] = [];
  for (const a of state.applied) {
    const mark: Mark = missing.has(a.version)
      ? 'missing'
      : a.verified === false
        ? 'changed'
        : a.verified === null
          ? 'unverified'
          : 'applied';
    const details = [
      a.appliedAt ? `applied ${a.appliedAt.toISOString()}` : 'applied',
      a.durationMs === undefined ? '' : `in ${formatDuration(a.durationMs)}`,
      mark === 'missing' ? '(its file is missing)' : '',
      mark === 'changed' ? '(its file changed since)' : '',
      mark === 'unverified' ? '(no checksum stored; `repair` records one)' : '',
    ]
      .filter(Boolean)
      .join(' ');
    rows.push({ mark, version: a.version, name: a.name, details });
  }
  for (const p of state.pending) rows.push({ mark: 'pending', version: p.version, name: p.name, details: p.file });
  for (const f of state.failed) {
    const details =
      `${f.file}: ${f.statementsApplied}/${f.statementCount} statement(s) applied, then: ${f.error} ` +
      `(fix the database, then \`resolve ${f.version} --applied|--rolled-back|--resume-after <n>\`)`;
    rows.push({
      mark: 'failed',
      version: f.version,
      name: f.name,
      details: `${f.inProgress ? '(in progress) ' : ''}${details}`,
    });
  }
  if (rows.length === 0) return;
  out.print('');
  printRows(
    out,
    rows.sort((a, b) => a.version - b.version),
  );
}
