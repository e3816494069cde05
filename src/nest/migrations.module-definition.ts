import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MigrationsOptions } from '../core/options/options.js';

/** Module options: the core options plus `isGlobal`. */
export const {
  ConfigurableModuleClass: MigrationsConfigurableModule,
  MODULE_OPTIONS_TOKEN: MIGRATIONS_OPTIONS,
  OPTIONS_TYPE: MIGRATIONS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MIGRATIONS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MigrationsOptions>({ moduleName: 'Migrations' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** `MigrationsModule.forRoot(...)` options. */
export type MigrationsModuleOptions = typeof MIGRATIONS_OPTIONS_TYPE;
/** `MigrationsModule.forRootAsync(...)` options. */
export type MigrationsModuleAsyncOptions = typeof MIGRATIONS_ASYNC_OPTIONS_TYPE;
