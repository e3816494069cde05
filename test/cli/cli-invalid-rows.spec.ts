import { cliProject, type CliProject } from './cli-harness.js';

/** Issue 22, item 1, at the command line: `plan`, `dry-run` and `up` refuse rows the new definitions refuse (exit 1, INVALID_ROWS); `--no-data-check` runs it. */
describe('surreal-migrate: rows the new schema refuses', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject({
      '0001_acc.surql':
        "DEFINE TABLE acc SCHEMALESS;\nCREATE acc:a SET qty = 'private value';\nCREATE acc:b SET qty = 2;\n",
    });
  });
  afterAll(() => project.dispose());

  it('names the file, line, field, rule, count and ids, never a value; the flag runs it', async () => {
    expect((await project.run(['up'])).code).toBe(0);
    await project.write('0002_qty.surql', 'DEFINE FIELD OVERWRITE qty ON acc TYPE int;\n');

    for (const command of [['up'], ['dry-run'], ['plan']]) {
      const refused = await project.run([...command, '--json']);
      expect([command, refused.code]).toEqual([command, 1]);
      const document = refused.json() as { ok: boolean; error: { code: string; message: string } };
      expect(document.error.code).toBe('INVALID_ROWS');
      expect(document.error.message).toMatch(/0002_qty\.surql:1:1: acc\.qty TYPE int refuses 1 row\(s\): acc:a/);
      expect(document.error.message).toContain('--no-data-check');
      expect(refused.stdout + refused.stderr).not.toContain('private value');
    }
    const text = await project.run(['up']);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/acc\.qty TYPE int refuses 1 row\(s\): acc:a/);

    const accepted = await project.run(['up', '--no-data-check', '--json']);
    expect(accepted.code).toBe(0);
    expect(accepted.json()).toMatchObject({ ok: true, applied: [{ version: 2 }] });
  });
});
