import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MigrationManager } from '../core/migration-manager.js';

/**
 * Applies (or validates) the migrations in `onApplicationBootstrap`, so `app.listen()` opens its
 * port only once the schema is current, and a failure rejects `app.init()`/`listen()`.
 * On shutdown, a run in progress finishes its current migration (commit or rollback), the lock is
 * released, and a connection the module opened is closed.
 */
@Injectable()
export class MigrationsBootstrap implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(MigrationManager) private readonly manager: MigrationManager) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.manager.bootstrap();
  }

  async onModuleDestroy(): Promise<void> {
    await this.manager.close();
  }
}
