// A Nest app in a child process, for shutdown tests: applies migrations at bootstrap with
// shutdown hooks enabled, then serves until a signal.
// Usage: node nest-child.mjs <url> <migrationsDir> [jsonOptions]
//   jsonOptions: MigrationsOptions without functions, e.g. `{ "auth": { "username", "password" } }`.
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MigrationsModule } from '../../dist/index.js';

const [url, directory, extra = '{}'] = process.argv.slice(2);
const options = JSON.parse(extra);
const log = (message) => process.stdout.write(`${message}\n`);

class AppModule {}
Module({
  imports: [
    MigrationsModule.forRoot({
      url,
      namespace: 'test',
      database: 'test',
      directory,
      logger: { log, warn: log, error: log },
      on: { migrating: (e) => log(`MIGRATING ${e.version}`) },
      ...options,
    }),
  ],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
app.enableShutdownHooks();
try {
  await app.init();
  log('READY');
} catch (error) {
  log(`FAILED ${error.message}`);
  // Stopped by the shutdown hooks: Nest ends the process with the signal itself.
  if (error.code !== 'STOPPED') process.exit(1);
}
