import { lintOtherThanDataLoss } from '../support/lint-report.js';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Surreal } from 'surrealdb';
import { type LintProblem, type LintReport } from '../../src/core/analysis/lint.js';
import {
  compareSchemas,
  describeObject,
  readSchema,
  type DatabaseSchema,
  type SchemaObject,
} from '../../src/core/shadow/shadow.js';
import { ShadowDatabase } from '../../src/core/shadow/shadow-database.js';
import { UPGRADE_RULES, upgradeHint, upgradeScript } from '../../src/core/surql/v3-upgrade.js';
import { MigrationManager } from '../../src/index.js';
import { repoRoot } from '../support/child.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM, SURREALDB } from '../support/engine.js';

/** The migrations of a SurrealDB 2 app (see its README): what SurrealDB 3 refuses, file by file. */
const V2_CORPUS = path.join(repoRoot, 'test', 'fixtures', 'v2-corpus');
const DEMO = path.join(repoRoot, 'migrations');

/** Judged by the suite's engine (SURREALDB_ENGINE), as `lint --surrealdb` says which. */
const ON = { surrealdb: SURREALDB } as const;

/** A statement that fails at run time on a table that was never defined (SurrealDB 2 updates nothing there). */
const FAILS_ON_MISSING_TABLE = SURREALDB >= 3 ? 'UPDATE nothere SET k = 1;' : 'REMOVE TABLE nothere;';

function hintOf(rule: string): string {
  const found = UPGRADE_RULES.find((r) => r.id === rule);
  if (!found) throw new Error(`no upgrade rule ${rule}`);
  return found.hint;
}

/** A problem without its message: what a test compares exactly. */
function brief(p: LintProblem) {
  return { kind: p.kind, severity: p.severity, file: path.basename(p.file), line: p.line, column: p.column };
}

function problemIn(report: LintReport, file: string, kind?: LintProblem['kind']): LintProblem {
  // Without a kind: the file's problem that the engine reported (not what lint foresees statically).
  const found = report.problems.filter(
    (p) => path.basename(p.file) === file && (kind ? p.kind === kind : p.kind !== 'one-transaction'),
  );
  if (found.length !== 1) throw new Error(`expected one problem in ${file}, got ${JSON.stringify(report.problems)}`);
  return found[0]!;
}

/** Every file of a folder with its bytes, to prove that nothing wrote to it. */
async function snapshotFolder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(path.join(dir, name))).toString('hex');
  return out;
}

