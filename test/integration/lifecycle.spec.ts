import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type INestApplication,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MigrationManager, MigrationsModule, MigrationsStoppedError } from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';
import { memClient } from '../support/engine.js';

/** A promise with its resolve function. */
function signal(): { promise: Promise<void>; fire(): void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** GET with a connection of its own, closed after the answer. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('MigrationsModule shutdown order', () => {
  let folder: TempMigrations;
  beforeEach(async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
  });
  afterEach(() => folder.dispose());

  it('keeps the connection for requests in flight while the server closes, and closes it last', async () => {
    const events: string[] = [];
    const entered = signal();
    const shutdownHooked = signal();

    /** Records what each shutdown hook of the app's own module sees. */
    @Injectable()
    class Recorder implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
      constructor(@Inject(MigrationManager) private readonly manager: MigrationManager) {}
      async #probe(hook: string) {
        const [versions] = await this.manager.db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations');
        events.push(`${hook}: ${this.manager.db.status} ${JSON.stringify(versions)}`);
      }
      async onModuleDestroy() {
        await this.#probe('onModuleDestroy');
      }
      async beforeApplicationShutdown() {
        await this.#probe('beforeApplicationShutdown');
        shutdownHooked.fire();
      }
      async onApplicationShutdown() {
        // After beforeApplicationShutdown the runner starts nothing more, the connection still works.
        await this.manager.rollback().catch((error: unknown) => {
          events.push(`rollback: ${(error as Error).constructor.name}`);
        });
        await this.#probe('onApplicationShutdown');
      }
    }

    @Controller()
    class SlowController {
      constructor(@Inject(MigrationManager) private readonly manager: MigrationManager) {}
      /**
       * Answers only once the shutdown hooks ran (Nest closes the HTTP server after them): a
       * request in flight at shutdown.
       */
      @Get('slow')
      async slow() {
        entered.fire();
        await shutdownHooked.promise;
        const [versions] = await this.manager.db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations');
        events.push('request answered');
        return { versions };
      }
    }

    @Module({
      imports: [
        MigrationsModule.forRoot({
          ...MEM,
          namespace: 't',
          database: 't',
          directory: folder.dir,
          logger: false,
        }),
      ],
      controllers: [SlowController],
      providers: [Recorder],
    })
    class AppModule {}

    const app: INestApplication = (
      await Test.createTestingModule({ imports: [AppModule] }).compile()
    ).createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const db = app.get(MigrationManager).db;

    const answer = get(`http://127.0.0.1:${port}/slow`);
    await entered.promise;
    await app.close();
    events.push(`closed: ${db.status}`);

    expect(await answer).toEqual({ status: 200, body: JSON.stringify({ versions: [1] }) });
    expect(events).toEqual([
      'onModuleDestroy: connected [1]',
      'beforeApplicationShutdown: connected [1]',
      // app.close() waits for the server to close, which waits for the request in flight.
      'request answered',
      'rollback: MigrationsStoppedError',
      'onApplicationShutdown: connected [1]',
      'closed: disconnected',
    ]);
  });

  it('lets a migration in progress at shutdown finish, and never closes a given client', async () => {
    await folder.write('0001_a.surql', 'SLEEP 300ms;\nDEFINE TABLE a SCHEMALESS;');
    await folder.write('0002_b.surql', 'DEFINE TABLE b SCHEMALESS;');
    const db = await memClient({ namespace: 't', database: 't' });
    try {
      const migrating = signal();
      const app = (
        await Test.createTestingModule({
          imports: [
            MigrationsModule.forRoot({
              client: db,
              directory: folder.dir,
              logger: false,
              on: { migrating: () => migrating.fire() },
            }),
          ],
        }).compile()
      ).createNestApplication({ logger: false });
      const init = app.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      await migrating.promise;
      await app.close();
      const failure = await init;
      expect(failure).toBeInstanceOf(MigrationsStoppedError);
      expect(failure).toMatchObject({ remaining: 1 });
      expect(db.status).toBe('connected');
      const [versions] = await db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations');
      expect(versions).toEqual([1]);
      const [[lock]] = await db.query<[unknown[]]>('SELECT * FROM _sbl_migrations_lock');
      expect(lock).toBeUndefined();
    } finally {
      await db.close();
    }
  });
});
