export {
  DEFAULT_HEALTH_TIMEOUT_MS,
  MigrationsHealthIndicator,
  type MigrationsHealthCheckOptions,
} from './migrations.health.js';
export type { MigrationsProbe } from '../core/manager/reports.js';
