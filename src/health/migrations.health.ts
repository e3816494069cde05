import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { MigrationManager } from '../core/migration-manager.js';

/**
 * A `@nestjs/terminus` health indicator for readiness: down while any migration is pending or a
 * no-transaction migration has a failed record. Reports the current and latest version, the
 * pending count, the failed versions and the lock holder.
 *
 * Use it for readiness, never liveness: a pending migration (say, after an admin rollback) should
 * take the replica out of the load balancer, not have it restarted.
 *
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(private health: HealthCheckService, private migrations: MigrationsHealthIndicator) {}
 *
 *   @Get('ready')
 *   @HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.migrations.isHealthy('migrations')]);
 *   }
 * }
 * ```
 */
@Injectable()
export class MigrationsHealthIndicator {
  constructor(
    @Inject(MigrationManager) private readonly manager: MigrationManager,
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    let details: Record<string, unknown>;
    try {
      const [status, holder] = await Promise.all([this.manager.status(), this.manager.lockHolder()]);
      details = {
        currentVersion: status.currentVersion,
        latestVersion: status.latestVersion,
        pending: status.pending.length,
        failed: status.failed.map((f) => f.version),
        drifted: status.drifted.map((d) => d.version),
        lock: holder
          ? { host: holder.host, pid: holder.pid, expiresAt: holder.expiresAt?.toISOString() ?? null }
          : null,
      };
      if (status.pending.length > 0 || status.failed.length > 0) return indicator.down(details);
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
    return indicator.up(details);
  }
}
