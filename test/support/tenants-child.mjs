// A replica over many tenants in a child process, for the targets race: it connects (and resolves
// its targets), prints READY, and starts migrating only on SIGUSR2, so several replicas released
// together race for the same tenants. Then it prints one JSON report and exits 0 (1 on failure).
// Usage: node tenants-child.mjs <manager|nest> <url> <migrationsDir> <jsonOptions>
// jsonOptions: MigrationsOptions without functions; `allDatabases: "<ns>"` sets
// `targets: allDatabases(ns)`.
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MigrationManager, MigrationsModule, allDatabases } from '../../dist/index.js';

const [kind, url, directory, extra = '{}'] = process.argv.slice(2);
const { allDatabases: namespace, ...options } = JSON.parse(extra);
const log = (message) => process.stderr.write(`[${process.pid}] ${message}\n`);
const released = new Promise((resolve) => process.once('SIGUSR2', resolve));
/** Every `migrated` event, as `{ namespace, database, version, byAnother }`. */
const migrated = [];
const settings = {
  url,
  directory,
  logger: { log, warn: log, error: log },
  lock: { retryMs: 20 },
  on: {
    migrated: (e) =>
      migrated.push({
        namespace: e.target?.namespace,
        database: e.target?.database,
        version: e.version,
        byAnother: e.byAnother,
      }),
  },
  ...options,
  ...(namespace === undefined ? {} : { targets: allDatabases(namespace) }),
};
const brief = (results) =>
  results.map((r) => ({
    namespace: r.target?.namespace,
    database: r.target?.database,
    version: r.version,
    byAnother: r.byAnother,
  }));

let close = async () => {};
let code = 0;
try {
  let start;
  if (kind === 'nest') {
    class AppModule {}
    Module({ imports: [MigrationsModule.forRoot(settings)] })(AppModule);
    // Builds the providers: the manager connects and resolves its targets; nothing is migrated
    // before init(), where the module's bootstrap hook runs.
    const app = await NestFactory.create(AppModule, { logger: false });
    close = () => app.close();
    start = async () => {
      await app.init();
      return { targets: app.get(MigrationManager).targets.length, results: undefined };
    };
  } else {
    const manager = await MigrationManager.create(settings);
    close = () => manager.close();
    start = async () => ({ targets: manager.targets.length, results: brief(await manager.runMigrationUp()) });
  }
  process.stdout.write('READY\n');
  await released;
  const { targets, results } = await start();
  process.stdout.write(`${JSON.stringify({ ok: true, targets, migrated, results })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: error.code, message: error.message, migrated })}\n`);
  code = 1;
} finally {
  await close().catch(() => {});
}
process.exit(code);
