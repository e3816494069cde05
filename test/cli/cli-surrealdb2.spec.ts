/**
 * Issue 18: the offline commands judged by SurrealDB 2 (`--surrealdb 2`), whatever the suite's
 * engine: lint reports only what fails on SurrealDB 2 itself, with no upgrade hint (and `--fix`, a
 * rewrite for 3, is refused); `--surrealdb 3` on the same folder is the upgrade check; `schema` and
 * `diff` print and write SurrealDB 2's own definitions, which apply to an empty SurrealDB 2 database.
 */
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from '../../src/core/db/connection.js';
import { schemaToSurql } from '../../src/core/analysis/schema-code.js';
import { readSchema, type DatabaseSchema } from '../../src/core/shadow/shadow.js';
import { repoRoot } from '../support/child.js';
import { RICH_FOLDER } from '../support/schema-fixtures.js';
import { apartFromDataLoss, DATA_LOSS_HINT, dataLossProblem, dataLossText } from '../support/lint-report.js';
import { cliProject, runCli, type CliProject } from './cli-harness.js';

const V2_CORPUS = path.join(repoRoot, 'test', 'fixtures', 'v2-corpus');
/** No database is opened: an unreachable URL in the environment is never used. */
const NO_DB = { SURREAL_URL: 'ws://127.0.0.1:9/rpc' };
/** The corpus's downs that remove a table, as lint warns of them: file, version, line, table. */
const V2_LOSSES = [
  ['0001_create_workspace.down.surql', 1, 1, 'workspace'],
  ['0002_create_member.down.surql', 2, 1, 'member'],
  ['0005_create_task.down.surql', 5, 1, 'task'],
  ['0007_task_activity.down.surql', 7, 2, 'task_activity'],
  ['0010_labels.down.surql', 10, 1, 'tagged'],
  ['0010_labels.down.surql', 10, 2, 'label'],
  ['0010_labels.down.surql', 10, 4, 'tag'],
  ['0012_create_comment.down.surql', 12, 2, 'comment'],
] as const;

/** `scripts` applied one after another to an empty SurrealDB 2 database (the wasm engine), and its schema. */
async function onEmptyV2(...scripts: string[]): Promise<DatabaseSchema> {
  const db = await createClient('mem://', 2);
  await db.connect('mem://', { namespace: 'n', database: 'd' });
  try {
    expect((await db.version()).version).toMatch(/^surrealdb-2\./);
    for (const script of scripts) {
      const answers = await db.query(script).responses();
      expect(answers.filter((a) => !a.success).map((a) => (a.success ? '' : a.error.message))).toEqual([]);
    }
    return await readSchema(db, '_sbl_migrations');
  } finally {
    await db.close();
  }
}

/** 0008 of the corpus: each full-text index built in the transaction that defines its analyzer. */
function oneTransaction(field: string): string {
  return (
    `DEFINE INDEX \`task_${field}_search\` on \`task\` builds a full-text index with analyzer \`task_text\`, defined ` +
    'in the same transaction: on a table that has rows, SurrealDB builds it with the definitions committed ' +
    `before, so it fails ("The analyzer 'task_text' does not exist")`
  );
}
const ONE_TRANSACTION_HINT =
  'Split it: define the analyzer (and its function) in one migration and the index in the next. Or build the ' +
  'index with CONCURRENTLY (after the commit), or make the file `-- migrate:no-transaction`.';

