import { cp, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { UPGRADE_RULES, upgradeScript } from '../../src/core/surql/v3-upgrade.js';
import { repoRoot } from '../support/child.js';
import { SURREALDB } from '../support/engine.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { apartFromDataLoss, dataLossProblem, dataLossText } from '../support/lint-report.js';
import { cliProject, runCli, type CliProject, type JsonDocument } from './cli-harness.js';

const V2_CORPUS = path.join(repoRoot, 'test', 'fixtures', 'v2-corpus');
const DEMO = path.join(repoRoot, 'migrations');
const UNDEFINED_TABLE_HINT = UPGRADE_RULES.find((r) => r.id === 'undefined-table')!.hint;
const PROBLEM_KEYS = ['column', 'file', 'hint', 'kind', 'line', 'message', 'severity', 'version'];
/** The demo's downs remove its tables: lint warns of each (a rollback over rows is refused). */
const DEMO_LOSSES = [
  ['0001_create_users.down.surql', 1, 2, 'user'],
  ['0002_create_posts.down.surql', 2, 2, 'post'],
] as const;
/** The tables the v2 corpus's downs remove, in the order lint reports them. */
const V2_REMOVED = ['workspace', 'member', 'task', 'task_activity', 'tagged', 'label', 'tag', 'comment'];

/** Judged by the suite's engine: `--surrealdb 2` on SurrealDB 2 (lint judges by 3 unless told). */
const JUDGE = SURREALDB === 2 ? ['--surrealdb', '2'] : [];

/** Every file of a folder with its bytes. */
async function bytesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(path.join(dir, name))).toString('hex');
  return out;
}

/** `[kind, file name, line, column]` of each problem of a `--json` document. */
function problems(doc: JsonDocument): [string, string, number | undefined, number | undefined][] {
  return (doc.problems as { kind: string; file: string; line?: number; column?: number }[]).map((p) => [
    p.kind,
    path.basename(p.file),
    p.line ?? undefined,
    p.column ?? undefined,
  ]);
}

