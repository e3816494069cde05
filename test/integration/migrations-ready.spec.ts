import { Inject, Injectable, Module, type DynamicModule, type OnModuleInit, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  MigrationError,
  MigrationManager,
  MigrationsModule,
  PendingMigrationsError,
  type MigrationsOptions,
} from '../../src/index.js';
// To be re-exported from src/index.ts.
import { MIGRATIONS_READY, type MigrationsReady } from '../../src/nest/migrations.ready.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';

const CONFIG = Symbol('CONFIG');

/** What a seeder saw in its onModuleInit. */
interface Seen {
  /** Applied versions when onModuleInit ran. */
  versions: number[];
  /** `SELECT * FROM person` (a table the migration defines): the rows, or the error's message. */
  people: unknown[] | string;
  ready?: MigrationsReady;
}

async function seeOnModuleInit(manager: MigrationManager): Promise<Seen> {
  const [versions] = await manager.db
    .query<[number[]]>('SELECT VALUE version FROM _sbl_migrations')
    .catch(() => [[] as number[]] as const);
  let people: Seen['people'];
  try {
    await manager.db.query("CREATE person:seed SET name = 'seed'");
    [people] = await manager.db.query<[unknown[]]>('SELECT VALUE name FROM person');
  } catch (error) {
    people = (error as Error).message;
  }
  return { versions, people };
}

/** Seeds in its own onModuleInit once the schema is there. */
@Injectable()
class ReadySeeder implements OnModuleInit {
  seen: Seen | undefined;
  constructor(
    @Inject(MigrationManager) private readonly manager: MigrationManager,
    @Inject(MIGRATIONS_READY) private readonly ready: MigrationsReady,
  ) {}
  async onModuleInit() {
    this.seen = { ...(await seeOnModuleInit(this.manager)), ready: this.ready };
  }
}

/** The same without MIGRATIONS_READY: today's failure, kept to prove the test can fail. */
@Injectable()
class EagerSeeder implements OnModuleInit {
  seen: Seen | undefined;
  constructor(@Inject(MigrationManager) private readonly manager: MigrationManager) {}
  async onModuleInit() {
    this.seen = await seeOnModuleInit(this.manager);
  }
}

describe('MIGRATIONS_READY', () => {
  let folder: TempMigrations;
  let bootstraps: number;
  const bootstrap = MigrationManager.prototype.bootstrap;
  beforeEach(async () => {
    folder = await tempMigrations({
      '0001_person.surql': 'DEFINE TABLE person SCHEMAFULL; DEFINE FIELD name ON person TYPE string;',
    });
    bootstraps = 0;
    MigrationManager.prototype.bootstrap = function (this: MigrationManager) {
      bootstraps += 1;
      return bootstrap.call(this);
    };
  });
  afterEach(async () => {
    MigrationManager.prototype.bootstrap = bootstrap;
    await folder.dispose();
  });

  const options = (extra: Partial<MigrationsOptions> = {}): MigrationsOptions => ({
    ...MEM,
    namespace: 't',
    database: 't',
    directory: folder.dir,
    logger: false,
    ...extra,
  });

  const variants: [string, (extra?: Partial<MigrationsOptions>) => DynamicModule][] = [
    ['forRoot', (extra) => MigrationsModule.forRoot({ ...options(extra), isGlobal: true })],
    [
      'forRootAsync',
      (extra) => {
        @Module({ providers: [{ provide: CONFIG, useValue: { dir: folder.dir } }], exports: [CONFIG] })
        class ConfigModule {}
        return MigrationsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (config: { dir: string }) => options({ directory: config.dir, ...extra }),
          isGlobal: true,
        });
      },
    ],
  ];

  /** An app whose feature module holds `seeder` (the MigrationsModule is global). */
  async function compileWithFeature(migrations: DynamicModule, seeder: Type<ReadySeeder | EagerSeeder>) {
    @Module({ providers: [seeder] })
    class FeatureModule {}
    return Test.createTestingModule({ imports: [migrations, FeatureModule] }).compile();
  }

  describe.each(variants)('with %s', (_name, migrationsModule) => {
    it("builds a feature module's provider that injects it only once the migrations are applied", async () => {
      const moduleRef = await compileWithFeature(migrationsModule(), ReadySeeder);
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        await app.init();
        const { seen } = app.get(ReadySeeder);
        expect(seen).toEqual({
          versions: [1],
          people: ['seed'],
          ready: [expect.objectContaining({ version: 1, direction: 'up' })],
        });
        expect(Object.isFrozen(seen!.ready)).toBe(true);
        // One run, shared by the factory and the bootstrap hook.
        expect(bootstraps).toBe(1);
      } finally {
        await app.close();
      }
    });

    it('without it, a provider in onModuleInit meets the unmigrated database (the default order)', async () => {
      const moduleRef = await compileWithFeature(migrationsModule(), EagerSeeder);
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        // The seeder's own write then collides with the migration's DEFINE TABLE: init fails.
        await expect(app.init()).rejects.toThrow(/person/);
        expect(app.get(EagerSeeder).seen).toEqual({ versions: [], people: ['seed'] });
      } finally {
        await app.close();
      }
    });

    it('makes the creation of the app fail with the MigrationError of a failed migration', async () => {
      await folder.write('0002_bad.surql', 'DEFINE TABLE ok SCHEMALESS;\nTHROW "boom";');
      const failure = await compileWithFeature(migrationsModule(), ReadySeeder).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(MigrationError);
      expect(failure).toMatchObject({ version: 2, direction: 'up', message: expect.stringMatching(/boom/) });
      expect(bootstraps).toBe(1);
    });

    it("follows mode 'validate' (refuses pending work) and 'off' (does nothing)", async () => {
      await expect(compileWithFeature(migrationsModule({ mode: 'validate' }), ReadySeeder)).rejects.toBeInstanceOf(
        PendingMigrationsError,
      );
      const moduleRef = await compileWithFeature(migrationsModule({ mode: 'off' }), ReadySeeder);
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        await app.init();
        expect(app.get(ReadySeeder).seen).toMatchObject({ versions: [], ready: [] });
        expect(await app.get(MigrationManager).getCurrentVersion()).toBe(0);
      } finally {
        await app.close();
      }
    });
  });

  it('works without isGlobal for a provider of the module that imports MigrationsModule', async () => {
    @Module({ imports: [MigrationsModule.forRoot(options())], providers: [ReadySeeder] })
    class AppModule {}
    const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({
      logger: false,
    });
    try {
      await app.init();
      expect(app.get(ReadySeeder).seen).toMatchObject({ versions: [1], people: ['seed'] });
      expect(bootstraps).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('leaves the default alone: with no provider injecting it, nothing runs before init()', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [MigrationsModule.forRoot(options())] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      expect(bootstraps).toBe(0);
      expect(await app.get(MigrationManager).getCurrentVersion()).toBe(0);
      await app.init();
      expect(bootstraps).toBe(1);
      expect(await app.get(MigrationManager).getCurrentVersion()).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('rejects NestFactory.create with the MigrationError (abortOnError: false)', async () => {
    await folder.write('0002_bad.surql', 'THROW "boom";');
    @Module({ imports: [MigrationsModule.forRoot(options())], providers: [ReadySeeder] })
    class AppModule {}
    await expect(NestFactory.create(AppModule, { logger: false, abortOnError: false })).rejects.toBeInstanceOf(
      MigrationError,
    );
  });
});