describe('surreal-migrate lint on a folder written for SurrealDB 2', () => {
  let project: CliProject;
  beforeEach(async () => {
    project = await cliProject();
    await cp(V2_CORPUS, project.migrations, { recursive: true });
    await rm(path.join(project.migrations, 'README.md'));
  });
  afterEach(() => project.dispose());

  it('--surrealdb 2: only what fails on SurrealDB 2 itself, without a hint, exit 1', async () => {
    const run = await runCli(project.root, ['lint', '--surrealdb', '2'], NO_DB);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        // Before anything runs: 0008's analyzer and its indexes in one transaction (not a v3 matter).
        ...['title', 'body'].flatMap((field, i) => [
          `error one-transaction migrations/0008_task_search.surql:${4 + i}:1: ${oneTransaction(field)}`,
          `  hint: ${ONE_TRANSACTION_HINT}`,
        ]),
        ...V2_LOSSES.flatMap(([file, , line, table]) => dataLossText(`migrations/${file}`, line, table)),
        'warning missing-down migrations/0004_slug_functions.surql: no down script: migrations/0004_slug_functions.surql cannot be rolled back',
        'warning missing-down migrations/0009_import_legacy_tickets.surql: no down script: migrations/0009_import_legacy_tickets.surql cannot be rolled back',
        "error down-failed migrations/0010_labels.down.surql:4:1: The table 'tag' does not exist",
        '3 error(s), 10 warning(s); 12 up script(s) applied, 9 down script(s) proven.',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(1);
  });

  it('--surrealdb 2 --json: the same problems, no upgrade hint', async () => {
    const run = await runCli(project.root, ['lint', '--surrealdb', '2', '--json'], NO_DB);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const missing = (file: string, version: number) => ({
      kind: 'missing-down',
      severity: 'warning',
      file: `migrations/${file}`,
      version,
      line: null,
      column: null,
      message: `no down script: migrations/${file} cannot be rolled back`,
      hint: null,
    });
    expect(run.json()).toEqual({
      ok: false,
      command: 'lint',
      problems: [
        ...['title', 'body'].map((field, i) => ({
          kind: 'one-transaction',
          severity: 'error',
          file: 'migrations/0008_task_search.surql',
          version: 8,
          line: 4 + i,
          column: 1,
          message: oneTransaction(field),
          hint: ONE_TRANSACTION_HINT,
        })),
        ...V2_LOSSES.map(([file, version, line, table]) => dataLossProblem(`migrations/${file}`, version, line, table)),
        missing('0004_slug_functions.surql', 4),
        missing('0009_import_legacy_tickets.surql', 9),
        {
          kind: 'down-failed',
          severity: 'error',
          file: 'migrations/0010_labels.down.surql',
          version: 10,
          line: 4,
          column: 1,
          message: "The table 'tag' does not exist",
          hint: null,
        },
      ],
      checked: 12,
      reversible: 9,
    });
  });

  it('--surrealdb 3: the upgrade check, every problem with its hint, as lint gives by default', async () => {
    const v3 = await runCli(project.root, ['lint', '--surrealdb', '3'], NO_DB);
    expect(v3.code).toBe(1);
    expect(v3.stdout).toBe((await runCli(project.root, ['lint'], NO_DB)).stdout);
    const lines = v3.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('9 error(s), 8 warning(s); 8 up script(s) applied, 5 down script(s) proven.');
    const hints = lines.filter(
      (l) => l.startsWith('  hint: ') && l !== `  hint: ${ONE_TRANSACTION_HINT}` && l !== `  hint: ${DATA_LOSS_HINT}`,
    );
    expect(hints).toHaveLength(7);
    for (const hint of hints) expect(hint).toMatch(/SurrealDB 3/);
  });

  it('--fix with --surrealdb 2 is a usage error (exit 2), and nothing is written', async () => {
    const before = (await readdir(project.root)).sort();
    const run = await runCli(project.root, ['lint', '--surrealdb', '2', '--fix', '--out', 'v3'], NO_DB);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'lint --fix rewrites a folder for SurrealDB 3, and --surrealdb 2 judges it by SurrealDB 2: drop one of them.',
    );
    const json = await runCli(project.root, ['lint', '--fix', '--out', 'v3', '--surrealdb', '2', '--json'], NO_DB);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, command: 'lint', error: { code: 'USAGE' } });
    expect((await readdir(project.root)).sort()).toEqual(before);
  });
});

