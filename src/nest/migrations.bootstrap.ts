import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MigrationManager } from '../core/manager/migration-manager.js';
import type { MigrationsReady } from './migrations.ready.js';

/**
 * The module's lifecycle.
 *
 * - Start: `manager.bootstrap()` runs once, in `onApplicationBootstrap` (so `app.listen()` opens its
 *   port only once the schema is current, and a failure rejects `app.init()`/`listen()`), or earlier
 *   when a provider injects `MIGRATIONS_READY`; both share one promise, so it never runs twice.
 * - Shutdown, in Nest's order: `onModuleDestroy`, `beforeApplicationShutdown`, the HTTP server
 *   closes, `onApplicationShutdown`. The runner is stopped in `beforeApplicationShutdown` (a run in
 *   progress finishes its current migration, commit or rollback, releases the lock, and no further
 *   migration starts); the connection, if the module opened it, is closed last, in
 *   `onApplicationShutdown`, so requests still in flight while the server closes can use it.
 */
@Injectable()
export class MigrationsBootstrap implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  #ready: Promise<MigrationsReady> | undefined;

  constructor(@Inject(MigrationManager) private readonly manager: MigrationManager) {}

  /** The one bootstrap run of this app: started on the first call, shared by every later one. */
  ready(): Promise<MigrationsReady> {
    this.#ready ??= this.manager.bootstrap().then((applied) => Object.freeze([...applied]));
    return this.#ready;
  }

  /**
   * {@link ready}, for the `MIGRATIONS_READY` provider: there a failure fails the app's creation,
   * the caller gets no app to close, and Nest runs no shutdown hook, so the connection is closed
   * here (it would keep the process alive).
   */
  async readyForProvider(): Promise<MigrationsReady> {
    try {
      return await this.ready();
    } catch (error) {
      await this.manager.close().catch(() => {});
      throw error;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ready();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.manager.runner.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.manager.close();
  }
}