describe('lint: a SurrealDB 2 folder on SurrealDB 3', () => {
  let report: LintReport;
  beforeAll(async () => {
    report = await lintOtherThanDataLoss({ directory: V2_CORPUS, surrealdb: 3 });
  });

  it('lists every failing file in one run, with its kind, line and column', () => {
    expect(report.ok).toBe(false);
    expect(report.problems.map(brief)).toEqual([
      // Syntax first: every file parsed on its own, so that every parse error is listed.
      { kind: 'syntax', severity: 'error', file: '0003_member_preferences.surql', line: 2, column: 36 },
      { kind: 'syntax', severity: 'error', file: '0004_slug_functions.surql', line: 5, column: 12 },
      { kind: 'syntax', severity: 'error', file: '0006_task_assignee.surql', line: 3, column: 29 },
      { kind: 'syntax', severity: 'error', file: '0008_task_search.surql', line: 4, column: 53 },
      // Before anything runs: the analyzer and its two full-text indexes share one transaction.
      { kind: 'one-transaction', severity: 'error', file: '0008_task_search.surql', line: 4, column: 1 },
      { kind: 'one-transaction', severity: 'error', file: '0008_task_search.surql', line: 5, column: 1 },
      // Then the ups in order, carrying on past each failure.
      { kind: 'execution', severity: 'error', file: '0009_import_legacy_tickets.surql', line: 3, column: 1 },
      { kind: 'down-failed', severity: 'error', file: '0010_labels.down.surql', line: 4, column: 1 },
      { kind: 'execution', severity: 'error', file: '0011_workspace_archive.surql', line: 4, column: 1 },
    ]);
    expect(report.problems.map((p) => p.version)).toEqual([3, 4, 6, 8, 8, 8, 9, 10, 11]);
    // The 8 parsable ups were applied; the downs of 0001, 0002, 0005, 0007 and 0012 are proven.
    expect(report.checked).toBe(8);
    expect(report.reversible).toBe(5);
  });

  it.each([
    ['0003_member_preferences.surql', 'flexible-placement', /FLEXIBLE must be specified after TYPE/],
    ['0004_slug_functions.surql', 'renamed-function', /type::is_string/],
    ['0006_task_assignee.surql', 'renamed-function', /type::is_record/],
    ['0008_task_search.surql', 'search-analyzer', /Parse error/],
    ['0009_import_legacy_tickets.surql', 'undefined-table', /The table 'legacy_ticket' does not exist/],
    ['0010_labels.down.surql', 'undefined-table', /The table 'tag' does not exist/],
    ['0011_workspace_archive.surql', 'undefined-table', /The table 'archived_task' does not exist/],
  ])('%s: the hint of %s, with SurrealDB 3 own message', (file, rule, message) => {
    const problem = problemIn(report, file);
    expect(problem.hint).toBe(hintOf(rule));
    expect(problem.message).toMatch(message);
  });

  it('says which earlier failure an execution error may follow from', () => {
    expect(problemIn(report, '0009_import_legacy_tickets.surql').message).toMatch(
      /0003_member_preferences\.surql failed before it/,
    );
  });

  it('names no clean file', () => {
    const named = new Set(report.problems.map((p) => path.basename(p.file)));
    for (const clean of ['0001', '0002', '0005', '0007', '0012']) {
      expect([...named].filter((f) => f.startsWith(clean))).toEqual([]);
    }
  });

  it('rewrites exactly the v2 forms that have one meaning in v3, never in comments or strings', async () => {
    const expected: Record<string, string[]> = {
      '0003_member_preferences.surql': ['flexible-placement'],
      '0004_slug_functions.surql': ['renamed-function'],
      '0006_task_assignee.surql': ['renamed-function'],
      '0008_task_search.surql': ['search-analyzer'],
    };
    for (const name of (await readdir(V2_CORPUS)).filter((n) => n.endsWith('.surql'))) {
      const text = await readFile(path.join(V2_CORPUS, name), 'utf8');
      expect([name, upgradeScript(text).rules]).toEqual([name, expected[name] ?? []]);
    }
    const preferences = await readFile(path.join(V2_CORPUS, '0003_member_preferences.surql'), 'utf8');
    expect(upgradeScript(preferences).text).toContain(
      'DEFINE FIELD preferences ON member TYPE object FLEXIBLE DEFAULT {};',
    );
    const untouched = "-- type::is::string(x), SEARCH ANALYZER a\nRETURN 'type::is::record FLEXIBLE TYPE object';\n";
    expect(upgradeScript(untouched)).toEqual({ text: untouched, rules: [] });
    expect(upgradeScript('RETURN string::is::email($e) AND type::thing("a", 1);').text).toBe(
      'RETURN string::is_email($e) AND type::record("a", 1);',
    );
  });

  it('gives no upgrade hint for a problem no 2 -> 3 change explains', () => {
    expect(upgradeHint("Found 'x' for field `n`, but expected a int", 'CREATE t SET n = "x"')).toBeUndefined();
  });

  it('gives no renamed-function hint for a misspelt function', () => {
    expect(
      upgradeHint(
        'Parse error: Invalid function/constant path, did you maybe mean `string::len`',
        'DEFINE FIELD n ON a TYPE string ASSERT string::lenght($value) > 0',
      ),
    ).toBeUndefined();
  });
});

