import { Controller, Get } from '@nestjs/common';

/**
 * `GET /health`: liveness. It answers 200 as long as the process serves requests; the port opens
 * only once the migrations are applied, so a 200 also means the schema was current at start.
 */
@Controller('health')
export class HealthController {
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
