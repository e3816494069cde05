export { createMigratedDatabase, type MigratedDatabase, type MigratedDatabaseOptions } from './migrated-database.js';
export { clearMigrationTemplates } from './template.js';
