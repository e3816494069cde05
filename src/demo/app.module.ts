import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MigrationsModule } from '../index.js';
import { AdminController } from './admin.controller.js';
import { migrationsOptionsFromConfig } from './demo.config.js';
import { HealthController } from './health.controller.js';

/**
 * The demo app: configuration from the environment and `.env`, the migrations applied before the
 * port opens, a liveness route and the admin routes.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    MigrationsModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: migrationsOptionsFromConfig,
    }),
  ],
  controllers: [HealthController, AdminController],
})
export class AppModule {}
