// Tiny helpers shared by the bench cases: timing, summaries, fresh databases, generated folders.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Surreal } from 'surrealdb';
import { createNodeEngines } from '@surrealdb/node';

/** Milliseconds taken by `fn`. */
export async function time(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Median, min and max of a list of numbers. */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), n: sorted.length };
}

/** A connected embedded client (`mem://` unless told), namespace and database selected. */
export async function connect(url = 'mem://', namespace = 'bench', database = 'bench') {
  const db = new Surreal({ engines: createNodeEngines() });
  await db.connect(url, { namespace, database });
  return db;
}

/** The same client, counting `query` calls (round trips). */
export function counting(db) {
  let requests = 0;
  const client = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (...args) => {
          requests++;
          return target.query(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client, count: () => requests };
}

const scratch = [];

/** A new temp folder, removed by {@link cleanup}. */
export async function tempDir(prefix = 'sbl-bench-') {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Removes every folder made by {@link tempDir}. */
export async function cleanup() {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * A realistic migration of 10 statements: a table with fields and an index, and a few writes
 * (including one touching the previous migration's table).
 */
export function migrationScript(v) {
  const t = `t${v}`;
  return [
    `-- Migration ${v}: the ${t} table`,
    `DEFINE TABLE ${t} SCHEMAFULL;`,
    `DEFINE FIELD name ON ${t} TYPE string;`,
    `DEFINE FIELD email ON ${t} TYPE option<string>;`,
    `DEFINE FIELD score ON ${t} TYPE int DEFAULT 0;`,
    `DEFINE FIELD created_at ON ${t} TYPE datetime DEFAULT time::now();`,
    `DEFINE INDEX ${t}_name ON ${t} FIELDS name;`,
    `CREATE ${t}:1 SET name = 'first of ${v}', email = 'a${v}@example.com';`,
    `CREATE ${t}:2 SET name = 'second of ${v}', score = ${v};`,
    `UPDATE ${t} SET score += 1 WHERE name CONTAINS 'first';`,
    v > 1 ? `UPDATE t${v - 1}:2 SET score = ${v};` : `UPDATE ${t}:2 SET score = 1;`,
    '',
  ].join('\n');
}

/** Writes `count` up scripts `0001_m1.surql`… into a new temp folder and returns its path. */
export async function migrationsFolder(count, script = migrationScript) {
  const dir = await tempDir();
  const width = Math.max(4, String(count).length);
  for (let start = 1; start <= count; start += 256) {
    const batch = [];
    for (let v = start; v < Math.min(start + 256, count + 1); v++) {
      batch.push(writeFile(path.join(dir, `${String(v).padStart(width, '0')}_m${v}.surql`), script(v)));
    }
    await Promise.all(batch);
  }
  return dir;
}

/** One table row: a figure's median/min/max with its unit, ratio and target. */
export function row(caseId, metric, summary, extra = {}) {
  return { case: caseId, metric, ...summary, ...extra };
}

const RELAY_CLI = fileURLToPath(new URL('../test/support/ws-relay-cli.mjs', import.meta.url));

/**
 * The ws relay in a child process (its own event loop, like a server): resolves its url and a
 * stop(). Its graceful close can hang once indexes exist; it gets 2 s, then SIGKILL.
 */
export function startRelay(caseId) {
  const child = spawn(process.execPath, [RELAY_CLI, '--path', 'mem://'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ready = /READY (\S+)/.exec(out);
      if (ready) resolve({ url: ready[1], stop });
    });
    exited.then((code) => reject(new Error(`case ${caseId}: the relay exited (${code}) before READY`)));
  });
}
