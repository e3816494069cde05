export {
  clearMigrationTemplates,
  createMigratedDatabase,
  type MigratedDatabase,
  type MigratedDatabaseOptions,
} from './migrated-database.js';
