import { cliProject, versions, type CliProject } from './cli-harness.js';

/**
 * `surreal-migrate` as a child process against the project's database (an embedded surrealkv:// file
 * on SurrealDB 3, a relayed SurrealDB 2 that requires the root sign-in on 2): a project goes up and
 * down, and its lock is removed. The steps build on each other and run in order.
 */
describe('surreal-migrate: up, down, plan, dry-run, validate, unlock', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject({
      '0001_users.surql': 'DEFINE TABLE user SCHEMAFULL;\nDEFINE FIELD email ON user TYPE string;\n',
      '0001_users.down.surql': 'REMOVE TABLE user;\n',
      '0002_posts.surql': 'DEFINE TABLE post SCHEMALESS;\n',
      '0002_posts.down.surql': 'REMOVE TABLE post;\n',
      '0003_tags.surql': 'DEFINE TABLE tag SCHEMALESS;\n',
      '0003_tags.down.surql': 'REMOVE TABLE tag;\n',
    });
  });
  afterAll(() => project.dispose());

  it('status lists everything pending; --check exits 4; --json is one document', async () => {
    const human = await project.run(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^pending\s+1\s+users\s+migrations\/0001_users\.surql$/m);
    expect(human.stdout).toMatch(/^pending\s+3\s+tags\s+migrations\/0003_tags\.surql$/m);
    expect(human.stdout).toContain('current version 0, latest 3');
    expect(human.stdout).not.toContain('\u001b[');

    const check = await project.run(['status', '--check']);
    expect(check.code).toBe(4);
    expect(check.stderr).toContain('status --check: 0 applied, 3 pending');

    const json = await project.run(['status', '--json']);
    expect(json.code).toBe(0);
    const doc = json.json();
    expect(doc).toMatchObject({
      ok: true,
      command: 'status',
      currentVersion: 0,
      latestVersion: 3,
      applied: [],
      failed: [],
      lock: null,
      target: { url: project.url, namespace: 'test', database: 'test', directory: 'migrations' },
    });
    expect(versions(doc.pending)).toEqual([1, 2, 3]);

    const checkJson = await project.run(['status', '--check', '--json']);
    expect(checkJson.code).toBe(4);
    expect(checkJson.json()).toMatchObject({
      ok: false,
      error: { code: 'CHECK_FAILED', pending: 3, failed: 0, drifted: 0 },
    });
  });

  it('plan and dry-run describe the run and change nothing', async () => {
    const plan = await project.run(['plan', '--json']);
    expect(plan.code).toBe(0);
    expect(plan.json()).toMatchObject({
      ok: true,
      command: 'plan',
      direction: 'up',
      migrations: [
        { version: 1, name: 'users', file: 'migrations/0001_users.surql', statements: 2, noTransaction: false },
        { version: 2, statements: 1 },
        { version: 3, statements: 1 },
      ],
    });

    const planTo = await project.run(['plan', '--to', '2']);
    expect(planTo.code).toBe(0);
    expect(planTo.stdout).toContain('Would apply 2 migration(s)');
    expect(planTo.stdout).toMatch(/2\s+posts\s+migrations\/0002_posts\.surql \(1 statement\(s\)\)/);
    expect(planTo.stdout).not.toContain('tags');

    const dryRun = await project.run(['dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    expect(versions(dryRun.json().verified)).toEqual([1, 2, 3]);
    expect(dryRun.json().notVerifiable).toEqual([]);

    expect(await project.tables()).toEqual([]);
  });

  it('up --to applies up to the target and prints each migration with its duration', async () => {
    const up = await project.run(['up', '--to', '2']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^applied\s+1\s+users\s+migrations\/0001_users\.surql in \d+ ms$/m);
    expect(up.stdout).toMatch(/^applied\s+2\s+posts\s+migrations\/0002_posts\.surql in \d+ ms$/m);
    expect(up.stdout).not.toContain('tags');
    expect(up.stdout).toContain('Applied 2 migration(s); current version 2.');
  });

  it('up --json applies the rest and prints one JSON document, logs off stdout', async () => {
    const up = await project.run(['up', '--json', '--verbose']);
    expect(up.code).toBe(0);
    const doc = up.json();
    expect(doc).toMatchObject({ ok: true, command: 'up', currentVersion: 3 });
    expect(doc.applied).toEqual([
      {
        version: 3,
        name: 'tags',
        file: 'migrations/0003_tags.surql',
        direction: 'up',
        durationMs: expect.any(Number),
        byAnother: false,
      },
    ]);
    // --verbose sends the library's progress messages to stderr.
    expect(up.stderr).toContain('Applied migration 3 tags');

    expect(await project.tables()).toEqual(expect.arrayContaining(['post', 'tag', 'user']));
    const check = await project.run(['status', '--check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^applied\s+3\s+tags\s+applied \S+ in \d+ ms$/m);

    const again = await project.run(['up']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to apply; current version 3.');
  });

  it('validate passes on a current database', async () => {
    const validate = await project.run(['validate', '--require-current', '--json']);
    expect(validate.code).toBe(0);
    expect(validate.json()).toEqual({ ok: true, command: 'validate', warnings: [], pending: 0 });
  });

  it('plan --down and down --steps / --to roll back newest first', async () => {
    const plan = await project.run(['plan', '--down', '--steps', '2', '--json']);
    expect(plan.code).toBe(0);
    expect(plan.json()).toMatchObject({
      direction: 'down',
      migrations: [{ version: 3, file: 'migrations/0003_tags.down.surql' }, { version: 2 }],
    });

    const one = await project.run(['down', '--steps', '1', '--json']);
    expect(one.code).toBe(0);
    expect(one.json()).toMatchObject({
      ok: true,
      command: 'down',
      currentVersion: 2,
      rolledBack: [{ version: 3, direction: 'down' }],
    });
    expect(one.json().rolledBack).toHaveLength(1);

    const all = await project.run(['down', '--to', '0']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^rolled back\s+2\s+posts\s+migrations\/0002_posts\.down\.surql in \d+ ms$/m);
    expect(all.stdout).toMatch(/^rolled back\s+1\s+users\s+migrations\/0001_users\.down\.surql in \d+ ms$/m);
    expect(all.stdout.indexOf('posts')).toBeLessThan(all.stdout.indexOf('users'));
    expect(all.stdout).toContain('Rolled back 2 migration(s); current version 0.');

    const tables = await project.tables();
    expect(tables).not.toContain('user');
    expect(tables).not.toContain('post');
    expect(tables).not.toContain('tag');

    const nothing = await project.run(['down', '--json']);
    expect(nothing.code).toBe(0);
    expect(nothing.json()).toMatchObject({ ok: true, rolledBack: [], currentVersion: 0 });
  });

  it('unlock removes a lock left by a dead process and prints its holder', async () => {
    await project.withDb((db) =>
      db.query(
        'UPSERT _sbl_migrations_lock:lock CONTENT { owner: { host: "ci-runner-7", pid: 4242, token: "planted-token" }, ' +
          'acquired_at: time::now(), expires_at: time::now() + 1h }',
      ),
    );
    const status = await project.run(['status']);
    expect(status.stdout).toMatch(/Lock\s+held by ci-runner-7 pid 4242 until \d{4}-/);

    const unlock = await project.run(['unlock', '--json']);
    expect(unlock.code).toBe(0);
    expect(unlock.json()).toEqual({
      ok: true,
      command: 'unlock',
      removed: {
        host: 'ci-runner-7',
        pid: 4242,
        token: 'planted-token',
        acquiredAt: expect.any(String),
        expiresAt: expect.any(String),
      },
    });
    const rows = await project.withDb(
      async (db) => (await db.query<[unknown[]]>('SELECT * FROM _sbl_migrations_lock'))[0],
    );
    expect(rows).toEqual([]);

    const again = await project.run(['unlock']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No migration lock was held.');
  });
});
