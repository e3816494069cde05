import { Logger, Module, Scope, type DynamicModule, type Provider } from '@nestjs/common';
import { MigrationEvents } from '../core/events/migration-events.js';
import { MigrationManager } from '../core/manager/migration-manager.js';
import { MigrationRunner } from '../core/runner/migration-runner.js';
import type { MigrationsOptions } from '../core/options/options.js';
import { MigrationsBootstrap } from './migrations.bootstrap.js';
import {
  MIGRATIONS_OPTIONS,
  MigrationsConfigurableModule,
  type MigrationsModuleAsyncOptions,
  type MigrationsModuleOptions,
} from './migrations.module-definition.js';
import { MIGRATIONS_READY } from './migrations.ready.js';

const providers: Provider[] = [
  {
    provide: MigrationManager,
    useFactory: (options: MigrationsOptions) =>
      MigrationManager.create({ ...options, logger: options.logger ?? new Logger('Migrations') }),
    inject: [MIGRATIONS_OPTIONS],
  },
  { provide: MigrationRunner, useFactory: (manager: MigrationManager) => manager.runner, inject: [MigrationManager] },
  { provide: MigrationEvents, useFactory: (manager: MigrationManager) => manager.events, inject: [MigrationManager] },
  MigrationsBootstrap,
  {
    provide: MIGRATIONS_READY,
    // Transient: Nest builds it only for a provider that injects it. A singleton would be built
    // with the module, and so move every app's migrations out of OnApplicationBootstrap.
    scope: Scope.TRANSIENT,
    useFactory: (bootstrap: MigrationsBootstrap) => bootstrap.readyForProvider(),
    inject: [MigrationsBootstrap],
  },
];
const exported = [MigrationManager, MigrationRunner, MigrationEvents, MIGRATIONS_READY];

/**
 * Keeps a SurrealDB schema in step with a folder of migration scripts, and provides
 * `MigrationManager`, `MigrationRunner`, `MigrationEvents` and `MIGRATIONS_READY`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     MigrationsModule.forRoot({
 *       url: 'surrealkv://data/app.db', namespace: 'app', database: 'app',
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class MigrationsModule extends MigrationsConfigurableModule {
  static override forRoot(options: MigrationsModuleOptions): DynamicModule {
    return withProviders(super.forRoot(options));
  }

  static override forRootAsync(options: MigrationsModuleAsyncOptions): DynamicModule {
    return withProviders(super.forRootAsync(options));
  }
}

function withProviders(module: DynamicModule): DynamicModule {
  return {
    ...module,
    providers: [...(module.providers ?? []), ...providers],
    exports: [...(module.exports ?? []), ...exported],
  };
}
