import { createServer, connect } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AdminController } from '../../src/demo/admin.controller.js';
import { HealthController } from '../../src/demo/health.controller.js';
import { MigrationError, MigrationManager, MigrationsModule, type MigrationStatus } from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/*
 * The demo's controllers, guard and error filter in a Nest app on a private in-memory engine.
 * The fixture mirrors the demo's migrations without their indexes: an embedded engine that has
 * seen DEFINE INDEX keeps the Jest process alive. The real demo migrations run in
 * listen.e2e.spec.ts, in child processes.
 */
const FIXTURE: Record<string, string> = {
  '0001_create_users.surql':
    'DEFINE TABLE user SCHEMAFULL;\n' +
    'DEFINE FIELD email ON user TYPE string ASSERT string::is_email($value);\n' +
    'DEFINE FIELD name ON user TYPE string;\n',
  '0001_create_users.down.surql': 'REMOVE TABLE user;\n',
  '0002_create_posts.surql':
    'DEFINE TABLE post SCHEMAFULL;\n' +
    'DEFINE FIELD author ON post TYPE record<user>;\n' +
    'DEFINE FIELD title ON post TYPE string;\n',
  '0002_create_posts.down.surql': 'REMOVE TABLE post;\n',
  '0003_add_user_display_name.surql':
    "DEFINE FIELD display_name ON user TYPE string DEFAULT string::split(email, '@')[0];\n" +
    'UPDATE user SET display_name = name WHERE display_name IS NONE;\n',
  '0003_add_user_display_name.down.surql':
    'REMOVE FIELD display_name ON user;\nUPDATE user UNSET display_name;\n',
};

const TOKEN = 'e2e-admin-token';

describe('demo app (in process)', () => {
  let folder: TempMigrations | undefined;
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await folder?.dispose();
    folder = undefined;
  });

  /** A Nest app with the demo's controllers over `files`; `adminToken: null` leaves it unset. */
  async function createApp(files: Record<string, string>, adminToken: string | null = TOKEN) {
    folder = await tempMigrations(files);
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          // The developer's own ADMIN_TOKEN must not leak into the test.
          skipProcessEnv: true,
          load: [() => (adminToken === null ? {} : { ADMIN_TOKEN: adminToken })],
        }),
        MigrationsModule.forRoot({
          url: 'mem://',
          namespace: 'e2e',
          database: 'e2e',
          directory: folder.dir,
          logger: false,
        }),
      ],
      controllers: [HealthController, AdminController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    return app;
  }

  async function tables(nest: INestApplication): Promise<string[]> {
    const [info] = await nest.get(MigrationManager).db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    return Object.keys(info.tables).sort();
  }

  it('has the schema in place before the first request', async () => {
    const nest = await createApp(FIXTURE);
    await nest.init();

    expect(await tables(nest)).toEqual(expect.arrayContaining(['user', 'post', '_sbl_migrations']));
    const [info] = await nest.get(MigrationManager).db.query<[{ fields: Record<string, string> }]>('INFO FOR TABLE user');
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

  it('answers GET /health with 200 and no token', async () => {
    const nest = await createApp(FIXTURE);
    await nest.init();
    const res = await request(nest.getHttpServer()).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('never opens the port when a migration fails, and names the file and line', async () => {
    const nest = await createApp({
      '0001_ok.surql': 'DEFINE TABLE ok SCHEMALESS;\n',
      '0002_broken.surql':
        '-- a typed table\nDEFINE TABLE gauge SCHEMAFULL;\nDEFINE FIELD level ON gauge TYPE int;\nCREATE gauge:1 SET level = "high";\n',
    });
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

  describe('POST /admin/migrations/rollback', () => {
    it('refuses a request without a token, or with a wrong one, with 401 and rolls nothing back', async () => {
      const nest = await createApp(FIXTURE);
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

    it('rolls back with the right token and answers with the new status', async () => {
      const nest = await createApp(FIXTURE);
      await nest.init();
      const server = nest.getHttpServer();
      const admin = (body: object | undefined) => {
        const req = request(server).post('/admin/migrations/rollback').set('Authorization', `Bearer ${TOKEN}`);
        return body === undefined ? req : req.send(body);
      };

      // No body: one step.
      const oneStep = await admin(undefined).expect(200);
      expect((oneStep.body as MigrationStatus).currentVersion).toBe(2);
      const [info] = await nest.get(MigrationManager).db.query<[{ fields: Record<string, string> }]>('INFO FOR TABLE user');
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
      const nest = await createApp(FIXTURE);
      await nest.init();
      const post = (body: string | object) =>
        request(nest.getHttpServer())
          .post('/admin/migrations/rollback')
          .set('Authorization', `Bearer ${TOKEN}`)
          .set('Content-Type', 'application/json')
          .send(typeof body === 'string' ? body : JSON.stringify(body));

      const both = await post({ to: 1, steps: 1 }).expect(400);
      expect(both.body).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/either `to` or `steps`/) });
      const negative = await post({ to: -1 }).expect(400);
      expect(negative.body).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/to must be a whole number/) });
      const fraction = await post({ steps: 1.5 }).expect(400);
      expect(fraction.body).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/steps must be a whole number/) });
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

    it('answers 409 when a down script is missing, and rolls nothing back', async () => {
      const { '0001_create_users.down.surql': _missing, ...withoutFirstDown } = FIXTURE;
      const nest = await createApp(withoutFirstDown);
      await nest.init();

      const res = await request(nest.getHttpServer())
        .post('/admin/migrations/rollback')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send({ to: 0 })
        .expect(409);

      expect(res.body).toMatchObject({ code: 'MISSING_DOWN', message: expect.stringContaining('0001_create_users.down.surql') });
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

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
