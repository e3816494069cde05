// A replica in a child process: runs the built library against a database and reports in JSON.
// Usage: node fleet-child.mjs <url> <migrationsDir> [jsonOptions]
import { MigrationManager } from '../../dist/index.js';

const [url, directory, extra = '{}'] = process.argv.slice(2);
const options = JSON.parse(extra);
const log = (message) => process.stderr.write(`[${process.pid}] ${message}\n`);
let manager;
let code = 0;
try {
  manager = await MigrationManager.create({
    url,
    namespace: 'test',
    database: 'test',
    directory,
    logger: { log, warn: log, error: log },
    on: { lockAcquired: () => process.stdout.write(`LOCKED ${process.pid}\n`) },
    ...options,
  });
  const results = await manager.bootstrap();
  process.stdout.write(`${JSON.stringify({ ok: true, applied: results })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: error.code, message: error.message })}\n`);
  code = 1;
} finally {
  await manager?.close().catch(() => {});
}
process.exit(code);
