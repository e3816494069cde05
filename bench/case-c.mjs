// c. Discovery and checksums of 1 000 and 10 000 files, timed on the discovery function itself.
import { discoverMigrations } from '../dist/core/files/migration-files.js';
import { row, summarize, time } from './stats.mjs';

export async function run({ folders, runs = 7 }) {
  const medians = {};
  const rows = [];
  for (const [count, dir] of Object.entries(folders)) {
    const found = await discoverMigrations(dir); // warm-up (and the page cache)
    if (found.up.length !== Number(count)) throw new Error(`case c: found ${found.up.length} of ${count}`);
    const samples = [];
    for (let r = 0; r < runs; r++) samples.push(await time(() => discoverMigrations(dir)));
    const s = summarize(samples);
    medians[count] = s.median;
    const perThousand = s.median / (Number(count) / 1000);
    const big = Number(count) >= 10_000;
    rows.push(
      row('c', `discoverMigrations, ${count} files`, s, {
        unit: 'ms',
        perThousandFiles: perThousand,
        ...(big ? { target: '< 300 ms', pass: s.median < 300 } : {}),
      }),
    );
  }
  const [small, large] = Object.keys(medians)
    .map(Number)
    .sort((a, b) => a - b);
  const growth = medians[large] / medians[small];
  const linear = large / small;
  rows.push(
    row(
      'c',
      `growth ${large}/${small} files (linear = ${linear})`,
      { median: growth, min: growth, max: growth, n: 1 },
      {
        unit: 'x',
        target: `<= ${linear * 1.2} (linear)`,
        pass: growth <= linear * 1.2,
      },
    ),
  );
  return rows;
}
