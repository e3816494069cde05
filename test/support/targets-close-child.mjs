// A process that migrates two targets signed in as a namespace user (a token that expires, as a
// real server's do), closes the manager, and should then exit by itself at once.
// Usage: node targets-close-child.mjs <ws url> <migrations dir>
import { MigrationManager } from '../../dist/index.js';

const [url, directory] = process.argv.slice(2);
const manager = await MigrationManager.create({
  url,
  auth: { username: 'tenant_admin', password: 'Tenant-Admin-1', namespace: 'saas' },
  namespace: 'saas',
  directory,
  targets: [
    { namespace: 'saas', database: 'one' },
    { namespace: 'saas', database: 'two' },
  ],
  logger: false,
});
const results = await manager.runMigrationUp();
await manager.probe();
await manager.close();
console.log(`closed ${results.length}`);