describe('surreal-migrate lint', () => {
  let project: CliProject | undefined;
  afterEach(async () => {
    await project?.dispose();
    project = undefined;
  });

  /** A project whose migrations/ is a copy of `source`. */
  async function projectWith(source: string): Promise<CliProject> {
    project = await cliProject();
    await cp(source, project.migrations, { recursive: true });
    return project;
  }

  it("exits 0 on the demo's folder, with every down proven, and needs no database", async () => {
    const p = await projectWith(DEMO);
    // The project's database is in the environment: lint must not open it.
    const text = await p.run(['lint', ...JUDGE]);
    expect(text.stderr).toBe('');
    // The demo's downs remove tables: warned of (a rollback over rows is refused), and the folder is clean.
    expect(text.stdout).toBe(
      [
        ...DEMO_LOSSES.flatMap(([file, , line, table]) => dataLossText(`migrations/${file}`, line, table)),
        '0 error(s), 2 warning(s); 3 up script(s) applied, 3 down script(s) proven.',
        '',
      ].join('\n'),
    );
    expect(text.code).toBe(0);

    const json = await runCli(p.root, ['lint', '--json', ...JUDGE], { SURREAL_URL: 'ws://127.0.0.1:9/rpc' });
    expect(json.code).toBe(0);
    expect(json.json()).toEqual({
      ok: true,
      command: 'lint',
      problems: DEMO_LOSSES.map(([file, version, line, table]) =>
        dataLossProblem(`migrations/${file}`, version, line, table),
      ),
      checked: 3,
      reversible: 3,
    });
    await expect(stat(path.join(p.root, 'db'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('one-transaction and engine-limit errors before anything runs, data-dependent warnings, each with its place', async () => {
    const p = await projectWith(DEMO);
    const ft = SURREALDB >= 3 ? 'FULLTEXT' : 'SEARCH';
    const files: Record<string, string> = {
      '0004_note.surql': 'DEFINE TABLE note SCHEMAFULL;\nDEFINE FIELD text ON note TYPE string;\n',
      '0005_search.surql': `DEFINE ANALYZER words TOKENIZERS blank FILTERS lowercase;\nDEFINE INDEX note_text ON note FIELDS text ${ft} ANALYZER words BM25;\n`,
      '0006_flag.surql': 'DEFINE FIELD `select` ON note TYPE option<bool>;\n',
      // Old notes have no author: the UPDATE meets them.
      '0007_author.surql': 'DEFINE FIELD author ON note TYPE string;\nUPDATE note SET text = text;\n',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(p.migrations, name), text);
    const run = await runCli(p.root, ['lint', '--json', ...JUDGE]);
    expect(run.code).toBe(1);
    const doc = run.json();
    const found = problems(doc).filter(([kind]) => kind !== 'missing-down' && kind !== 'data-loss');
    expect(found).toEqual([
      ['one-transaction', '0005_search.surql', 2, 1],
      ...(SURREALDB >= 3 ? [['engine-limit', '0006_flag.surql', 1, 14]] : []),
      ['data-dependent', '0007_author.surql', 2, 1],
    ]);
    const bySeverity = (doc.problems as { kind: string; severity: string }[]).map((x) => [x.kind, x.severity]);
    expect(bySeverity).toContainEqual(['data-dependent', 'warning']);
    expect(bySeverity).toContainEqual(['one-transaction', 'error']);
  });

  it('exits 0 with only warnings, and 1 with errors', async () => {
    const p = await projectWith(DEMO);
    await writeFile(path.join(p.migrations, '0004_tags.surql'), 'DEFINE TABLE tag SCHEMALESS;\n');
    const warned = await runCli(p.root, ['lint', ...JUDGE]);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('warning missing-down migrations/0004_tags.surql: no down script');
    expect(warned.stdout).toContain('0 error(s), 3 warning(s); 4 up script(s) applied, 3 down script(s) proven.');

    await writeFile(path.join(p.migrations, '0004_tags.down.surql'), 'REMOVE TABLE tags;\n');
    const failed = await runCli(p.root, ['lint', '--json', ...JUDGE]);
    expect(failed.code).toBe(1);
    expect(failed.json()).toMatchObject({ ok: false, command: 'lint', checked: 4, reversible: 3 });
    expect(problems(failed.json())).toEqual([
      ['data-loss', '0001_create_users.down.surql', 2, 1],
      ['data-loss', '0002_create_posts.down.surql', 2, 1],
      ['data-loss', '0004_tags.down.surql', 1, 1],
      ['down-failed', '0004_tags.down.surql', 1, 1],
    ]);
  });

  // The upgrade check: lint judges by SurrealDB 3 unless told otherwise, whatever the suite's engine.
  it('prints every problem of the v2 folder with its place and hint, exit 1', async () => {
    const p = await projectWith(V2_CORPUS);
    const run = await runCli(p.root, ['lint']);
    expect(run.code).toBe(1);
    const { removed, rest: lines } = apartFromDataLoss(run.stdout);
    expect(removed).toEqual(V2_REMOVED);
    expect(lines.filter((l) => !l.startsWith('  hint: '))).toEqual([
      'error syntax migrations/0003_member_preferences.surql:2:36: Parse error: FLEXIBLE must be specified after TYPE',
      'error syntax migrations/0004_slug_functions.surql:5:12: Parse error: Invalid function/constant path, did you maybe mean `type::is_string`',
      'error syntax migrations/0006_task_assignee.surql:3:29: Parse error: Invalid function/constant path, did you maybe mean `type::is_record`',
      expect.stringMatching(/^error syntax migrations\/0008_task_search\.surql:4:53: Parse error: /),
      expect.stringMatching(/^error one-transaction migrations\/0008_task_search\.surql:4:1: DEFINE INDEX /),
      expect.stringMatching(/^error one-transaction migrations\/0008_task_search\.surql:5:1: DEFINE INDEX /),
      expect.stringMatching(
        /^error execution migrations\/0009_import_legacy_tickets\.surql:3:1: The table 'legacy_ticket' does not exist/,
      ),
      "error down-failed migrations/0010_labels.down.surql:4:1: The table 'tag' does not exist",
      expect.stringMatching(
        /^error execution migrations\/0011_workspace_archive\.surql:4:1: The table 'archived_task' does not exist/,
      ),
      '9 error(s), 8 warning(s); 8 up script(s) applied, 5 down script(s) proven.',
    ]);
    // Each problem is followed by its hint.
    expect(lines.filter((l) => l.startsWith('  hint: '))).toHaveLength(9);
    expect(lines[lines.indexOf(lines.find((l) => l.includes('0008_task_search'))!) + 1]).toMatch(
      /^ {2}hint: SurrealDB 3 calls full-text indexes FULLTEXT/,
    );
  });

  it('--json: one document, each problem with kind, severity, file, version, line, column, message, hint', async () => {
    const p = await projectWith(V2_CORPUS);
    const run = await runCli(p.root, ['lint', '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const doc = run.json();
    expect(Object.keys(doc).sort()).toEqual(['checked', 'command', 'ok', 'problems', 'reversible']);
    expect(doc).toMatchObject({ ok: false, command: 'lint', checked: 8, reversible: 5 });
    const all = doc.problems as Record<string, unknown>[];
    const losses = all.filter((p) => p.kind === 'data-loss');
    expect(losses.map((p) => [p.severity, /removes table (\w+)/.exec(String(p.message))?.[1]])).toEqual(
      V2_REMOVED.map((table) => ['warning', table]),
    );
    const errors = all.filter((p) => p.kind !== 'data-loss');
    expect(errors).toHaveLength(9);
    for (const problem of errors) {
      expect(Object.keys(problem).sort()).toEqual(PROBLEM_KEYS);
      expect(problem).toMatchObject({
        kind: expect.any(String),
        severity: 'error',
        file: expect.stringMatching(/^migrations\/\d{4}_\w+(\.down)?\.surql$/),
        version: expect.any(Number),
        line: expect.any(Number),
        column: expect.any(Number),
        message: expect.any(String),
        hint: expect.any(String),
      });
    }
    expect(errors[0]).toEqual({
      kind: 'syntax',
      severity: 'error',
      file: 'migrations/0003_member_preferences.surql',
      version: 3,
      line: 2,
      column: 36,
      message: 'Parse error: FLEXIBLE must be specified after TYPE',
      hint: UPGRADE_RULES.find((r) => r.id === 'flexible-placement')!.hint,
    });
  });

  it('--json: a problem without a place or hint still has all eight keys (null)', async () => {
    const p = await projectWith(DEMO);
    await writeFile(path.join(p.migrations, '0004_tags.surql'), 'DEFINE TABLE tag SCHEMALESS;\n');
    const doc = (await runCli(p.root, ['lint', '--json', ...JUDGE])).json();
    const missing = (doc.problems as Record<string, unknown>[]).filter((p) => p.kind !== 'data-loss');
    expect(missing).toHaveLength(1);
    expect(Object.keys(missing[0]!).sort()).toEqual(PROBLEM_KEYS);
    expect(missing[0]).toMatchObject({ kind: 'missing-down', line: null, column: null, hint: null });
  });

  it('--fix --out writes a rewritten copy, leaves the folder byte for byte, and lints the copy', async () => {
    const p = await projectWith(V2_CORPUS);
    const original = await bytesOf(p.migrations);
    const run = await runCli(p.root, ['lint', '--fix', '--out', 'migrations-v3']);
    expect(run.stderr).toBe('');
    const copy = path.join(p.root, 'migrations-v3');

    // Never in place.
    expect(await bytesOf(p.migrations)).toEqual(original);
    // Each fixed file, with what changed, before the problems of the copy.
    const lines = run.stdout.trimEnd().split('\n');
    // Each rewrite, with its file, line and column, rule, and what it changed.
    expect(lines.slice(0, 5)).toEqual([
      'fixed 0003_member_preferences.surql:2:36: flexible-placement FLEXIBLE TYPE object -> TYPE object FLEXIBLE',
      'fixed 0004_slug_functions.surql:5:12: renamed-function type::is::string -> type::is_string',
      'fixed 0006_task_assignee.surql:3:29: renamed-function type::is::record -> type::is_record',
      'fixed 0008_task_search.surql:4:53: search-analyzer SEARCH ANALYZER -> FULLTEXT ANALYZER',
      'fixed 0008_task_search.surql:5:51: search-analyzer SEARCH ANALYZER -> FULLTEXT ANALYZER',
    ]);
    expect(lines.filter((l) => l.startsWith('fixed '))).toHaveLength(5);
    expect(lines.some((l) => / syntax /.test(l))).toBe(false);
    expect(lines.at(-1)).toBe(
      'migrations-v3: 5 error(s), 9 warning(s); 12 up script(s) applied, 8 down script(s) proven.',
    );
    // What is left is no parse error: a person must decide about undefined tables.
    expect(run.code).toBe(1);

    // The copy: every file, the untouched ones byte for byte, the fixed ones rewritten.
    const copied = await bytesOf(copy);
    expect(Object.keys(copied)).toEqual(Object.keys(original));
    const fixed = new Set([
      '0003_member_preferences.surql',
      '0004_slug_functions.surql',
      '0006_task_assignee.surql',
      '0008_task_search.surql',
    ]);
    for (const name of Object.keys(original)) {
      if (fixed.has(name)) {
        const text = Buffer.from(original[name]!, 'hex').toString('utf8');
        expect(await readFile(path.join(copy, name), 'utf8')).toBe(upgradeScript(text).text);
        expect(copied[name]).not.toBe(original[name]);
      } else {
        expect([name, copied[name]]).toEqual([name, original[name]]);
      }
    }
    expect(await readFile(path.join(copy, '0003_member_preferences.surql'), 'utf8')).toContain(
      'TYPE object FLEXIBLE DEFAULT {}',
    );
    expect(await readFile(path.join(copy, '0008_task_search.surql'), 'utf8')).toContain(
      'FULLTEXT ANALYZER task_text BM25 HIGHLIGHTS',
    );

    // The copy linted on its own: no syntax problem left, the execution problems with their hints.
    const again = await runCli(p.root, ['lint', '--dir', 'migrations-v3', '--json']);
    expect(again.code).toBe(1);
    const doc = again.json();
    expect(problems(doc).filter(([kind]) => kind !== 'data-loss')).toEqual([
      ['one-transaction', '0008_task_search.surql', 4, 1],
      ['one-transaction', '0008_task_search.surql', 5, 1],
      ['missing-down', '0004_slug_functions.surql', undefined, undefined],
      ['execution', '0009_import_legacy_tickets.surql', 3, 1],
      ['down-failed', '0010_labels.down.surql', 4, 1],
      ['execution', '0011_workspace_archive.surql', 4, 1],
    ]);
    for (const problem of (doc.problems as { kind: string; hint?: string }[]).filter(
      (x) => x.kind === 'execution' || x.kind === 'down-failed',
    ))
      expect(problem.hint).toBe(UNDEFINED_TABLE_HINT);
    expect(doc).toMatchObject({ ok: false, checked: 12, reversible: 8 });
  });

  it('--fix --out --json: the document says which files were fixed, by which rules', async () => {
    const p = await projectWith(V2_CORPUS);
    const run = await runCli(p.root, ['lint', '--fix', '--out', 'out', '--json']);
    expect(run.code).toBe(1);
    const doc = run.json();
    const search = { rule: 'search-analyzer', from: 'SEARCH ANALYZER', to: 'FULLTEXT ANALYZER' };
    expect(doc.fixed).toEqual([
      {
        file: '0003_member_preferences.surql',
        rules: ['flexible-placement'],
        parses: true,
        rewrites: [
          {
            rule: 'flexible-placement',
            line: 2,
            column: 36,
            from: 'FLEXIBLE TYPE object',
            to: 'TYPE object FLEXIBLE',
          },
        ],
      },
      {
        file: '0004_slug_functions.surql',
        rules: ['renamed-function'],
        parses: true,
        rewrites: [{ rule: 'renamed-function', line: 5, column: 12, from: 'type::is::string', to: 'type::is_string' }],
      },
      {
        file: '0006_task_assignee.surql',
        rules: ['renamed-function'],
        parses: true,
        rewrites: [{ rule: 'renamed-function', line: 3, column: 29, from: 'type::is::record', to: 'type::is_record' }],
      },
      {
        file: '0008_task_search.surql',
        rules: ['search-analyzer'],
        parses: true,
        rewrites: [
          { ...search, line: 4, column: 53 },
          { ...search, line: 5, column: 51 },
        ],
      },
    ]);
    expect((doc.problems as { kind: string; file: string }[]).map((x) => x.kind)).not.toContain('syntax');
    expect((doc.problems as { file: string }[]).every((x) => x.file.startsWith('out/'))).toBe(true);
  });

  it('--fix --out on a clean folder copies it and exits 0', async () => {
    const p = await projectWith(DEMO);
    const run = await runCli(p.root, ['lint', '--fix', '--out', 'copy']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        ...DEMO_LOSSES.flatMap(([file, , line, table]) => dataLossText(`copy/${file}`, line, table)),
        'copy: 0 error(s), 2 warning(s); 3 up script(s) applied, 3 down script(s) proven.',
        '',
      ].join('\n'),
    );
    expect(await bytesOf(path.join(p.root, 'copy'))).toEqual(await bytesOf(p.migrations));
  });

  it.each([
    ['--fix without --out', ['lint', '--fix'], /`lint --fix` needs `--out <folder>`/],
    ['--out without --fix', ['lint', '--out', 'copy'], /`--out` needs `--fix`/],
    ['--out the folder itself', ['lint', '--fix', '--out', 'migrations'], /never writes into the folder it reads/],
    [
      '--out the folder, spelled otherwise',
      ['lint', '--fix', '--out', './migrations/'],
      /never writes into the folder it reads/,
    ],
    ['--out a folder that is not empty', ['lint', '--fix', '--out', 'busy'], /busy exists and is not empty/],
    ['--out a file', ['lint', '--fix', '--out', 'busy/keep.txt'], /busy\/keep\.txt exists and is not a folder/],
  ])('%s is a usage error (exit 2), and nothing is written', async (_label, args, message) => {
    const p = await projectWith(V2_CORPUS);
    await mkdir(path.join(p.root, 'busy'));
    await writeFile(path.join(p.root, 'busy', 'keep.txt'), 'mine\n');
    const original = await bytesOf(p.migrations);
    const run = await runCli(p.root, args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(await bytesOf(p.migrations)).toEqual(original);
    expect(await bytesOf(path.join(p.root, 'busy'))).toEqual({ 'keep.txt': Buffer.from('mine\n').toString('hex') });
    expect((await readdir(p.root)).sort()).toEqual(['busy', 'migrations']);
  });

  it('--fix --out into a folder that is not empty is a usage error in --json too', async () => {
    const p = await projectWith(V2_CORPUS);
    await mkdir(path.join(p.root, 'busy'));
    await writeFile(path.join(p.root, 'busy', 'keep.txt'), 'mine\n');
    const run = await runCli(p.root, ['lint', '--fix', '--out', 'busy', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ ok: false, command: 'lint', error: { code: 'USAGE' } });
  });

  it('--out inside the migrations folder is a usage error too', async () => {
    const p = await projectWith(V2_CORPUS);
    const names = (await readdir(p.migrations)).sort();
    const run = await runCli(p.root, ['lint', '--fix', '--out', 'migrations/v3']);
    expect(run.code).toBe(2);
    expect((await readdir(p.migrations)).sort()).toEqual(names);
  });

  it('--fix copies a script that needs no rewrite byte for byte (CRLF, BOM)', async () => {
    project = await cliProject({
      '0001_a.surql': 'DEFINE TABLE a SCHEMAFULL;\r\nDEFINE FIELD s ON a FLEXIBLE TYPE object;\r\n',
      '0001_a.down.surql': '\uFEFFREMOVE TABLE a;\r\n',
    });
    const run = await runCli(project.root, ['lint', '--fix', '--out', 'copy']);
    expect(run.code).toBe(0);
    const copy = path.join(project.root, 'copy');
    expect(await readFile(path.join(copy, '0001_a.down.surql'), 'utf8')).toBe('\uFEFFREMOVE TABLE a;\r\n');
    expect(await readFile(path.join(copy, '0001_a.surql'), 'utf8')).toBe(
      'DEFINE TABLE a SCHEMAFULL;\r\nDEFINE FIELD s ON a TYPE object FLEXIBLE;\r\n',
    );
  });

  it('--fix copies a folder that lints clean on SurrealDB 3 byte for byte, whatever its names hold', async () => {
    // The renamed functions' text in user function names, a string, a comment and a field: nothing
    // here is a call of a renamed built-in, and SurrealDB 3 parses all of it.
    project = await cliProject({
      '0001_acl.surql':
        'DEFINE FUNCTION fn::acl::is::admin($u: string) { RETURN $u = "root"; };\n' +
        'DEFINE FUNCTION fn::legacy::type::thing($t: string) { RETURN $t; };\n' +
        "DEFINE TABLE note SCHEMAFULL;\nDEFINE FIELD text ON note TYPE string DEFAULT 'type::is::string(1) FLEXIBLE TYPE object';\n" +
        'DEFINE FIELD search ON note TYPE bool DEFAULT fn::acl::is::admin("x") OR fn::legacy::type::thing("a") = "a";\n' +
        '-- type::thing(1), SEARCH ANALYZER a, FLEXIBLE TYPE object\n',
      '0001_acl.down.surql':
        'REMOVE TABLE note;\nREMOVE FUNCTION fn::legacy::type::thing;\nREMOVE FUNCTION fn::acl::is::admin;\n',
    });
    const clean = await runCli(project.root, ['lint']);
    expect([clean.code, clean.stdout]).toEqual([
      0,
      [
        ...dataLossText('migrations/0001_acl.down.surql', 1, 'note'),
        '0 error(s), 1 warning(s); 1 up script(s) applied, 1 down script(s) proven.',
        '',
      ].join('\n'),
    ]);
    const run = await runCli(project.root, ['lint', '--fix', '--out', 'copy']);
    expect(run.stdout).toBe(
      [
        ...dataLossText('copy/0001_acl.down.surql', 1, 'note'),
        'copy: 0 error(s), 1 warning(s); 1 up script(s) applied, 1 down script(s) proven.',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(0);
    expect(await bytesOf(path.join(project.root, 'copy'))).toEqual(await bytesOf(project.migrations));
    const json = await runCli(project.root, ['lint', '--fix', '--out', 'copy2', '--json']);
    expect(json.json()).toMatchObject({ ok: true, fixed: [] });
  });

  it('--fix says which rewritten file SurrealDB 3 still does not parse, and lint names what is left', async () => {
    project = await cliProject({
      '0001_a.surql': 'RETURN [type::is::string(1), 1 2];\nRETURN [1 2, type::is::int(1)];\n',
      '0001_a.down.surql': 'RETURN 1;\n',
    });
    const run = await runCli(project.root, ['lint', '--fix', '--out', 'copy']);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    // Only the candidate before the other refusal of its statement is rewritten.
    expect(lines.slice(0, 3)).toEqual([
      'fixed 0001_a.surql:1:9: renamed-function type::is::string -> type::is_string',
      'note copy/0001_a.surql does not parse on SurrealDB 3 yet: its problem is listed below.',
      expect.stringMatching(/^error syntax copy\/0001_a\.surql:1:31: /),
    ]);
    expect(await readFile(path.join(project.root, 'copy', '0001_a.surql'), 'utf8')).toBe(
      'RETURN [type::is_string(1), 1 2];\nRETURN [1 2, type::is::int(1)];\n',
    );
    const json = await runCli(project.root, ['lint', '--fix', '--out', 'copy2', '--json']);
    expect(json.json().fixed).toEqual([
      {
        file: '0001_a.surql',
        rules: ['renamed-function'],
        parses: false,
        rewrites: [{ rule: 'renamed-function', line: 1, column: 9, from: 'type::is::string', to: 'type::is_string' }],
      },
    ]);
  });

  posixIt(
    '--fix refuses, by name, every entry that is not a regular file, before writing anything, and opens none',
    async () => {
      const p = await projectWith(DEMO);
      // A FIFO with a writer: a copy that opened it would read it and go on, instead of hanging.
      const fifo = guardedFifo(path.join(p.migrations, 'notes'));
      const server = createServer();
      try {
        await mkdir(path.join(p.migrations, 'archive'));
        await symlink('notes', path.join(p.migrations, 'notes.link'));
        await symlink('nowhere', path.join(p.migrations, 'dangling'));
        await new Promise<void>((resolve) => server.listen(path.join(p.migrations, 'sock'), resolve));
        const original = (await readdir(p.migrations)).sort();

        const run = await runCli(p.root, ['lint', '--fix', '--out', 'copy']);
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        const reasons = run.stderr
          .split('\n')
          .filter((l) => l.startsWith('  - '))
          .map((l) => l.replace(/;.*$/, '').replace(p.migrations, '<dir>'));
        expect(reasons).toEqual([
          '  - migrations/archive: is a directory, not a regular file',
          expect.stringMatching(
            /^ {2}- migrations\/dangling: cannot be read: it is a symbolic link to nowhere, which does not exist/,
          ),
          '  - migrations/notes: is a named pipe (FIFO), not a regular file',
          '  - migrations/notes.link: is a symbolic link to notes, which is a named pipe (FIFO), not a regular file',
          '  - migrations/sock: is a socket, not a regular file',
        ]);
        expect(run.stderr).toContain('lint --fix copies only regular files');
        // Nothing written, nothing taken from the folder.
        expect((await readdir(p.root)).sort()).toEqual(['migrations']);
        expect((await readdir(p.migrations)).sort()).toEqual(original);

        const json = await runCli(p.root, ['lint', '--fix', '--out', 'copy', '--json']);
        expect(json.code).toBe(1);
        expect(json.json()).toMatchObject({ ok: false, command: 'lint', error: { code: 'DISCOVERY_FAILED' } });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await fifo.release();
      }
    },
  );
});
