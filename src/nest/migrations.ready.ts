import type { MigrationResult } from '../core/runner/migration-runner.js';

/**
 * Inject it in a provider that needs the schema before `OnApplicationBootstrap`: one that seeds data
 * or warms a cache in its own `onModuleInit` (Nest calls every `onModuleInit` before any
 * `onApplicationBootstrap`, where the module applies the migrations by default). Such a provider is
 * built only once `manager.bootstrap()` has finished, as `mode` says ('apply' applies what is
 * pending, 'validate' checks, 'off' does nothing); the bootstrap hook then shares that same run.
 * A failure rejects the creation of the app (`NestFactory.create`, `Test...compile()`).
 *
 * The value is what this process applied (empty when nothing was pending, and in modes 'validate'
 * and 'off').
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Seeder implements OnModuleInit {
 *   constructor(@Inject(MIGRATIONS_READY) _ready: MigrationsReady, private readonly manager: MigrationManager) {}
 *   async onModuleInit() {
 *     await this.manager.db.query('UPSERT settings:app SET theme = "dark"');
 *   }
 * }
 * ```
 */
export const MIGRATIONS_READY: unique symbol = Symbol('MIGRATIONS_READY');

/** The value of {@link MIGRATIONS_READY}: the migrations this process applied at bootstrap. */
export type MigrationsReady = readonly MigrationResult[];
