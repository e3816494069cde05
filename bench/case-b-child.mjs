// f. Peak memory of case b in a process of its own.
// Usage: node bench/case-b-child.mjs <folder of 500 migrations> <module|floor>
// Prints one JSON line: { baselineRss, peakRss, maxRss, maxRssAtStart } in bytes.
import { readFile } from 'node:fs/promises';
import { MigrationManager } from '../dist/index.js';
import { connect } from './stats.mjs';

const [folder, variant = 'module'] = process.argv.slice(2);
// Linux carries the parent's RSS at fork into ru_maxrss: this is the floor of what maxRSS can show.
const maxRssAtStart = process.resourceUsage().maxRSS * 1024;
const db = await connect();
const manager = await MigrationManager.create({ client: db, directory: folder, logger: false });
const scripts = await Promise.all(manager.upMigrations.map((m) => readFile(m.path, 'utf8')));

const baselineRss = process.memoryUsage().rss;
let peakRss = baselineRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
if (variant === 'module') {
  await manager.runMigrationUp();
} else {
  for (const script of scripts) await db.query(script);
}
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const maxRss = process.resourceUsage().maxRSS * 1024;
await db.close();
process.stdout.write(`${JSON.stringify({ variant, baselineRss, peakRss, maxRss, maxRssAtStart })}\n`);
process.exit(0);
