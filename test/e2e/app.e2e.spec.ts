import { cp, rm } from 'node:fs/promises';
import { acceptsConnections, freePort } from '../support/net.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DemoModule } from '../../src/demo/demo.module.js';
import {
  MIGRATIONS_OPTIONS,
  MigrationError,
  MigrationManager,
  type MigrationStatus,
  type MigrationsOptions,
} from '../../src/index.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../src/testing/index.js';
import { tempDir, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM, SURREALDB } from '../support/engine.js';

/*
 * The demo's module (controllers, guard, error filter, terminus readiness) in a Nest app, each test
 * on its own private in-memory database from the testing kit. Only the configuration source differs
 * from the real app: AppModule reads the environment and .env, these tests give their own settings.
 * The fixture folder mirrors the demo's migrations without their indexes: an embedded engine that
 * has seen DEFINE INDEX keeps the Jest process alive. The real demo migrations run in
 * listen.e2e.spec.ts, in child processes.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/demo-migrations', import.meta.url));

const TOKEN = 'e2e-admin-token';

const BROKEN: Record<string, string> = {
  '0001_ok.surql': 'DEFINE TABLE ok SCHEMALESS;\n',
  '0002_broken.surql':
    '-- a typed table\nDEFINE TABLE gauge SCHEMAFULL;\nDEFINE FIELD level ON gauge TYPE int;\nCREATE gauge:1 SET level = "high";\n',
};

describe('demo app (in process)', () => {
  let testDb: MigratedDatabase | undefined;
  let app: INestApplication | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    // The app first: its manager shares the kit's client, which dispose() closes.
    await app?.close();
    app = undefined;
    await testDb?.dispose();
    testDb = undefined;
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** The demo module with the test's settings; `adminToken: null` leaves ADMIN_TOKEN unset. */
  function demoTestingModule(adminToken: string | null) {
    return Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          // The developer's own ADMIN_TOKEN and SURREAL_* must not leak into the test.
          skipProcessEnv: true,
          load: [() => (adminToken === null ? {} : { ADMIN_TOKEN: adminToken })],
        }),
        DemoModule,
      ],
    });
  }

  /** The demo app over a database the kit migrated from `directory`. */
  async function createApp(directory = FIXTURE, adminToken: string | null = TOKEN) {
    testDb = await createMigratedDatabase({ directory, surrealdb: SURREALDB });
    const moduleRef = await demoTestingModule(adminToken)
      .overrideProvider(MIGRATIONS_OPTIONS)
      .useValue(testDb.moduleOptions)
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    return app;
  }

  /** A copy of the fixture folder without `file`. */
  async function fixtureWithout(file: string): Promise<string> {
    const copy = await tempDir('sbl-e2e-fixture-');
    cleanups.push(copy.dispose);
    const dir = path.join(copy.dir, 'migrations');
    await cp(FIXTURE, dir, { recursive: true });
    await rm(path.join(dir, file));
    return dir;
  }

  async function brokenFolder(): Promise<TempMigrations> {
    const folder = await tempMigrations(BROKEN);
    cleanups.push(folder.dispose);
    return folder;
  }

  async function tables(nest: INestApplication): Promise<string[]> {
    const [info] = await nest.get(MigrationManager).db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    return Object.keys(info.tables).sort();
  }

  it('has the schema in place before the first request', async () => {
    const nest = await createApp();
    await nest.init();

    expect(testDb!.applied.map((a) => a.version)).toEqual([1, 2, 3]);
    // The app runs on the kit's database, not on one of its own.
    expect(nest.get(MigrationManager).db).toBe(testDb!.db);
    expect(await tables(nest)).toEqual(expect.arrayContaining(['user', 'post', '_sbl_migrations']));
    const [info] = await nest
      .get(MigrationManager)
      .db.query<[{ fields: Record<string, string> }]>('INFO FOR TABLE user');
    expect(Object.keys(info.fields)).toContain('display_name');

    const res = await request(nest.getHttpServer())
      .get('/admin/migrations')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    const status = res.body as MigrationStatus;
    expect(status.currentVersion).toBe(3);
    expect(status.latestVersion).toBe(3);
    expect(status.pending).toEqual([]);
    expect(status.applied.map((a) => [a.version, a.name, a.verified])).toEqual([
      [1, 'create_users', true],
      [2, 'create_posts', true],
      [3, 'add_user_display_name', true],
    ]);
  });

  describe('health', () => {
    it('answers GET /health with 200 and no token', async () => {
      const nest = await createApp();
      await nest.init();
      const res = await request(nest.getHttpServer()).get('/health').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('answers GET /health/ready with 200 and the migrations indicator up once started', async () => {
      const nest = await createApp();
      await nest.init();

      const res = await request(nest.getHttpServer()).get('/health/ready').expect(200);

      expect(res.body).toMatchObject({
        status: 'ok',
        info: {
          migrations: { status: 'up', currentVersion: 3, latestVersion: 3, pending: 0, failed: [], lock: null },
        },
        error: {},
      });
    });

    it('is not ready after an admin rollback, while liveness stays 200', async () => {
      const nest = await createApp();
      await nest.init();
      const server = nest.getHttpServer();
      await request(server).get('/health/ready').expect(200);

      const rollback = await request(server)
        .post('/admin/migrations/rollback')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send({ steps: 1 })
        .expect(200);
      expect((rollback.body as MigrationStatus).currentVersion).toBe(2);

      const ready = await request(server).get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({
        status: 'error',
        error: { migrations: { status: 'down', currentVersion: 2, latestVersion: 3, pending: 1 } },
      });
      expect(ready.body.info).toEqual({});
      const live = await request(server).get('/health').expect(200);
      expect(live.body).toEqual({ status: 'ok' });
    });
  });

  describe('a failing migration', () => {
    it('makes the testing kit reject, naming the file and line', async () => {
      const folder = await brokenFolder();

      const error = await createMigratedDatabase({ directory: folder.dir, surrealdb: SURREALDB }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ version: 2, migrationName: 'broken', direction: 'up', line: 4 });
      expect((error as MigrationError).message).toContain('0002_broken.surql:4');
    });

    it('never lets the app open its port, and names the file and line', async () => {
      const folder = await brokenFolder();
      // The demo's own mode: apply at bootstrap, on a fresh private database.
      const options: MigrationsOptions = {
        ...MEM,
        namespace: 'e2e',
        database: 'e2e',
        directory: folder.dir,
        logger: false,
      };
      const moduleRef = await demoTestingModule(TOKEN).overrideProvider(MIGRATIONS_OPTIONS).useValue(options).compile();
      const nest = (app = moduleRef.createNestApplication({ logger: false }));
      const port = await freePort();

      const error = await nest.listen(port, '127.0.0.1').then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(MigrationError);
      const failure = error as MigrationError;
      expect(failure).toMatchObject({ version: 2, migrationName: 'broken', direction: 'up', line: 4 });
      expect(failure.file).toMatch(/0002_broken\.surql$/);
      expect(failure.message).toContain('0002_broken.surql:4');
      expect((nest.getHttpServer() as { listening: boolean }).listening).toBe(false);
      expect(await acceptsConnections(port)).toBe(false);
      // The failed migration left nothing behind; the one before it stays applied.
      expect(await tables(nest)).not.toContain('gauge');
      expect(await nest.get(MigrationManager).getCurrentVersion()).toBe(1);
    });
  });

  describe('POST /admin/migrations/rollback', () => {
    it('refuses a request without a token, or with a wrong one, with 401 and rolls nothing back', async () => {
      const nest = await createApp();
      await nest.init();
      const server = nest.getHttpServer();

      const none = await request(server).post('/admin/migrations/rollback').send({ steps: 1 }).expect(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      await request(server)
        .post('/admin/migrations/rollback')
        .set('Authorization', 'Bearer not-the-token')
        .send({ steps: 1 })
        .expect(401);
      // Same length as the real token, one character off.
      await request(server)
        .post('/admin/migrations/rollback')
        .set('Authorization', `Bearer ${TOKEN.slice(0, -1)}X`)
        .send({ steps: 1 })
        .expect(401);
      // The right token under another scheme.
      await request(server)
        .post('/admin/migrations/rollback')
        .set('Authorization', `Basic ${TOKEN}`)
        .send({ steps: 1 })
        .expect(401);
      await request(server).get('/admin/migrations').expect(401);

      expect(await nest.get(MigrationManager).getCurrentVersion()).toBe(3);
      expect(await tables(nest)).toContain('post');
    });

    it('answers a rollback that would delete rows with 409 and the counts; acceptDataLoss runs it', async () => {
      const nest = await createApp();
      await nest.init();
      const server = nest.getHttpServer();
      const manager = nest.get(MigrationManager);
      await manager.db.query("CREATE user:ada SET email = 'ada@example.com', name = 'Ada'").collect();
      const admin = (body: object) =>
        request(server).post('/admin/migrations/rollback').set('Authorization', `Bearer ${TOKEN}`).send(body);

      const refused = await admin({ to: 0 }).expect(409);
      expect(refused.body).toMatchObject({ statusCode: 409, code: 'DATA_LOSS' });
      expect((refused.body as { losses: { name: string; rows: number }[] }).losses).toEqual([
        expect.objectContaining({ kind: 'remove-table', name: 'user', rows: 1 }),
      ]);
      expect(JSON.stringify(refused.body)).not.toContain('ada@example.com');
      expect(await manager.getCurrentVersion()).toBe(3);

      await admin({ to: 0, acceptDataLoss: 'yes' }).expect(400);
      const done = await admin({ to: 0, acceptDataLoss: true }).expect(200);
      expect((done.body as MigrationStatus).currentVersion).toBe(0);
    });

    it('rolls back with the right token and answers with the new status', async () => {
      const nest = await createApp();
      await nest.init();
      const server = nest.getHttpServer();
      const admin = (body: object | undefined) => {
        const req = request(server).post('/admin/migrations/rollback').set('Authorization', `Bearer ${TOKEN}`);
        return body === undefined ? req : req.send(body);
      };

      // No body: one step.
      const oneStep = await admin(undefined).expect(200);
      expect((oneStep.body as MigrationStatus).currentVersion).toBe(2);
      const [info] = await nest
        .get(MigrationManager)
        .db.query<[{ fields: Record<string, string> }]>('INFO FOR TABLE user');
      expect(Object.keys(info.fields)).not.toContain('display_name');

      const res = await admin({ steps: 1 }).expect(200);
      const status = res.body as MigrationStatus;
      expect(status.currentVersion).toBe(1);
      expect(status.applied.map((a) => a.version)).toEqual([1]);
      expect(status.pending.map((p) => p.version)).toEqual([2, 3]);
      expect(await tables(nest)).not.toContain('post');
      expect(await tables(nest)).toContain('user');

      const all = await admin({ to: 0 }).expect(200);
      expect((all.body as MigrationStatus).currentVersion).toBe(0);
      expect(await tables(nest)).not.toContain('user');
    });

    it('answers bad bodies with 400 and the reason, and rolls nothing back', async () => {
      const nest = await createApp();
      await nest.init();
      const post = (body: string | object) =>
        request(nest.getHttpServer())
          .post('/admin/migrations/rollback')
          .set('Authorization', `Bearer ${TOKEN}`)
          .set('Content-Type', 'application/json')
          .send(typeof body === 'string' ? body : JSON.stringify(body));

      const both = await post({ to: 1, steps: 1 }).expect(400);
      expect(both.body).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/either `to` or `steps`/),
      });
      const negative = await post({ to: -1 }).expect(400);
      expect(negative.body).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/to must be a whole number/),
      });
      const fraction = await post({ steps: 1.5 }).expect(400);
      expect(fraction.body).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/steps must be a whole number/),
      });
      const zero = await post({ steps: 0 }).expect(400);
      expect(zero.body).toMatchObject({ code: 'INVALID_ARGUMENT' });
      const text = await post({ steps: '1' }).expect(400);
      expect(text.body.message).toMatch(/"steps" must be a JSON number/);
      const unknown = await post({ version: 1 }).expect(400);
      expect(unknown.body.message).toMatch(/Unknown field\(s\) "version"/);
      await post('[1]').expect(400);
      await post('{"to":').expect(400);

      expect(await nest.get(MigrationManager).getCurrentVersion()).toBe(3);
    });

    it('refuses a body that is not application/json with 415, and leaves the history as it was', async () => {
      const nest = await createApp();
      await nest.init();
      const server = nest.getHttpServer();
      const history = async () =>
        (await request(server).get('/admin/migrations').set('Authorization', `Bearer ${TOKEN}`).expect(200))
          .body as MigrationStatus;
      const before = await history();
      expect(before.currentVersion).toBe(3);
      const post = (contentType: string, body: string) =>
        request(server)
          .post('/admin/migrations/rollback')
          .set('Authorization', `Bearer ${TOKEN}`)
          .set('Content-Type', contentType)
          .send(body);

      // Not parsed, it used to reach the controller as no body at all: "roll back one step".
      const text = await post('text/plain', '{"to":3}').expect(415);
      expect(text.body).toMatchObject({
        statusCode: 415,
        message: expect.stringMatching(/application\/json[\s\S]*got "text\/plain"[\s\S]*Nothing was rolled back/),
      });
      await post('text/plain; charset=utf-8', '{"steps":1}').expect(415);
      // A form is parsed, into fields: refused by its type all the same.
      await post('application/x-www-form-urlencoded', 'to=0').expect(415);
      await post('application/vnd.api+json', '{"to":0}').expect(415);
      await post('application/octet-stream', '{"to":0}').expect(415);

      expect(await history()).toEqual(before);
      expect(await tables(nest)).toEqual(expect.arrayContaining(['user', 'post']));

      // The same text as JSON is acted on; a type's parameters and case do not matter.
      const json = await post('Application/JSON; charset=utf-8', '{"steps":1}').expect(200);
      expect((json.body as MigrationStatus).currentVersion).toBe(2);
      // An empty body of any type is no body: one step.
      const empty = await post('text/plain', '').expect(200);
      expect((empty.body as MigrationStatus).currentVersion).toBe(1);
    });

    it('answers a down script failing at the second of two steps with 500 and what was rolled back', async () => {
      const folder = await tempMigrations({
        '0001_alpha.surql': 'DEFINE TABLE alpha SCHEMALESS;\n',
        '0001_alpha.down.surql': 'REMOVE TABLE alpha;\n',
        '0002_beta.surql': 'DEFINE TABLE beta SCHEMALESS;\n',
        '0002_beta.down.surql': '-- refuses to go\nTHROW "beta cannot be rolled back";\n',
        '0003_gamma.surql': 'DEFINE TABLE gamma SCHEMALESS;\n',
        '0003_gamma.down.surql': 'REMOVE TABLE gamma;\n',
      });
      cleanups.push(folder.dispose);
      const nest = await createApp(folder.dir);
      await nest.init();
      const server = nest.getHttpServer();

      const res = await request(server)
        .post('/admin/migrations/rollback')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send({ steps: 2 })
        .expect(500);

      expect(res.body).toMatchObject({
        statusCode: 500,
        code: 'MIGRATION_FAILED',
        message: expect.stringMatching(/0002_beta\.down\.surql:2[\s\S]*beta cannot be rolled back/),
      });
      expect(res.body.rolledBack).toEqual([{ version: 3, name: 'gamma' }]);

      const status = (
        await request(server).get('/admin/migrations').set('Authorization', `Bearer ${TOKEN}`).expect(200)
      ).body as MigrationStatus;
      expect(status.currentVersion).toBe(2);
      expect(status.applied.map((a) => a.version)).toEqual([1, 2]);
      expect(status.pending.map((p) => [p.version, p.name])).toEqual([[3, 'gamma']]);
      expect(await tables(nest)).toEqual(expect.arrayContaining(['alpha', 'beta']));
      expect(await tables(nest)).not.toContain('gamma');
    });

    it('answers a failing down script of a single step with an empty rolledBack', async () => {
      const folder = await tempMigrations({
        '0001_alpha.surql': 'DEFINE TABLE alpha SCHEMALESS;\n',
        '0001_alpha.down.surql': 'THROW "alpha stays";\n',
      });
      cleanups.push(folder.dispose);
      const nest = await createApp(folder.dir);
      await nest.init();

      const res = await request(nest.getHttpServer())
        .post('/admin/migrations/rollback')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(500);

      expect(res.body).toMatchObject({ code: 'MIGRATION_FAILED', rolledBack: [] });
      expect(await nest.get(MigrationManager).getCurrentVersion()).toBe(1);
    });

    it('answers 409 when a down script is missing, and rolls nothing back', async () => {
      const nest = await createApp(await fixtureWithout('0001_create_users.down.surql'));
      await nest.init();

      const res = await request(nest.getHttpServer())
        .post('/admin/migrations/rollback')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send({ to: 0 })
        .expect(409);

      expect(res.body).toMatchObject({
        code: 'MISSING_DOWN',
        message: expect.stringContaining('0001_create_users.down.surql'),
      });
      expect(await nest.get(MigrationManager).getCurrentVersion()).toBe(3);
      expect(await tables(nest)).toEqual(expect.arrayContaining(['user', 'post']));
    });

    it('answers 403 to everyone when no ADMIN_TOKEN is configured', async () => {
      const nest = await createApp(FIXTURE, null);
      await nest.init();
      const server = nest.getHttpServer();

      const res = await request(server).post('/admin/migrations/rollback').send({ steps: 1 }).expect(403);
      expect(res.body.message).toMatch(/ADMIN_TOKEN/);
      await request(server).post('/admin/migrations/rollback').set('Authorization', 'Bearer ').send({}).expect(403);
      await request(server).post('/admin/migrations/rollback').set('Authorization', 'Bearer undefined').expect(403);
      await request(server).get('/admin/migrations').set('Authorization', `Bearer ${TOKEN}`).expect(403);

      expect(await nest.get(MigrationManager).getCurrentVersion()).toBe(3);
    });
  });
});