describe('surreal-migrate schema and diff --surrealdb 2', () => {
  let project: CliProject;
  beforeEach(async () => {
    project = await cliProject(RICH_FOLDER);
  });
  afterEach(() => project.dispose());

  it('schema prints SurrealDB 2 definitions, which applied to an empty SurrealDB 2 database give the same schema', async () => {
    const run = await runCli(project.root, ['schema', '--surrealdb', '2'], NO_DB);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = run.stdout;
    // SurrealDB 2's own spellings, not 3's (`none | string`, `tags.*`).
    expect(text).toContain('DEFINE FIELD OVERWRITE nickname ON person TYPE option<string> PERMISSIONS FULL;');
    expect(text).toContain('DEFINE FIELD OVERWRITE tags[*] ON person TYPE string PERMISSIONS FULL;');
    expect(text).not.toMatch(/none \||tags\.\*/);
    expect(schemaToSurql(await onEmptyV2(text))).toBe(text);

    // Written and checked by the same version; judged by 3, the file is not current.
    expect((await runCli(project.root, ['schema', '--surrealdb', '2', '--out', 'schema.surql'], NO_DB)).code).toBe(0);
    expect(await readFile(path.join(project.root, 'schema.surql'), 'utf8')).toBe(text);
    const current = await runCli(project.root, ['schema', '--surrealdb', '2', '--check', 'schema.surql'], NO_DB);
    expect(current.stdout).toBe('schema.surql is up to date.\n');
    expect(current.code).toBe(0);
    expect((await runCli(project.root, ['schema', '--check', 'schema.surql'], NO_DB)).code).toBe(4);
  });

  it('diff writes a pair of SurrealDB 2 definitions that applies to a SurrealDB 2 database and undoes itself', async () => {
    const printed = (await runCli(project.root, ['schema', '--surrealdb', '2'], NO_DB)).stdout;
    const additions = [
      'DEFINE TABLE note SCHEMAFULL;',
      'DEFINE FIELD body ON note TYPE string;',
      'DEFINE FIELD labels ON note TYPE array<string>;',
      'DEFINE INDEX note_body ON note FIELDS body SEARCH ANALYZER simple BM25;',
      'DEFINE FIELD email ON person TYPE option<string>;',
      '',
    ].join('\n');
    await writeFile(path.join(project.root, 'desired.surql'), printed + additions);

    const run = await runCli(
      project.root,
      ['diff', '--surrealdb', '2', '--to', 'desired.surql', '--name', 'notes'],
      NO_DB,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('Wrote migrations/0003_notes.surql and migrations/0003_notes.down.surql.\n');
    expect(run.code).toBe(0);
    const up = await project.read('0003_notes.surql');
    const down = await project.read('0003_notes.down.surql');
    expect(up).toMatch(/^DEFINE INDEX OVERWRITE note_body ON note FIELDS body SEARCH ANALYZER simple BM25\b/m);
    expect(up).toContain('DEFINE FIELD OVERWRITE email ON person TYPE option<string> PERMISSIONS FULL;');
    expect(down).toContain('REMOVE FIELD IF EXISTS labels[*] ON note;');
    expect(`${up}${down}`).not.toMatch(/FULLTEXT|none \||labels\.\*/);

    // On an empty SurrealDB 2 database: the folder's ups give the desired schema, and the new down
    // takes it back to what 0001 and 0002 made.
    const [first, second] = [RICH_FOLDER['0001_people.surql']!, RICH_FOLDER['0002_nicknames.surql']!];
    const desired = await onEmptyV2(printed + additions);
    expect(await onEmptyV2(first, second, up)).toEqual(desired);
    expect(await onEmptyV2(first, second, up, down)).toEqual(await onEmptyV2(first, second));

    // Linted by SurrealDB 2, the folder is clean, every down proven.
    const lint = await runCli(project.root, ['lint', '--surrealdb', '2'], NO_DB);
    // Its downs' REMOVE TABLE statements are warned of, as in any folder.
    const { removed, rest } = apartFromDataLoss(lint.stdout);
    expect(removed).toEqual(['works_at', 'company', 'person', 'log', 'note']);
    expect(rest).toEqual([
      `0 error(s), ${removed.length} warning(s); 3 up script(s) applied, 3 down script(s) proven.`,
    ]);
    expect(lint.code).toBe(0);
    // A second diff finds nothing left to do.
    const again = await runCli(project.root, ['diff', '--surrealdb', '2', '--to', 'desired.surql'], NO_DB);
    expect(again.stdout).toBe("No difference: the folder's schema already is desired.surql. Nothing written.\n");
  });
});
