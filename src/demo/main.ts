import { Logger, type INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { MigrationsStoppedError } from '../index.js';
import { portFromConfig } from './demo.config.js';

/*
 * The demo app. The migrations run in the bootstrap hook, inside `app.listen()`: when one fails,
 * listen rejects before the port opens, and the process exits with status 1.
 */
const logger = new Logger('Demo');
let app: INestApplication | undefined;
try {
  // abortOnError: false makes Nest reject instead of exiting on its own, so the catch below decides.
  app = await NestFactory.create(AppModule, { abortOnError: false });
  // useProcessExit: exit 0 after a clean shutdown; the embedded engine would keep the process alive.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(portFromConfig(app.get(ConfigService)));
  logger.log(`Listening on ${await app.getUrl()}`);
} catch (error) {
  // A SIGTERM during the migrations stops them after the current one: a shutdown, not a failure.
  const stopped = error instanceof MigrationsStoppedError;
  process.stderr.write(
    `Demo ${stopped ? 'stopped before it started' : 'failed to start'}: ${String(error instanceof Error ? error.message : error)}\n`,
  );
  await app?.close().catch(() => undefined);
  process.exit(stopped ? 0 : 1);
}
