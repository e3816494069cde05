// Preloaded with `node --import <this file> dist/cli/surreal-migrate.js …`: writes
// `marker:migrating <ns>/<db> <version>` to stderr as each migration starts, from the `migrating`
// event of the CLI's manager (a target manager's events reach it too). The event comes once the
// migration is past the runner's last stop check and on its way to the database: a stop requested
// after the marker lets that migration finish. Tests wait for the line instead of guessing a delay.
const { MigrationManager } = await import(
  new URL('../../dist/core/manager/migration-manager.js', import.meta.url).href
);
const create = MigrationManager.create;
MigrationManager.create = async function createWithMarkers(...args) {
  const manager = await create.apply(this, args);
  manager.events.on('migrating', (e) => {
    const where = e.target ? `${e.target.namespace}/${e.target.database}` : '-';
    process.stderr.write(`marker:migrating ${where} ${e.version}\n`);
  });
  return manager;
};