describe('lint: down scripts proven by up, down, and the schema compared with the one before', () => {
  let folder: TempMigrations;
  afterEach(async () => {
    await folder?.dispose();
  });

  it('names exactly the bad downs, with the objects they leave behind, lose or change', async () => {
    folder = await tempMigrations({
      // Good.
      '0001_create_a.surql': 'DEFINE TABLE a SCHEMAFULL;\nDEFINE FIELD x ON a TYPE string;\n',
      '0001_create_a.down.surql': 'REMOVE TABLE a;\n',
      // Leaves the index behind.
      '0002_add_y.surql': 'DEFINE FIELD y ON a TYPE int DEFAULT 0;\nDEFINE INDEX a_y ON a FIELDS y;\n',
      '0002_add_y.down.surql': 'REMOVE FIELD y ON a;\n',
      // Good (two tables).
      '0003_create_b_c.surql':
        'DEFINE TABLE b SCHEMAFULL;\nDEFINE FIELD label ON b TYPE string;\nDEFINE FIELD note ON b TYPE option<string>;\n' +
        'DEFINE TABLE c SCHEMAFULL;\nDEFINE FIELD amount ON c TYPE int;\n',
      '0003_create_b_c.down.surql': 'REMOVE TABLE c;\nREMOVE TABLE b;\n',
      // Loses a field the up did not define.
      '0004_add_rank.surql': 'DEFINE FIELD rank ON b TYPE int DEFAULT 0;\n',
      '0004_add_rank.down.surql': 'REMOVE FIELD rank ON b;\nREMOVE FIELD note ON b;\n',
      // Changes the type it should restore.
      '0005_decimal_amount.surql': 'DEFINE FIELD OVERWRITE amount ON c TYPE decimal;\n',
      '0005_decimal_amount.down.surql': 'DEFINE FIELD OVERWRITE amount ON c TYPE float;\n',
      // Fails: a typo in the table's name.
      '0006_create_note.surql': 'DEFINE TABLE note SCHEMALESS;\n',
      '0006_create_note.down.surql': 'REMOVE TABLE notes;\n',
      // No down at all: a warning.
      '0007_create_tag.surql': 'DEFINE TABLE tag SCHEMALESS;\n',
      // Good: an event, a param and a function.
      '0008_tag_event.surql':
        "DEFINE EVENT tag_created ON tag WHEN $event = 'CREATE' THEN (UPDATE $after.id SET seen = true);\n",
      '0008_tag_event.down.surql': 'REMOVE EVENT tag_created ON tag;\n',
      '0009_greeting.surql':
        "DEFINE PARAM $greeting VALUE 'hello';\nDEFINE FUNCTION fn::greet($name: string) { RETURN $greeting + ' ' + $name; };\n",
      '0009_greeting.down.surql': 'REMOVE FUNCTION fn::greet;\nREMOVE PARAM $greeting;\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    const file = (name: string) => path.join(path.relative(process.cwd(), folder.dir), name);

    expect(report.problems.map(brief)).toEqual([
      { kind: 'irreversible', severity: 'error', file: '0002_add_y.down.surql', line: undefined, column: undefined },
      // The index left behind also makes the up fail when it is applied again.
      { kind: 'irreversible', severity: 'error', file: '0002_add_y.surql', line: 2, column: 1 },
      { kind: 'irreversible', severity: 'error', file: '0004_add_rank.down.surql', line: undefined, column: undefined },
      {
        kind: 'irreversible',
        severity: 'error',
        file: '0005_decimal_amount.down.surql',
        line: undefined,
        column: undefined,
      },
      { kind: 'down-failed', severity: 'error', file: '0006_create_note.down.surql', line: 1, column: 1 },
      { kind: 'missing-down', severity: 'warning', file: '0007_create_tag.surql', line: undefined, column: undefined },
    ]);
    const [leftBehind, reapplied, lost, changed, failed, missing] = report.problems as [
      LintProblem,
      LintProblem,
      LintProblem,
      LintProblem,
      LintProblem,
      LintProblem,
    ];
    expect(leftBehind.message).toBe(
      `index \`a_y\` on \`a\` is left behind by ${file('0002_add_y.down.surql')} (DEFINE INDEX a_y ON a FIELDS y)`,
    );
    expect(reapplied.message).toMatch(/fails when applied again after .*0002_add_y\.down\.surql: .*a_y.*exists/);
    expect(lost.message).toMatch(
      new RegExp(
        `^field \`note\` on \`b\` is lost: .*0004_add_rank\\.down\\.surql removes it, but .*0004_add_rank\\.surql ` +
          'did not define it \\(DEFINE FIELD note ON b TYPE',
      ),
    );
    expect(changed.message).toMatch(
      /^field `amount` on `c` is changed by the pair: before DEFINE FIELD amount ON c TYPE int\b.*, after DEFINE FIELD amount ON c TYPE float\b/,
    );
    expect(failed.message).toBe("The table 'notes' does not exist");
    expect(missing.message).toBe(`no down script: ${file('0007_create_tag.surql')} cannot be rolled back`);
    expect(report.problems.map((p) => p.version)).toEqual([2, 2, 4, 5, 6, 7]);

    // A warning alone would be ok; the errors are not.
    expect(report.ok).toBe(false);
    expect(report.checked).toBe(9);
    // 0001, 0003, 0008, 0009.
    expect(report.reversible).toBe(4);
  });

  it('a folder whose only problem is a missing down is ok, with a warning', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMAFULL;\n',
      '0001_a.down.surql': 'REMOVE TABLE a;\n',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.map(brief)).toEqual([
      { kind: 'missing-down', severity: 'warning', file: '0002_b.surql', line: undefined, column: undefined },
    ]);
    expect(report).toMatchObject({ ok: true, checked: 2, reversible: 1 });
  });

  it('a syntax error in a down script is listed, and that down is not run', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMAFULL;\n',
      '0001_a.down.surql': '-- the table goes\nREMOVE TABLE a\nREMOVE TABLE b;\n',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\n',
      '0002_b.down.surql': 'REMOVE TABLE b;\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.map(brief)).toEqual([
      { kind: 'syntax', severity: 'error', file: '0001_a.down.surql', line: 3, column: 1 },
    ]);
    expect(report).toMatchObject({ ok: false, checked: 2, reversible: 1 });
  });

  it('a lossy down is not blamed on the next, correct, pair', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMAFULL;\nDEFINE FIELD x ON a TYPE string;\n',
      '0001_a.down.surql': 'REMOVE TABLE a;\n',
      '0002_z.surql': 'DEFINE FIELD z ON a TYPE string;\n',
      '0002_z.down.surql': 'REMOVE FIELD z ON a;\nREMOVE FIELD x ON a;\n',
      '0003_x_wider.surql': 'DEFINE FIELD OVERWRITE x ON a TYPE string | int;\n',
      '0003_x_wider.down.surql': 'DEFINE FIELD OVERWRITE x ON a TYPE string;\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.map((p) => path.basename(p.file))).toEqual(['0002_z.down.surql']);
    expect(report.reversible).toBe(2);
  });

  it('what a failed no-transaction up left is not blamed on the next down', async () => {
    folder = await tempMigrations({
      '0001_a.surql': `-- migrate:no-transaction\nDEFINE TABLE a SCHEMAFULL;\nDEFINE FIELD x ON a TYPE string;\n${FAILS_ON_MISSING_TABLE}\n`,
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\n',
      '0002_b.down.surql': 'REMOVE TABLE b;\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.map(brief)).toEqual([
      { kind: 'execution', severity: 'error', file: '0001_a.surql', line: 4, column: 1 },
    ]);
    expect(report.reversible).toBe(1);
  });

  it('a down that leaves a database user behind is not proven', async () => {
    folder = await tempMigrations({
      '0001_reporter.surql': "DEFINE USER reporter ON DATABASE PASSWORD 'not-a-secret' ROLES VIEWER;\n",
      '0001_reporter.down.surql': '-- (forgot the user)\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.reversible).toBe(0);
    expect(report.problems.map(brief)).toContainEqual({
      kind: 'irreversible',
      severity: 'error',
      file: '0001_reporter.down.surql',
      line: undefined,
      column: undefined,
    });
  });
});

