// Preloaded with `node --import <this file> dist/cli/surreal-migrate.js …`: once the CLI's manager
// is created (connected, its targets resolved), it writes `barrier:ready` to stderr and hands the
// manager to the command only once a line arrives on stdin. Several processes released together
// then start their command's work at the same moment, each already connected. A CLI that no longer
// creates its manager through MigrationManager.create never writes the line: the test waiting for
// it fails when the process exits.
const { MigrationManager } = await import(
  new URL('../../dist/core/manager/migration-manager.js', import.meta.url).href
);
const create = MigrationManager.create;
MigrationManager.create = async function createThenWait(...args) {
  const manager = await create.apply(this, args);
  process.stderr.write('barrier:ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  return manager;
};
