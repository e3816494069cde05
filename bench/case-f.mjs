// f. Peak RSS of case b (module and floor), each once in a child process. run.mjs runs it first,
// while this process is still small (a child's maxRSS starts at its parent's RSS).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { row } from './stats.mjs';

const CHILD = fileURLToPath(new URL('./case-b-child.mjs', import.meta.url));
const MB = 1024 * 1024;

export async function run({ folder500 }) {
  const rows = [];
  for (const variant of ['floor', 'module']) {
    const { stdout } = await promisify(execFile)(process.execPath, [CHILD, folder500, variant]);
    const { baselineRss, peakRss, maxRss, maxRssAtStart } = JSON.parse(stdout.trim().split('\n').at(-1));
    const one = (value) => ({ median: value / MB, min: value / MB, max: value / MB, n: 1 });
    rows.push(row('f', `${variant}: baseline RSS before the run`, one(baselineRss), { unit: 'MB' }));
    rows.push(
      row('f', `${variant}: peak RSS (10 ms samples)`, one(peakRss), {
        unit: 'MB',
        growthMB: (peakRss - baselineRss) / MB,
      }),
    );
    // ru_maxrss starts at the parent's RSS at fork; it says something only when the child exceeded it.
    const inherited = maxRss <= maxRssAtStart;
    rows.push(
      row('f', `${variant}: maxRSS (resourceUsage)${inherited ? ', inherited from the parent' : ''}`, one(maxRss), {
        unit: 'MB',
        maxRssAtStartMB: maxRssAtStart / MB,
      }),
    );
  }
  return rows;
}