describe('readSchema and compareSchemas', () => {
  const managers: MigrationManager[] = [];
  let folder: TempMigrations;
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    await folder?.dispose();
  });

  const keyOf = (o: Pick<SchemaObject, 'kind' | 'table' | 'name'>) => [o.kind, o.table, o.name];

  it('reads every kind of object, sorted by kind, table and name, without the tool’s own tables', async () => {
    folder = await tempMigrations({
      '0001_schema.surql': [
        'DEFINE TABLE person SCHEMAFULL;',
        'DEFINE FIELD name ON person TYPE string;',
        'DEFINE FIELD age ON person TYPE option<int>;',
        'DEFINE INDEX person_name ON person FIELDS name;',
        "DEFINE EVENT renamed ON person WHEN $before.name != $after.name THEN (CREATE audit SET what = 'rename');",
        'DEFINE TABLE audit SCHEMALESS;',
        'DEFINE ANALYZER words TOKENIZERS blank FILTERS lowercase;',
        "DEFINE PARAM $greeting VALUE 'hello';",
        'DEFINE FUNCTION fn::greet($n: string) { RETURN $greeting + $n; };',
        // SurrealDB 2 has no sequences.
        ...(SURREALDB >= 3 ? ['DEFINE SEQUENCE invoice_no;'] : []),
        // The default history table's name is a user table here: the tool's tables are `history*`.
        'DEFINE TABLE _sbl_migrations SCHEMALESS;',
      ].join('\n'),
    });
    const manager = await MigrationManager.create({ ...memOptions(folder.dir), table: 'history', logger: false });
    managers.push(manager);
    await manager.runMigrationUp();
    await manager.db.query('DEFINE TABLE IF NOT EXISTS history_lock; DEFINE TABLE IF NOT EXISTS history_failed;');

    const schema = await readSchema(manager.db, 'history');
    expect(schema.map(keyOf)).toEqual([
      ['analyzer', undefined, 'words'],
      ['function', undefined, 'greet'],
      ['param', undefined, 'greeting'],
      ...(SURREALDB >= 3 ? [['sequence', undefined, 'invoice_no']] : []),
      ['table', undefined, '_sbl_migrations'],
      ['table', undefined, 'audit'],
      ['table', undefined, 'person'],
      ['field', 'person', 'age'],
      ['field', 'person', 'name'],
      ['index', 'person', 'person_name'],
      ['event', 'person', 'renamed'],
    ]);
    // The server's own normalized definitions.
    for (const o of schema) expect(o.definition).toMatch(/^DEFINE /);
    // (SurrealDB 2 prints `option<int>` where 3 prints `none | int`.)
    expect(schema.find((o) => o.kind === 'field' && o.name === 'age')?.definition).toMatch(
      SURREALDB >= 3
        ? /^DEFINE FIELD age ON person TYPE none \| int\b/
        : /^DEFINE FIELD age ON person TYPE option<int>/,
    );
    // Read again, nothing changed.
    expect(compareSchemas(schema, await readSchema(manager.db, 'history'))).toEqual([]);
    // With the default name, the default tables are the tool's.
    expect((await readSchema(manager.db, '_sbl_migrations')).map(keyOf)).toContainEqual([
      'table',
      undefined,
      'history',
    ]);
    expect((await readSchema(manager.db, '_sbl_migrations')).map(keyOf)).not.toContainEqual([
      'table',
      undefined,
      '_sbl_migrations',
    ]);
  });

  it('tells added, removed and changed objects of a live database apart', async () => {
    folder = await tempMigrations({});
    const manager = await MigrationManager.create({ ...memOptions(folder.dir), logger: false });
    managers.push(manager);
    await manager.db.query(
      'DEFINE TABLE a SCHEMAFULL; DEFINE FIELD x ON a TYPE string; DEFINE INDEX a_x ON a FIELDS x;',
    );
    const before = await readSchema(manager.db, '_sbl_migrations');
    await manager.db.query(
      'DEFINE FIELD OVERWRITE x ON a TYPE int; REMOVE INDEX a_x ON a; DEFINE FIELD y ON a TYPE bool; DEFINE TABLE b;',
    );
    const changes = compareSchemas(before, await readSchema(manager.db, '_sbl_migrations'));
    expect(changes.map((c) => [c.change, ...keyOf(c)])).toEqual([
      ['added', 'table', undefined, 'b'],
      ['changed', 'field', 'a', 'x'],
      ['added', 'field', 'a', 'y'],
      ['removed', 'index', 'a', 'a_x'],
    ]);
    const x = changes.find((c) => c.name === 'x')!;
    expect(x.before).toMatch(/TYPE string/);
    expect(x.after).toMatch(/TYPE int/);
    const removed = changes.find((c) => c.change === 'removed')!;
    expect(removed).toMatchObject({ after: undefined, before: expect.stringMatching(/^DEFINE INDEX a_x ON a/) });
    expect(changes.find((c) => c.name === 'b')).toMatchObject({ before: undefined });
  });

  it('keys objects by kind, table and name: same names elsewhere are other objects', () => {
    const o = (
      kind: SchemaObject['kind'],
      table: string | undefined,
      name: string,
      definition = `${kind} ${name}`,
    ) => ({
      kind,
      table,
      name,
      definition,
    });
    const before: DatabaseSchema = [o('table', undefined, 'a'), o('field', 'a', 'x'), o('field', 'b', 'x')];
    const after: DatabaseSchema = [
      o('table', undefined, 'a'),
      o('field', 'b', 'x', 'field x, now int'),
      o('index', 'a', 'x'),
      o('field', 'c', 'x'),
      o('table', undefined, 'x'),
    ];
    expect(compareSchemas(before, after)).toEqual([
      { change: 'added', kind: 'table', table: undefined, name: 'x', before: undefined, after: 'table x' },
      { change: 'removed', kind: 'field', table: 'a', name: 'x', before: 'field x', after: undefined },
      { change: 'changed', kind: 'field', table: 'b', name: 'x', before: 'field x', after: 'field x, now int' },
      { change: 'added', kind: 'field', table: 'c', name: 'x', before: undefined, after: 'field x' },
      { change: 'added', kind: 'index', table: 'a', name: 'x', before: undefined, after: 'index x' },
    ]);
    expect(compareSchemas(after, after)).toEqual([]);
    expect(compareSchemas([], [])).toEqual([]);
  });

  it('describes objects as lint names them', () => {
    expect(describeObject({ kind: 'index', table: 'a', name: 'a_y' })).toBe('index `a_y` on `a`');
    expect(describeObject({ kind: 'function', table: undefined, name: 'greet' })).toBe('function `fn::greet`');
    expect(describeObject({ kind: 'param', table: undefined, name: 'greeting' })).toBe('param `$greeting`');
    expect(describeObject({ kind: 'table', table: undefined, name: 'a' })).toBe('table `a`');
  });
});

