import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { MigrationsHealthIndicator } from '../health/index.js';

/**
 * - `GET /health`: liveness. It answers 200 as long as the process serves requests; the port opens
 *   only once the migrations are applied, so a 200 also means the schema was current at start.
 * - `GET /health/ready`: readiness. 200 while the schema is current, 503 while any migration is
 *   pending or failed (say, after an admin rollback): the replica leaves the load balancer but is
 *   not restarted, since liveness still answers 200.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(MigrationsHealthIndicator) private readonly migrations: MigrationsHealthIndicator,
  ) {}

  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.migrations.isHealthy('migrations')]);
  }
}
