import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { cliProject, type CliProject } from './cli-harness.js';

/**
 * Issue 23, item 2, at the command line: `up` applies the repeatable definitions after the
 * versions; `status` and `plan` list the changed ones (text and --json), `status --check` exits 4
 * for them; a statement that cannot run twice is refused (exit 1) before anything runs; a deleted
 * file is a warning, or with --fail-on-deleted-repeatable an error, until `repair` forgets it.
 */
describe('surreal-migrate: repeatable definitions', () => {
  let project: CliProject;
  const greet = (word: string) => `DEFINE FUNCTION OVERWRITE fn::greet($n: string) { RETURN '${word} ' + $n; };\n`;

  beforeAll(async () => {
    project = await cliProject({ '0001_person.surql': 'DEFINE TABLE person SCHEMALESS;\n' });
    await mkdir(path.join(project.migrations, 'repeatable'));
  });
  afterAll(() => project.dispose());

  it('applies, lists, refuses and reports them', async () => {
    await project.write('repeatable/greet.surql', greet('Hello'));
    const plan = await project.run(['plan', '--json']);
    expect(plan.json()).toMatchObject({
      ok: true,
      migrations: [{ version: 1 }],
      repeatable: { pending: [{ name: 'greet' }], deleted: [] },
    });
    const up = await project.run(['up']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Applied 1 migration\(s\) and 1 repeatable definition\(s\); current version 1\./);
    expect(up.stdout).toMatch(/applied.*repeatable greet.*repeatable[/\\]greet\.surql in/);
    const current = await project.run(['status', '--check', '--json']);
    expect(current.code).toBe(0);
    expect(current.json()).toMatchObject({ repeatable: { pending: [], deleted: [] } });

    await project.write('repeatable/greet.surql', greet('Hi'));
    const status = await project.run(['status', '--check']);
    expect(status.code).toBe(4);
    expect(status.stdout).toMatch(/Repeatable.*\n.*pending.*greet.*repeatable[/\\]greet\.surql/);
    expect(status.stdout + status.stderr).toMatch(/1 repeatable definition\(s\) to apply/);
    const planText = await project.run(['plan']);
    expect(planText.stdout).toMatch(/No migration to apply\.[\s\S]*greet/);
    const again = await project.run(['up', '--json']);
    expect(again.json()).toMatchObject({ applied: [], repeatable: [{ name: 'greet', byAnother: false }] });
    expect(await project.withDb(async (db) => (await db.query<[string]>("RETURN fn::greet('Ada')"))[0])).toBe('Hi Ada');

    await project.write('repeatable/seed.surql', 'UPSERT person:one SET n = 1;\nCREATE person SET n = 2;\n');
    await project.write('0002_age.surql', 'DEFINE FIELD age ON person TYPE option<int>;\n');
    const refused = await project.run(['up', '--json']);
    expect(refused.code).toBe(1);
    const document = refused.json() as { error: { code: string; message: string } };
    expect(document.error.code).toBe('REPEATABLE_NOT_IDEMPOTENT');
    expect(document.error.message).toMatch(/repeatable[/\\]seed\.surql:2:1: CREATE writes data again/);
    // Nothing of the run: version 2 is still pending.
    expect((await project.run(['status', '--json'])).json()).toMatchObject({ pending: [{ version: 2 }] });
    await rm(path.join(project.migrations, 'repeatable', 'seed.surql'));
    expect((await project.run(['up'])).code).toBe(0);

    await rm(path.join(project.migrations, 'repeatable', 'greet.surql'));
    const warned = await project.run(['status']);
    expect(warned.stdout).toMatch(/missing.*greet.*its file is gone/);
    const failed = await project.run(['up', '--fail-on-deleted-repeatable', '--json']);
    expect(failed.code).toBe(1);
    expect((failed.json() as { error: { code: string } }).error.code).toBe('REPEATABLE_DELETED');
    expect((await project.run(['repair'])).code).toBe(0);
    expect((await project.run(['up', '--fail-on-deleted-repeatable'])).code).toBe(0);
    expect((await project.run(['status', '--json'])).json()).toMatchObject({ repeatable: { deleted: [] } });
  });
  it('lint --fix copies repeatable/ beside the versions, with the SurrealDB 3 rewrites', async () => {
    const fix = await cliProject({ '0001_t.surql': 'DEFINE TABLE t SCHEMALESS;\n' });
    try {
      await mkdir(path.join(fix.migrations, 'repeatable'));
      await fix.write(
        'repeatable/fns.surql',
        'DEFINE FUNCTION OVERWRITE fn::s($v: any) { RETURN type::is::string($v) };\n',
      );
      const run = await fix.run(['lint', '--fix', '--out', 'copy']);
      expect(run.stdout).toMatch(
        /fixed repeatable[/\\]fns\.surql:1:\d+: renamed-function type::is::string -> type::is_string/,
      );
      expect(await readFile(path.join(fix.root, 'copy', 'repeatable', 'fns.surql'), 'utf8')).toBe(
        'DEFINE FUNCTION OVERWRITE fn::s($v: any) { RETURN type::is_string($v) };\n',
      );
      expect(await readFile(path.join(fix.root, 'copy', '0001_t.surql'), 'utf8')).toBe('DEFINE TABLE t SCHEMALESS;\n');
    } finally {
      await fix.dispose();
    }
  });
});