describe('ShadowDatabase', () => {
  let folder: TempMigrations;
  let shadow: ShadowDatabase | undefined;
  afterEach(async () => {
    await shadow?.close();
    shadow = undefined;
    await folder?.dispose();
  });

  it('applies one version at a time, carries on past failures, and hides its history', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMAFULL;\n',
      '0001_a.down.surql': 'REMOVE TABLE a;\n',
      '0002_bad.surql': `-- migrate:no-transaction\nDEFINE TABLE half;\n${FAILS_ON_MISSING_TABLE}\n`,
      '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;\nDEFINE TABLE (\n',
    });
    shadow = await ShadowDatabase.open(folder.dir, ON);
    expect(shadow.major).toBe(SURREALDB);
    expect(shadow.up.map((m) => m.version)).toEqual([1, 2, 3]);
    expect(shadow.down.map((m) => m.version)).toEqual([1]);

    expect(await shadow.parse(shadow.up[0]!, 'up')).toBeUndefined();
    const parseError = await shadow.parse(shadow.up[2]!, 'up');
    expect(parseError).toMatchObject({ line: 2 });
    // Parsing ran nothing.
    expect((await shadow.schema()).map((o) => o.name)).toEqual([]);

    expect(await shadow.applyUp(1)).toBeUndefined();
    const failure = await shadow.applyUp(2);
    expect(failure?.reason).toMatch(/The table 'nothere' does not exist/);
    expect(failure?.line).toBe(3);
    // The failed no-transaction file was set aside: the shadow goes on.
    expect(await shadow.applyDown(1)).toBeUndefined();
    expect(await shadow.applyUp(1)).toBeUndefined();
    expect((await shadow.schema()).map((o) => o.name)).toEqual(['a', 'half']);
  });
});

