// `npm run bench`: runs the cases against the built library, prints a table and writes
// bench/results.json. `node bench/run.mjs --only a,c` runs some of them.
// Exits explicitly: the embedded engine keeps the process alive once an index is defined.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanup, connect, migrationScript, migrationsFolder } from './stats.mjs';

// f first: its child process inherits this process's RSS in maxRSS, smallest now.
const CASES = ['f', 'a', 'b', 'c', 'd', 'e', 'g', 'lint', 'drift', 'types', 'tenants', 'rows'];
const { values } = parseArgs({ options: { only: { type: 'string' } } });
const selected = values.only ? values.only.split(',') : CASES;

async function main() {
  const started = Date.now();
  const probe = await connect();
  const { version } = await probe.version();
  await probe.close();
  const environment = {
    date: new Date().toISOString(),
    node: process.version,
    surrealdb: version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryMB: Math.round(os.totalmem() / 1024 / 1024),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };

  log('generating migration folders…');
  const context = {
    folder500: await migrationsFolder(500),
    scripts500: Array.from({ length: 500 }, (_, i) => migrationScript(i + 1)),
    folder50: await migrationsFolder(50),
    folders: { 1000: await migrationsFolder(1000), 10000: await migrationsFolder(10_000) },
  };
  context.folder10k = context.folders[10000];

  const rows = [];
  for (const id of selected) {
    log(`case ${id}…`);
    const { run } = await import(`./case-${id}.mjs`);
    const t = Date.now();
    rows.push(...(await run(context)));
    log(`case ${id} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  await cleanup();
  rows.sort((x, y) => x.case.localeCompare(y.case));

  const results = { environment, durationS: (Date.now() - started) / 1000, rows };
  await writeFile(fileURLToPath(new URL('./results.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\n${environment.cpu}, ${environment.cores} cores, ${environment.memoryMB} MB; Node ${environment.node}; ${environment.surrealdb}`,
  );
  console.log(table(rows));
  const missed = rows.filter((r) => r.pass === false).length;
  console.log(
    `\n${missed ? `${missed} MISS` : 'all PASS'}; ${results.durationS.toFixed(0)} s; written bench/results.json`,
  );
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

function fmt(value) {
  if (value === undefined) return '';
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(rows) {
  const header = ['case', 'figure', 'median', 'min', 'max', 'n', 'unit', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.case,
    r.metric,
    fmt(r.median),
    fmt(r.min),
    fmt(r.max),
    String(r.n),
    r.unit,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i >= 2 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
