import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SURREALDB } from '../support/engine.js';
import { cliProject, type CliProject } from './cli-harness.js';

/** The offline commands judge by the suite's engine: `--surrealdb 2` on SurrealDB 2. */
const JUDGE = SURREALDB === 2 ? ['--surrealdb', '2'] : [];
const FOLDER = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\nDEFINE FIELD n ON a TYPE int;\n',
  '0001_a.down.surql': 'REMOVE TABLE a;\n',
};
const CACHE = path.join('node_modules', '.cache', 'nestjs-surrealdb-migrations');

describe('surreal-migrate schema: the folder schema kept in node_modules/.cache', () => {
  let project: CliProject;
  beforeEach(async () => {
    project = await cliProject(FOLDER);
  });
  afterEach(async () => {
    await project.dispose();
  });

  it('is kept by the first run, read by the next (no shadow), and built again once deleted', async () => {
    const first = await project.run(['schema', ...JUDGE]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/DEFINE FIELD OVERWRITE n ON a TYPE int/);
    const folder = path.join(project.root, CACHE);
    const [file] = await readdir(folder);
    expect(file).toMatch(/^schema-[0-9a-f]{64}\.json$/);

    // The kept schema, changed by hand under the same key: a run that reads it prints the change,
    // which no shadow of the folder could have produced.
    const kept = JSON.parse(await readFile(path.join(folder, file!), 'utf8')) as {
      key: string;
      schema: { kind: string; name: string; definition: string }[];
    };
    for (const o of kept.schema) if (o.kind === 'field') o.definition = o.definition.replace('TYPE int', 'TYPE kept');
    await writeFile(path.join(folder, file!), JSON.stringify(kept));
    const second = await project.run(['schema', ...JUDGE]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/DEFINE FIELD OVERWRITE n ON a TYPE kept/);

    // Deleted: built again, and right.
    await rm(path.join(project.root, 'node_modules'), { recursive: true });
    const third = await project.run(['schema', ...JUDGE]);
    expect(third.stdout).toMatch(/DEFINE FIELD OVERWRITE n ON a TYPE int/);
  });

  it('keeps nothing with --no-schema-cache', async () => {
    const run = await project.run(['schema', '--no-schema-cache', ...JUDGE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/DEFINE TABLE OVERWRITE a/);
    await expect(readdir(path.join(project.root, 'node_modules'))).rejects.toThrow(/ENOENT/);
  });
});
