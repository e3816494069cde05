import { cliProject, type CliProject } from './cli-harness.js';

/** Issue 22, item 2, at the command line: `up` and `down` refuse data loss (exit 1, DATA_LOSS); `--accept-data-loss` runs it. */
describe('surreal-migrate: data loss is a decision', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject({
      '0001_people.surql': "DEFINE TABLE person SCHEMALESS;\nCREATE person:1 SET name = 'private value';\n",
      '0001_people.down.surql': 'REMOVE TABLE person;\n',
    });
  });
  afterAll(() => project.dispose());

  it('refuses, names the file, line, table and rows, never a value; the flag runs it', async () => {
    expect((await project.run(['up'])).code).toBe(0);
    await project.write('0002_drop.surql', 'DELETE person;\n');

    const refused = await project.run(['up', '--json']);
    expect(refused.code).toBe(1);
    const document = refused.json() as { ok: boolean; error: { code: string; message: string } };
    expect(document.ok).toBe(false);
    expect(document.error.code).toBe('DATA_LOSS');
    expect(document.error.message).toMatch(/0002_drop\.surql:1:1: DELETE of every row of person deletes 1 row\(s\)/);
    expect(document.error.message).toContain('--accept-data-loss');
    expect(refused.stdout + refused.stderr).not.toContain('private value');

    const down = await project.run(['down']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/REMOVE TABLE person deletes 1 row\(s\)/);

    const accepted = await project.run(['up', '--accept-data-loss', '--json']);
    expect(accepted.code).toBe(0);
    expect(accepted.json()).toMatchObject({ ok: true, applied: [{ version: 2 }] });
  });
});