describe('lint needs only the folder', () => {
  const managers: MigrationManager[] = [];
  afterAll(async () => {
    for (const m of managers) await m.close();
  });

  async function everything(db: Surreal) {
    const [info] = await db.query<[Record<string, Record<string, string>>]>('INFO FOR DB');
    const tables = Object.keys(info.tables ?? {}).sort();
    const rows: unknown[] = [];
    for (const table of tables) {
      const [found] = await db.query<[unknown[]]>('SELECT * FROM type::table($t) ORDER BY id', { t: table });
      rows.push(table, found);
    }
    return { info, rows };
  }

  it('leaves a user database alone, even one named as the shadow is', async () => {
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 'shadow',
      database: 'shadow',
      directory: DEMO,
      logger: false,
    });
    managers.push(manager);
    await manager.runMigrationUp();
    await manager.rollback({ steps: 1 });
    await manager.db.query("CREATE user:ada SET email = 'ada@example.com', name = 'Ada';");
    const before = await everything(manager.db);

    // A shadow of the same engine as the user's database (on SurrealDB 2, the same wasm module).
    const report = await lintOtherThanDataLoss({ directory: DEMO, ...ON });
    // The user's tables were not in the shadow: the demo's ups met an empty database.
    expect(report).toMatchObject({ ok: true, problems: [], checked: 3, reversible: 3 });
    expect(await everything(manager.db)).toEqual(before);
    expect(await manager.getCurrentVersion()).toBe(2);
  });

  it('writes nothing to the folder', async () => {
    const before = await snapshotFolder(V2_CORPUS);
    await lintOtherThanDataLoss({ directory: V2_CORPUS, ...ON });
    expect(await snapshotFolder(V2_CORPUS)).toEqual(before);
  });

  it('gives every run its own shadow: two at once see the same folder alone', async () => {
    const [one, two] = await Promise.all([
      lintOtherThanDataLoss({ directory: V2_CORPUS, ...ON }),
      lintOtherThanDataLoss({ directory: V2_CORPUS, ...ON }),
    ]);
    expect(two).toEqual(one);
    // SurrealDB 3 refuses 7 of its files; SurrealDB 2, one down (and 2 ups have no down). Both
    // flag 0008's two indexes built in the transaction that defines their analyzer.
    expect(one.problems).toHaveLength(SURREALDB >= 3 ? 9 : 5);
  });
});

