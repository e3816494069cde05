import { cliProject, versions, type CliProject } from './cli-harness.js';

/** `surreal-migrate` as a child process: baseline, repair, drift, failed migrations and resolve. */
describe('surreal-migrate: baseline, repair and changed files', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\n',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\n',
      '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;\n',
    });
  });
  afterAll(() => project.dispose());

  it('baseline records versions as applied without running them', async () => {
    const baseline = await project.run(['baseline', '2', '--json']);
    expect(baseline.code).toBe(0);
    expect(baseline.json()).toEqual({ ok: true, command: 'baseline', recorded: [1, 2] });

    const status = (await project.run(['status', '--json'])).json();
    expect(status.applied).toEqual([
      expect.objectContaining({ version: 1, name: 'a', verified: true }),
      expect.objectContaining({ version: 2, name: 'b', verified: true }),
    ]);
    expect(versions(status.pending)).toEqual([3]);
    const tables = await project.tables();
    expect(tables).not.toContain('a');
    expect(tables).not.toContain('b');
  });

  it('repair stores a checksum for a row adopted without one', async () => {
    // An Open Notebook style history row: version and applied_at only.
    await project.withDb((db) => db.query('CREATE _sbl_migrations:3 CONTENT { version: 3, applied_at: time::now() }'));
    const before = await project.run(['status']);
    expect(before.stdout).toMatch(/^unverified\s+3\s+c\s+applied .*no checksum stored/m);
    expect((await project.run(['status', '--json'])).json().applied[2]).toMatchObject({ version: 3, verified: null });

    const repair = await project.run(['repair', '--json']);
    expect(repair.code).toBe(0);
    expect(repair.json()).toEqual({ ok: true, command: 'repair', updated: [3] });
    expect((await project.run(['status', '--json'])).json().applied[2]).toMatchObject({ version: 3, verified: true });
  });

  it('an edited applied file fails status --check and validate until repair --changed accepts it', async () => {
    await project.write('0001_a.surql', '-- the a table\nDEFINE TABLE a SCHEMALESS;\n');

    const check = await project.run(['status', '--check']);
    expect(check.code).toBe(4);
    expect(check.stdout).toMatch(/^changed\s+1\s+a\s+.*its file changed since/m);

    const validate = await project.run(['validate', '--json']);
    expect(validate.code).toBe(1);
    expect(validate.json()).toMatchObject({
      ok: false,
      command: 'validate',
      error: { code: 'CHECKSUM_MISMATCH', mismatches: [{ version: 1, file: 'migrations/0001_a.surql' }] },
    });

    const plain = await project.run(['repair', '--json']);
    expect(plain.json()).toMatchObject({ ok: true, updated: [] });
    expect((await project.run(['status', '--check'])).code).toBe(4);

    const changed = await project.run(['repair', '--changed']);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('Stored the current checksum of 1 migration(s): 1.');
    expect((await project.run(['status', '--check'])).code).toBe(0);
  });
});

describe('surreal-migrate: failing migrations and resolve', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject({
      '0001_ok.surql': 'DEFINE TABLE ok SCHEMALESS;\n',
      '0002_broken.surql': '-- migrate:no-transaction\nDEFINE TABLE half SCHEMALESS;\nTHROW "boom";\n',
    });
  });
  afterAll(() => project.dispose());

  it('a no-transaction migration that fails part-way exits 1 naming its file and line', async () => {
    const up = await project.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stdout).toMatch(/^applied\s+1\s+ok\s+migrations\/0001_ok\.surql in \d+ ms$/m);
    expect(up.stdout).toMatch(/^failed\s+2\s+broken\s+migrations\/0002_broken\.surql$/m);
    expect(up.stderr).toContain('migrations/0002_broken.surql:3');
    expect(up.stderr).toContain('boom');

    const check = await project.run(['status', '--check', '--json']);
    expect(check.code).toBe(4);
    const doc = check.json();
    expect(doc).toMatchObject({ ok: false, error: { code: 'CHECK_FAILED', failed: 1, pending: 0 } });
    expect(doc.failed).toEqual([expect.objectContaining({ version: 2, statementsApplied: 1, statementCount: 2 })]);

    const refused = await project.run(['up', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({
      ok: false,
      command: 'up',
      applied: [],
      error: { code: 'FAILED_MIGRATION_PENDING' },
    });
  });

  it('resolve --rolled-back makes it pending again; a second failure reports file and line in JSON', async () => {
    const resolved = await project.run(['resolve', '2', '--rolled-back', '--json']);
    expect(resolved.code).toBe(0);
    expect(resolved.json()).toEqual({ ok: true, command: 'resolve', version: 2, outcome: 'rolled-back' });
    const status = (await project.run(['status', '--json'])).json();
    expect(status.failed).toEqual([]);
    expect(versions(status.pending)).toEqual([2]);

    // The operator undoes what the first statement did, then tries again.
    await project.withDb((db) => db.query('REMOVE TABLE half'));
    const again = await project.run(['up', '--json']);
    expect(again.code).toBe(1);
    const error = again.json().error;
    expect(error).toMatchObject({
      code: 'MIGRATION_FAILED',
      version: 2,
      migrationName: 'broken',
      file: 'migrations/0002_broken.surql',
      direction: 'up',
      line: 3,
      statement: 'THROW "boom"',
    });
    expect(error.message).toContain('migrations/0002_broken.surql:3');
  });

  it('resolve --applied records it; resolving a version with no failed record is a usage error', async () => {
    const resolved = await project.run(['resolve', '2', '--applied']);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain('Migration 2 is recorded as applied.');
    expect((await project.run(['status', '--check'])).code).toBe(0);

    const twice = await project.run(['resolve', '2', '--applied', '--json']);
    expect(twice.code).toBe(2);
    expect(twice.json()).toMatchObject({ ok: false, command: 'resolve', error: { code: 'INVALID_ARGUMENT' } });
  });

  it('a transactional migration that fails keeps nothing and names its file and line', async () => {
    await project.write(
      '0003_typed.surql',
      'DEFINE TABLE person SCHEMAFULL;\nDEFINE FIELD age ON person TYPE int;\n\nCREATE person:1 SET age = "old";\n',
    );
    const up = await project.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/error: Migration 3 \(typed, up\) failed at migrations\/0003_typed\.surql:4:1: /);
    expect(await project.tables()).not.toContain('person');
  });
});
