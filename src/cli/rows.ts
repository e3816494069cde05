/** Migration lists as the CLI prints them: marker, version, name, details, in aligned columns. */
import type { CliOutput, Mark } from './output.js';
import type { RepeatableReport } from '../core/manager/reports.js';

/** One line of a migration list: marker, version, name, details. */
export interface Row {
  mark?: Mark;
  version: number;
  name: string;
  details: string;
}

export interface Columns {
  version: number;
  name: number;
  marked: boolean;
}

export function columnsOf(items: readonly { version: number; name: string; mark?: Mark }[], marked = false): Columns {
  return {
    marked: marked || items.some((i) => i.mark !== undefined),
    version: Math.max(1, ...items.map((i) => String(i.version).length)),
    name: Math.max(1, ...items.map((i) => displayName(i.name).length)),
  };
}

export function printRows(out: CliOutput, rows: readonly Row[]): void {
  const columns = columnsOf(rows);
  for (const r of rows) out.print(formatRow(out, r, columns));
}

export function formatRow(out: CliOutput, row: Row, columns: Columns): string {
  const mark = row.mark ? `${out.mark(row.mark)}  ` : columns.marked ? `${out.blankMark()}  ` : '  ';
  const version = String(row.version).padStart(columns.version);
  return `${mark}${version}  ${displayName(row.name).padEnd(columns.name)}  ${out.dim(row.details)}`;
}

function displayName(name: string): string {
  return name || '(unnamed)';
}

/**
 * The repeatable definitions of a status or a plan, under a heading: each changed file, pending,
 * and each record whose file is gone. Nothing when there is neither.
 */
export function printRepeatables(out: CliOutput, report: RepeatableReport): void {
  if (report.pending.length === 0 && report.deleted.length === 0) return;
  out.print('');
  out.print(`${out.bold('Repeatable')}  definitions to apply after the versions, in this order:`);
  const width = Math.max(1, ...[...report.pending, ...report.deleted].map((r) => r.name.length));
  for (const p of report.pending) out.print(`${out.mark('pending')}  ${p.name.padEnd(width)}  ${out.dim(p.file)}`);
  for (const d of report.deleted) {
    const details = 'its file is gone; what it defined stays (remove it in a migration, then `repair`)';
    out.print(`${out.mark('missing')}  ${d.name.padEnd(width)}  ${out.dim(details)}`);
  }
}
