// A migrator in a child process whose event listeners all fail: an async listener on every event
// rejects with `null`, an option handler on every event throws `undefined`. In a process of its own,
// an unhandled rejection is fatal (Node's default), so the exit code shows whether one escaped.
// Usage: node listener-fault-child.mjs <migrationsDir>
// Prints one line of JSON: { ok: true, applied, lockHolder, warnings } or { ok: false, message }.
import { MigrationManager } from '../../dist/index.js';
import { MEM } from './engine-env.mjs';

const [directory] = process.argv.slice(2);
const EVENTS = ['migrating', 'migrated', 'failed', 'rollingBack', 'rolledBack', 'lockWaiting', 'lockAcquired'];
const warnings = [];
const logger = { log: () => undefined, error: () => undefined, warn: (message) => warnings.push(message) };
const on = Object.fromEntries(
  EVENTS.map((name) => [
    name,
    () => {
      throw undefined;
    },
  ]),
);

const manager = await MigrationManager.create({ ...MEM, namespace: 't', database: 't', directory, logger, on });
for (const name of EVENTS) {
  manager.events.on(name, async () => {
    await Promise.resolve();
    throw null;
  });
}
let report;
try {
  const applied = (await manager.runMigrationUp()).map((r) => r.version);
  const lockHolder = (await manager.lockHolder()) ?? null;
  report = { ok: true, applied, lockHolder, warnings };
} catch (error) {
  report = { ok: false, message: error instanceof Error ? error.message : String(error) };
}
await manager.close();
// One more turn of the event loop: an unhandled rejection would end the process before it.
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(`${JSON.stringify(report)}\n`);
