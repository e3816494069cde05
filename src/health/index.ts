export { MigrationsHealthIndicator } from './migrations.health.js';