describe("the demo's migrations", () => {
  it('lint clean, with all 3 downs proven', async () => {
    const report = await lintOtherThanDataLoss({ directory: DEMO, ...ON });
    expect(report).toEqual({ ok: true, problems: [], checked: 3, reversible: 3 });
  });
});

/**
 * Hints that SurrealDB 3's own message alone gives away: each v2 form, on the engine, must still
 * meet the message its rule reads, so that an engine that rewords one is noticed here. Linted for
 * SurrealDB 2, the same form is SurrealDB 2's own: no hint, and it parses and runs.
 */
describe('upgrade hints read from the engine’s messages', () => {
  it.each([
    ['flexible-kind', 'DEFINE TABLE t SCHEMAFULL;\nDEFINE FIELD f ON t TYPE string FLEXIBLE;'],
    ['flexible-table', 'DEFINE TABLE t SCHEMALESS;\nDEFINE FIELD f ON t TYPE object FLEXIBLE;'],
    ['let', '$x = 1;'],
    ['group-split', 'DEFINE TABLE t SCHEMALESS;\nSELECT * FROM t SPLIT a GROUP BY a;'],
    ['optional-chaining', 'LET $v = {};\nRETURN $v?.x;'],
    ['parallel', 'DEFINE TABLE t SCHEMALESS;\nSELECT * FROM t PARALLEL;'],
    [
      'field-delete-permission',
      'DEFINE TABLE t SCHEMAFULL;\nDEFINE FIELD f ON t TYPE string PERMISSIONS FOR delete NONE;',
    ],
    ['scope', 'DEFINE SCOPE s SESSION 1h;'],
    ['scope', "DEFINE TOKEN tk ON DATABASE TYPE HS512 VALUE 'secret';"],
    ['fuzzy-operators', "RETURN 'a' ~ 'b';"],
    [
      'knn',
      'DEFINE TABLE t SCHEMAFULL;\nDEFINE FIELD v ON t TYPE array<float>;\nDEFINE INDEX i ON t FIELDS v HNSW DIMENSION 2;\n' +
        'SELECT * FROM t WHERE v <|1|> [1.0, 2.0];',
    ],
    ['undeclared-field', 'DEFINE TABLE t SCHEMAFULL;\nCREATE t SET x = 1;'],
  ])('%s: %s', async (rule, script) => {
    const folder = await tempMigrations({ '0001_v2.surql': `${script}\n`, '0001_v2.down.surql': '' });
    try {
      const report = await lintOtherThanDataLoss({ directory: folder.dir, surrealdb: 3 });
      const hinted = report.problems.filter((p) => p.hint !== undefined);
      expect(hinted.map((p) => p.hint)).toEqual([hintOf(rule)]);

      const v2 = await lintOtherThanDataLoss({ directory: folder.dir, surrealdb: 2 });
      expect(v2.problems.filter((p) => p.hint !== undefined)).toEqual([]);
      // The empty down leaves what the up defined (irreversible); the product refuses a top-level
      // RETURN on both versions. Nothing else: SurrealDB 2 parses and runs its own form.
      const failed = v2.problems.filter(
        (p) => p.kind !== 'irreversible' && !/^RETURN is not allowed here/.test(p.message),
      );
      expect(failed).toEqual([]);
    } finally {
      await folder.dispose();
    }
  });
});
