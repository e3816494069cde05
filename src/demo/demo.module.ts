import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { MigrationsHealthIndicator } from '../health/index.js';
import { MigrationsModule } from '../index.js';
import { AdminController } from './admin.controller.js';
import { migrationsOptionsFromConfig } from './demo.config.js';
import { HealthController } from './health.controller.js';

/**
 * Everything of the demo but where its configuration comes from: the migrations applied before the
 * port opens (options from `ConfigService`), liveness and readiness routes, and the admin routes.
 * It needs a global `ConfigModule`: `AppModule` gives it the environment and `.env`, a test its own
 * settings.
 */
@Module({
  imports: [
    MigrationsModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: migrationsOptionsFromConfig,
    }),
    TerminusModule,
  ],
  controllers: [HealthController, AdminController],
  providers: [MigrationsHealthIndicator],
})
export class DemoModule {}
