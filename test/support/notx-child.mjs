// A migrator in a child process for the no-transaction fault tests: runs the built library's
// runMigrationUp() and reports in JSON. It can hold the run at one statement, so that the parent
// kills, pauses or cuts it off exactly between two statements of a file.
// Usage: node notx-child.mjs <url> <migrationsDir> [jsonOptions]
//   jsonOptions: MigrationsOptions, plus `holdAt`: the text of a statement. When the runner is
//   about to send it, the child prints `HOLDING <pid>` and sends it only once it gets SIGCONT.
// Prints `LOCKED <pid>` once it holds the lock; last, one line of JSON:
//   { ok: true, applied } or { ok: false, name, code, lost, message }.
import { MigrationManager } from '../../dist/index.js';

const [url, directory, extra = '{}'] = process.argv.slice(2);
const { holdAt, ...options } = JSON.parse(extra);
const log = (message) => process.stderr.write(`[${process.pid}] ${message}\n`);
const print = (line) => process.stdout.write(`${line}\n`);

/** Resolves at the first SIGCONT; listening from the start, so that none is missed. */
const continued = new Promise((resolve) => process.once('SIGCONT', resolve));

/** Holds the one request whose text is `holdAt` until SIGCONT; every other goes through. */
function holdStatement(db, text) {
  const query = db.query.bind(db);
  db.query = (sql, ...rest) => {
    if (typeof sql !== 'string' || sql.trim() !== text) return query(sql, ...rest);
    return {
      responses: async () => {
        print(`HOLDING ${process.pid}`);
        // A signal listener does not keep the process alive; with its server gone, nothing else would.
        const alive = setInterval(() => {}, 60_000);
        await continued;
        clearInterval(alive);
        return query(sql, ...rest).responses();
      },
    };
  };
}

let manager;
let code = 0;
try {
  manager = await MigrationManager.create({
    url,
    namespace: 'test',
    database: 'test',
    directory,
    logger: { log, warn: log, error: log },
    on: { lockAcquired: () => print(`LOCKED ${process.pid}`) },
    ...options,
  });
  if (holdAt !== undefined) holdStatement(manager.db, holdAt);
  const applied = await manager.runMigrationUp();
  print(JSON.stringify({ ok: true, applied: applied.map((r) => r.version) }));
} catch (error) {
  print(JSON.stringify({ ok: false, name: error.name, code: error.code, lost: error.lost, message: error.message }));
  code = 1;
} finally {
  await manager?.close().catch(() => {});
}
process.exit(code);
