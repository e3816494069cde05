import './typed-array-realm.js';
export {
  clearMigrationTemplates,
  createMigratedDatabase,
  type MigratedDatabase,
  type MigratedDatabaseOptions,
} from './migrated-database.js';
export {
  createMigratedTenants,
  type MigratedTenant,
  type MigratedTenants,
  type MigratedTenantsOptions,
} from './migrated-tenants.js';
