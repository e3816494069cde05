import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UNKNOWN_PASSWORD_HASH } from '../../src/core/analysis/schema-secrets.js';
import { repoRoot } from '../support/child.js';
import { SURREALDB } from '../support/engine.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { RICH_FOLDER } from '../support/schema-fixtures.js';
import { cliProject, runCli, type CliProject } from './cli-harness.js';
import { apartFromDataLoss } from '../support/lint-report.js';

/** The offline commands (schema, diff, lint) judge by the suite's engine: `--surrealdb 2` on SurrealDB 2. */
const JUDGE = SURREALDB === 2 ? ['--surrealdb', '2'] : [];
/**
 * A test's time: each CLI run on SurrealDB 2 loads its wasm engine anew, and the engine is about
 * twice as slow as 3's, so a test of many runs needs longer there (on 3, Jest's own 60 s).
 */
const MANY_RUNS = SURREALDB === 2 ? 180_000 : 60_000;
/** An array field's item field: `tags.*` on SurrealDB 3, `tags[*]` on 2. */
const ITEM = SURREALDB === 2 ? 'tags\\[\\*\\]' : 'tags\\.\\*';

/**
 * A project with `files`, its database of the suite's engine: on SurrealDB 3 an embedded
 * `surrealkv://` file, on 2 (in memory only) a relayed server that requires the root sign-in.
 */
function newProject(files: Record<string, string> = {}): Promise<CliProject> {
  return cliProject(files);
}

/** Every file of a folder with its text, to prove that nothing was written to it. */
async function contentsOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(path.join(dir, name), 'utf8');
  return out;
}

/** One table, with its down script. */
const SMALL_FOLDER = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\n',
  '0001_a.down.surql': 'REMOVE TABLE a;\n',
};

/** The hand changes of the drift tests: a field added, an index removed, a field's type changed. */
const BY_HAND =
  'DEFINE FIELD age ON person TYPE int; REMOVE INDEX person_name ON person; ' +
  'DEFINE FIELD OVERWRITE since ON works_at TYPE string;';

describe('surreal-migrate drift', () => {
  let project: CliProject | undefined;
  afterEach(async () => {
    await project?.dispose();
    project = undefined;
  });

  async function migratedProject(): Promise<CliProject> {
    project = await newProject(RICH_FOLDER);
    expect((await project.run(['up'])).code).toBe(0);
    return project;
  }

  async function byHand(p: CliProject, text: string): Promise<void> {
    await p.withDb(async (db) => {
      const answers = await db.query(text).responses();
      expect(answers.filter((a) => !a.success)).toEqual([]);
    });
  }

  it(
    'exits 0 without drift, then 4 listing exactly what was changed by hand',
    async () => {
      const p = await migratedProject();
      const clean = await p.run(['drift']);
      expect(clean.stdout).toBe('No drift: the schema is what the applied migrations make it.\n');
      expect(clean.code).toBe(0);
      expect((await p.run(['drift', '--json'])).json()).toEqual({
        ok: true,
        command: 'drift',
        drift: [],
        pending: [],
        computed: [],
      });

      await byHand(p, BY_HAND);
      const run = await p.run(['drift']);
      expect(run.code).toBe(4);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^added {4}field age on person: DEFINE FIELD age ON person TYPE int\b/),
        'changed  field since on works_at:',
        expect.stringMatching(/^ {2}live: {5}DEFINE FIELD since ON works_at TYPE string\b/),
        expect.stringMatching(/^ {2}expected: DEFINE FIELD since ON works_at TYPE datetime\b/),
        'removed  index person_name on person: expected DEFINE INDEX person_name ON person FIELDS name',
        '3 object(s) drifted.',
      ]);
      // Nothing about the tool's own tables.
      expect(run.stdout).not.toContain('_sbl_migrations');
    },
    MANY_RUNS,
  );

  it(
    '--json: { ok, drift: [{ change, kind, table, name, live, expected }], pending }',
    async () => {
      const p = await migratedProject();
      await byHand(p, BY_HAND);
      const run = await p.run(['drift', '--json']);
      expect(run.code).toBe(4);
      expect(run.stderr).toBe('');
      const doc = run.json();
      expect(doc).toMatchObject({
        ok: false,
        command: 'drift',
        pending: [],
        error: { code: 'DRIFT', message: '3 object(s) drifted from the migrations.' },
      });
      expect(doc.drift).toEqual([
        expect.objectContaining({
          change: 'added',
          kind: 'field',
          table: 'person',
          name: 'age',
          live: expect.stringMatching(/^DEFINE FIELD age ON person TYPE int\b/),
        }),
        {
          change: 'changed',
          kind: 'field',
          table: 'works_at',
          name: 'since',
          live: expect.stringMatching(/^DEFINE FIELD since ON works_at TYPE string\b/),
          expected: expect.stringMatching(/^DEFINE FIELD since ON works_at TYPE datetime\b/),
        },
        expect.objectContaining({
          change: 'removed',
          kind: 'index',
          table: 'person',
          name: 'person_name',
          expected: 'DEFINE INDEX person_name ON person FIELDS name',
        }),
      ]);
    },
    MANY_RUNS,
  );

  it(
    '--json: every drift item has all six keys, null where one side is missing',
    async () => {
      const p = await migratedProject();
      await byHand(p, `${BY_HAND} REMOVE PARAM $page_size;`);
      const doc = (await p.run(['drift', '--json'])).json();
      for (const item of doc.drift as Record<string, unknown>[]) {
        expect(Object.keys(item).sort()).toEqual(['change', 'expected', 'kind', 'live', 'name', 'table']);
      }
      expect(doc.drift).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ change: 'added', name: 'age', expected: null }),
          expect.objectContaining({ change: 'removed', name: 'person_name', live: null }),
          expect.objectContaining({ change: 'removed', kind: 'param', table: null, live: null }),
        ]),
      );
    },
    MANY_RUNS,
  );

  it(
    'with pending migrations, compares against the applied ones and lists the rest apart',
    async () => {
      const p = await migratedProject();
      await p.write('0003_emails.surql', 'DEFINE FIELD email ON person TYPE option<string>;\n');
      await p.write('0003_emails.down.surql', 'REMOVE FIELD email ON person;\n');
      const clean = await p.run(['drift']);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toBe(
        '1 migration(s) pending, not part of the comparison: 3.\n' +
          'No drift: the schema is what the applied migrations make it.\n',
      );

      await byHand(p, 'DEFINE FIELD age ON person TYPE int;');
      const run = await p.run(['drift', '--json']);
      expect(run.code).toBe(4);
      const doc = run.json();
      expect(doc.pending).toEqual([{ version: 3, name: 'emails', file: 'migrations/0003_emails.surql' }]);
      expect(doc.drift.map((d: { change: string; name: string }) => [d.change, d.name])).toEqual([['added', 'age']]);
    },
    MANY_RUNS,
  );

  it(
    'leaves out the tables of a history table given with --table',
    async () => {
      project = await newProject(RICH_FOLDER);
      expect((await project.run(['up', '--table', 'schema_history'])).code).toBe(0);
      expect(await project.tables()).toEqual(expect.arrayContaining(['schema_history', 'schema_history_lock']));
      const run = await project.run(['drift', '--table', 'schema_history', '--json']);
      expect(run.json()).toEqual({ ok: true, command: 'drift', drift: [], pending: [], computed: [] });
      expect(run.code).toBe(0);
    },
    MANY_RUNS,
  );

  it(
    'validate --drift exits 4 on drift and 0 without',
    async () => {
      const p = await migratedProject();
      const clean = await p.run(['validate', '--drift']);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('No drift: the schema is what the applied migrations make it.');
      expect(clean.stdout).toContain('Valid: the history matches migrations; 0 migration(s) pending.');

      await byHand(p, BY_HAND);
      // Without --drift, validate looks at the history only.
      expect((await p.run(['validate'])).code).toBe(0);
      const drifted = await p.run(['validate', '--drift']);
      expect(drifted.code).toBe(4);
      expect(drifted.stdout).toContain('3 object(s) drifted.');
      expect(drifted.stdout).not.toContain('Valid:');
      const doc = (await p.run(['validate', '--drift', '--json'])).json();
      expect(doc).toMatchObject({ ok: false, command: 'validate', error: { code: 'DRIFT' } });
      expect(doc.drift).toHaveLength(3);
    },
    MANY_RUNS,
  );

  it(
    'validate --drift --json keeps validate’s pending count',
    async () => {
      const p = await migratedProject();
      await byHand(p, BY_HAND);
      const doc = (await p.run(['validate', '--drift', '--json'])).json();
      expect(doc.pending).toBe(0);
    },
    MANY_RUNS,
  );
});

describe('surreal-migrate schema', () => {
  let project: CliProject | undefined;
  afterEach(async () => {
    await project?.dispose();
    project = undefined;
  });

  /** No database is opened: an unreachable URL in the environment is never used. */
  const NO_DB = { SURREAL_URL: 'ws://127.0.0.1:9/rpc' };

  it(
    'prints the same bytes on every run, without a database and without the tool’s tables',
    async () => {
      project = await newProject(RICH_FOLDER);
      const first = await runCli(project.root, ['schema', ...JUDGE], NO_DB);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const second = await runCli(project.root, ['schema', ...JUDGE], NO_DB);
      expect(second.stdout).toBe(first.stdout);
      const text = first.stdout;
      expect(text.startsWith('-- The schema the migrations produce')).toBe(true);
      expect(text).not.toContain('_sbl_migrations');
      for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('--'))) {
        expect(line).toMatch(/^DEFINE [A-Z]+ OVERWRITE .*;$/);
      }
      for (const wanted of [
        /^DEFINE ANALYZER OVERWRITE simple /m,
        /^DEFINE FUNCTION OVERWRITE fn::greet\(/m,
        /^DEFINE PARAM OVERWRITE \$page_size VALUE 20 /m,
        /^DEFINE TABLE OVERWRITE works_at TYPE RELATION IN person OUT company /m,
        /^DEFINE FIELD OVERWRITE in ON works_at TYPE record<person> /m,
        /^DEFINE FIELD OVERWRITE tags ON person TYPE array<string> /m,
        new RegExp(`^DEFINE FIELD OVERWRITE ${ITEM} ON person TYPE string `, 'm'),
        /^DEFINE INDEX OVERWRITE person_name ON person FIELDS name;$/m,
        /^DEFINE EVENT OVERWRITE person_created ON person /m,
      ]) {
        expect(text).toMatch(wanted);
      }
      // --json: the same text in one document.
      const json = await runCli(project.root, ['schema', ...JUDGE, '--json'], NO_DB);
      expect(json.json()).toEqual({ ok: true, command: 'schema', schema: text });
    },
    MANY_RUNS,
  );

  it(
    'applied to an empty database, gives the same schema',
    async () => {
      project = await newProject(RICH_FOLDER);
      const text = (await project.run(['schema', ...JUDGE])).stdout;
      // The printed schema as the only migration of another folder…
      await mkdir(path.join(project.root, 'roundtrip'));
      await writeFile(path.join(project.root, 'roundtrip', '0001_schema.surql'), text);
      const again = await project.run(['schema', ...JUDGE, '--dir', 'roundtrip']);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(text);
      // …and through a real database: migrated with the folder, compared by drift with the printed schema.
      expect((await project.run(['up'])).code).toBe(0);
      const drift = await project.run(['drift', '--dir', 'roundtrip', '--allow-missing', '--json']);
      expect(drift.json()).toMatchObject({ ok: true, drift: [], pending: [] });
      expect(drift.code).toBe(0);
    },
    MANY_RUNS,
  );

  it(
    '--out writes it; --schema-check exits 4 when the file is missing or stale, 0 when up to date',
    async () => {
      project = await newProject(RICH_FOLDER);
      const p = project;
      const printed = (await p.run(['schema', ...JUDGE])).stdout;
      const file = path.join(p.root, 'schema.surql');

      const missing = await runCli(p.root, ['schema', ...JUDGE, '--schema-check', 'schema.surql'], NO_DB);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toBe(
        'schema.surql is missing: write it with `surreal-migrate schema --out schema.surql`.\n',
      );
      const missingJson = await runCli(p.root, ['schema', ...JUDGE, '--schema-check', 'schema.surql', '--json'], NO_DB);
      expect(missingJson.code).toBe(4);
      expect(missingJson.json()).toEqual({
        ok: false,
        command: 'schema',
        file: 'schema.surql',
        upToDate: false,
        error: { code: 'SCHEMA_STALE' },
      });

      const out = await runCli(p.root, ['schema', ...JUDGE, '--out', 'schema.surql'], NO_DB);
      expect(out.code).toBe(0);
      expect(out.stdout).toBe('Wrote schema.surql.\n');
      expect(await readFile(file, 'utf8')).toBe(printed);

      const current = await runCli(p.root, ['schema', ...JUDGE, '--check', 'schema.surql'], NO_DB);
      expect(current.stdout).toBe('schema.surql is up to date.\n');
      expect(current.code).toBe(0);

      // A new migration: the file is stale until written again.
      await p.write('0003_emails.surql', 'DEFINE FIELD email ON person TYPE option<string>;\n');
      const stale = await runCli(p.root, ['schema', ...JUDGE, '--check', 'schema.surql'], NO_DB);
      expect(stale.code).toBe(4);
      expect(stale.stderr).toContain('schema.surql is stale');
      // --schema-check never writes.
      expect(await readFile(file, 'utf8')).toBe(printed);
      expect((await runCli(p.root, ['schema', ...JUDGE, '--out', 'schema.surql'], NO_DB)).code).toBe(0);
      expect((await runCli(p.root, ['schema', ...JUDGE, '--schema-check', 'schema.surql'], NO_DB)).code).toBe(0);
    },
    MANY_RUNS,
  );

  // Under da_DK, localeCompare sorts `aardvark` after `zebra` ("aa" is "å"): the order must be by
  // code units, so that a schema.surql written on one machine is current on another.
  it(
    'prints the same order whatever the locale',
    async () => {
      project = await newProject({
        '0001_animals.surql': 'DEFINE TABLE zebra SCHEMALESS;\nDEFINE TABLE aardvark SCHEMALESS;\n',
      });
      const en = await runCli(project.root, ['schema', ...JUDGE], { LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' });
      const da = await runCli(project.root, ['schema', ...JUDGE], { LANG: 'da_DK.UTF-8', LC_ALL: 'da_DK.UTF-8' });
      expect(en.stdout).toMatch(/aardvark[^]*zebra/);
      expect(da.stdout).toBe(en.stdout);
    },
    MANY_RUNS,
  );

  // The demo runs on SurrealDB 3 (embedded surrealkv://): its schema.surql is 3's, judged by 3 (the default).
  it(
    "keeps the demo's schema.surql current",
    async () => {
      const run = await runCli(repoRoot, ['schema', '--check', 'schema.surql']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('schema.surql is up to date.\n');
      expect(run.code).toBe(0);
    },
    MANY_RUNS,
  );
  posixIt(
    '--check and --out refuse a path that is not a regular file, by name, and open none',
    async () => {
      project = await newProject(SMALL_FOLDER);
      const p = project;
      // A FIFO with a writer: a --check that opened it would read it and go on, instead of hanging.
      const fifo = guardedFifo(path.join(p.root, 'schema.surql'));
      try {
        await mkdir(path.join(p.root, 'folder.surql'));
        await symlink('schema.surql', path.join(p.root, 'link.surql'));
        for (const [args, file, is] of [
          [['--check', 'schema.surql'], 'schema.surql', 'is a named pipe (FIFO), not a regular file'],
          [['--check', 'folder.surql'], 'folder.surql', 'is a directory, not a regular file'],
          [
            ['--schema-check', 'link.surql'],
            'link.surql',
            'is a symbolic link to schema.surql, which is a named pipe (FIFO), not a regular file',
          ],
          [['--out', 'schema.surql'], 'schema.surql', 'is a named pipe (FIFO), not a regular file'],
        ] as const) {
          const run = await runCli(p.root, ['schema', ...JUDGE, ...args], NO_DB);
          expect([args, run.code, run.stdout]).toEqual([args, 1, '']);
          expect(run.stderr).toContain(`error: Cannot load the schema from ${file}:\n  - ${file}: ${is}; `);
        }
        const json = await runCli(p.root, ['schema', ...JUDGE, '--check', 'schema.surql', '--json'], NO_DB);
        expect(json.json()).toMatchObject({ ok: false, error: { code: 'DISCOVERY_FAILED' } });
      } finally {
        await fifo.release();
      }
    },
    MANY_RUNS,
  );
});

describe('surreal-migrate diff', () => {
  let project: CliProject | undefined;
  afterEach(async () => {
    await project?.dispose();
    project = undefined;
  });

  /** A project with the rich folder and `desired.surql`: its schema, edited, with `extra` appended. */
  async function withDesired(edit: (text: string) => string, extra = ''): Promise<CliProject> {
    project = await newProject(RICH_FOLDER);
    const printed = (await project.run(['schema', ...JUDGE])).stdout;
    await writeFile(path.join(project.root, 'desired.surql'), edit(printed) + extra);
    return project;
  }

  const EVOLVE = [
    'DEFINE FUNCTION fn::bye($name: string) { RETURN "Bye " + $name; };',
    'DEFINE TABLE note SCHEMAFULL;',
    'DEFINE FIELD body ON note TYPE string;',
    'DEFINE FIELD labels ON note TYPE array<string>;',
    'DEFINE INDEX note_body ON note FIELDS body;',
    'DEFINE TABLE wrote TYPE RELATION IN person OUT note;',
    'DEFINE FIELD email ON person TYPE option<string>;',
    '',
  ].join('\n');
  const changeName = (t: string) =>
    t.replace('DEFINE FIELD OVERWRITE name ON person TYPE string', '$& ASSERT string::len($value) > 0');

  it(
    'writes the next migration pair, which lints clean, applies, and makes the schema the desired one',
    async () => {
      const p = await withDesired(changeName, EVOLVE);
      const before = await p.files();
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'Add notes']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('Wrote migrations/0003_add_notes.surql and migrations/0003_add_notes.down.surql.\n');
      expect(run.code).toBe(0);
      expect(await p.files()).toEqual([...before, '0003_add_notes.down.surql', '0003_add_notes.surql'].sort());
      const up = await p.read('0003_add_notes.surql');
      const down = await p.read('0003_add_notes.down.surql');
      expect(up.split('\n')[0]).toBe('-- add_notes (up), generated by `surreal-migrate diff`.');
      expect(down.split('\n')[0]).toBe('-- add_notes (down), generated by `surreal-migrate diff`.');
      expect(up).toMatch(/^DEFINE TABLE OVERWRITE note /m);
      expect(up).toMatch(/^DEFINE FIELD OVERWRITE name ON person TYPE string ASSERT /m);
      expect(down).toMatch(/^REMOVE TABLE IF EXISTS note;$/m);
      expect(down).toMatch(/^REMOVE FIELD IF EXISTS email ON person;$/m);
      expect(down).toMatch(/^DEFINE FIELD OVERWRITE name ON person TYPE string PERMISSIONS FULL;$/m);

      const lint = await p.run(['lint', ...JUDGE]);
      // The downs' REMOVE TABLE statements are warned of (a rollback over rows is refused), and nothing else.
      const { removed, rest } = apartFromDataLoss(lint.stdout);
      expect(removed).toEqual(['works_at', 'company', 'person', 'log', 'wrote', 'note']);
      expect(rest).toEqual([
        `0 error(s), ${removed.length} warning(s); 3 up script(s) applied, 3 down script(s) proven.`,
      ]);
      expect(lint.code).toBe(0);

      // The folder's schema is now the desired one: compared with the desired file applied on its own.
      await mkdir(path.join(p.root, 'desired'));
      await writeFile(
        path.join(p.root, 'desired', '0001_desired.surql'),
        await readFile(path.join(p.root, 'desired.surql')),
      );
      const desired = await p.run(['schema', ...JUDGE, '--dir', 'desired']);
      expect(desired.code).toBe(0);
      expect((await p.run(['schema', ...JUDGE])).stdout).toBe(desired.stdout);

      // Applied to a database, it leaves no drift; a second diff finds nothing to do.
      expect((await p.run(['up'])).code).toBe(0);
      expect((await p.run(['drift'])).code).toBe(0);
      const again = await p.run(['diff', ...JUDGE, '--to', 'desired.surql']);
      expect(again.stdout).toBe("No difference: the folder's schema already is desired.surql. Nothing written.\n");
      expect(again.code).toBe(0);
      expect(await p.files()).toEqual([...before, '0003_add_notes.down.surql', '0003_add_notes.surql'].sort());
    },
    MANY_RUNS,
  );

  it(
    '--json lists the changes and the files written',
    async () => {
      const p = await withDesired(changeName, EVOLVE);
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--json']);
      expect(run.code).toBe(0);
      const doc = run.json();
      expect(doc).toMatchObject({
        ok: true,
        command: 'diff',
        files: [
          path.join('migrations', '0003_schema_diff.surql'),
          path.join('migrations', '0003_schema_diff.down.surql'),
        ],
      });
      expect(doc.changes).toEqual(
        expect.arrayContaining([
          { change: 'added', kind: 'table', name: 'note', destructive: false },
          { change: 'changed', kind: 'field', table: 'person', name: 'name', destructive: false },
        ]),
      );
    },
    MANY_RUNS,
  );

  it(
    'reads a desired-schema folder in name order',
    async () => {
      const p = await withDesired((t) => t);
      await mkdir(path.join(p.root, 'schema'));
      await writeFile(path.join(p.root, 'schema', '1_base.surql'), await readFile(path.join(p.root, 'desired.surql')));
      await writeFile(path.join(p.root, 'schema', '2_tags.surql'), 'DEFINE TABLE tag SCHEMAFULL;\n');
      await writeFile(path.join(p.root, 'schema', '3_tags.surql'), 'DEFINE FIELD label ON tag TYPE string;\n');
      const run = await p.run(['diff', ...JUDGE, '--to', 'schema', '--name', 'tags']);
      expect(run.code).toBe(0);
      expect(await p.read('0003_tags.surql')).toBe(
        '-- tags (up), generated by `surreal-migrate diff`.\n' +
          'DEFINE TABLE OVERWRITE tag TYPE NORMAL SCHEMAFULL PERMISSIONS NONE;\n' +
          'DEFINE FIELD OVERWRITE label ON tag TYPE string PERMISSIONS FULL;\n',
      );
      expect(await p.read('0003_tags.down.surql')).toBe(
        '-- tags (down), generated by `surreal-migrate diff`.\n' +
          'REMOVE FIELD IF EXISTS label ON tag;\n' +
          'REMOVE TABLE IF EXISTS tag;\n',
      );
    },
    MANY_RUNS,
  );

  it(
    'marks a removed table and a removed field destructive, in the file and on stderr',
    async () => {
      const p = await withDesired((t) =>
        t
          .split('\n')
          .filter((l) => !/ ON log | OVERWRITE log | since ON works_at | person_created /.test(l))
          .join('\n'),
      );
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'drop log']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(
        'warning: destructive: removed field `since` on `works_at`\nwarning: destructive: removed table `log`\n',
      );
      const up = await p.read('0003_drop_log.surql');
      expect(up).toContain('-- DESTRUCTIVE: removed table `log`; data may be lost.\nREMOVE TABLE IF EXISTS log;\n');
      expect(up).toContain(
        '-- DESTRUCTIVE: removed field `since` on `works_at`; data may be lost.\nREMOVE FIELD IF EXISTS since ON works_at;\n',
      );
      expect(up).not.toMatch(/DESTRUCTIVE.*person_created/);
      expect((await p.run(['lint', ...JUDGE])).code).toBe(0);

      const json = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--dry-run', '--json']);
      expect(json.json().changes).toEqual([]);
    },
    MANY_RUNS,
  );

  it(
    'marks a changed field type destructive',
    async () => {
      const p = await withDesired((t) => t.replace('since ON works_at TYPE datetime', 'since ON works_at TYPE string'));
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'retype', '--json']);
      expect(run.code).toBe(0);
      expect(run.json().changes).toEqual([
        { change: 'changed', kind: 'field', table: 'works_at', name: 'since', destructive: true },
      ]);
      expect(await p.read('0003_retype.surql')).toContain(
        '-- DESTRUCTIVE: changed field `since` on `works_at`; data may be lost.\nDEFINE FIELD OVERWRITE since ON works_at TYPE string',
      );
    },
    MANY_RUNS,
  );

  it.each([
    [
      'field',
      (t: string) => t.replace(' name ON person', ' full_name ON person').replace('FIELDS name', 'FIELDS full_name'),
      'field `name` on `person`',
      'field `full_name` on `person`',
    ],
    [
      'table',
      (t: string) => t.replace(/ log /g, ' audit_log ').replace('CREATE log', 'CREATE audit_log'),
      'table `log`',
      'table `audit_log`',
    ],
  ])(
    'refuses a possible %s rename with exit 1, naming both, and writes nothing',
    async (_, edit, removed, added) => {
      const p = await withDesired(edit);
      const before = await contentsOf(p.migrations);
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql']);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`error: diff: ${removed} is removed and ${added} is added: that could be a rename`);
      const json = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--json']);
      expect(json.code).toBe(1);
      expect(json.json()).toMatchObject({
        ok: false,
        command: 'diff',
        error: { code: 'POSSIBLE_RENAME', removed, added },
      });
      expect(await contentsOf(p.migrations)).toEqual(before);
    },
    MANY_RUNS,
  );

  it(
    '--dry-run prints both scripts and writes nothing',
    async () => {
      const p = await withDesired(changeName, EVOLVE);
      const before = await contentsOf(p.migrations);
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'add notes', '--dry-run']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^-- migrations\/0003_add_notes\.surql\n-- add_notes \(up\), generated by/);
      expect(run.stdout).toContain('\n-- migrations/0003_add_notes.down.surql\n-- add_notes (down), generated by');
      expect(run.stdout).toMatch(/^DEFINE TABLE OVERWRITE note /m);
      expect(run.stdout).toMatch(/^REMOVE TABLE IF EXISTS note;$/m);
      expect(await contentsOf(p.migrations)).toEqual(before);

      const json = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--dry-run', '--json']);
      const doc = json.json();
      expect(doc).toMatchObject({ ok: true, files: [], up: expect.stringContaining('DEFINE TABLE OVERWRITE note ') });
      expect(await contentsOf(p.migrations)).toEqual(before);

      // What --dry-run printed is what diff then writes.
      expect((await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'add notes'])).code).toBe(0);
      expect(run.stdout).toContain(await p.read('0003_add_notes.surql'));
      expect(run.stdout).toContain(await p.read('0003_add_notes.down.surql'));
    },
    MANY_RUNS,
  );

  it(
    'says so and writes nothing when there is no difference',
    async () => {
      const p = await withDesired((t) => t);
      const before = await contentsOf(p.migrations);
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql']);
      expect(run.stdout).toBe("No difference: the folder's schema already is desired.surql. Nothing written.\n");
      expect(run.code).toBe(0);
      expect((await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--json'])).json()).toEqual({
        ok: true,
        command: 'diff',
        changes: [],
        files: [],
      });
      expect(await contentsOf(p.migrations)).toEqual(before);
    },
    MANY_RUNS,
  );

  it(
    'follows the Open Notebook style: N.surrealql and N_down.surrealql',
    async () => {
      project = await newProject({
        '1.surrealql': 'DEFINE TABLE source SCHEMAFULL;\nDEFINE FIELD title ON source TYPE string;\n',
        '1_down.surrealql': 'REMOVE TABLE source;\n',
        '2.surrealql': 'DEFINE FIELD url ON source TYPE option<string>;\n',
        '2_down.surrealql': 'REMOVE FIELD url ON source;\n',
      });
      const p = project;
      const printed = (await p.run(['schema', ...JUDGE])).stdout;
      await writeFile(
        path.join(p.root, 'desired.surql'),
        `${printed}DEFINE TABLE notebook SCHEMAFULL;\nDEFINE FIELD name ON notebook TYPE string;\n`,
      );
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'add notebook']);
      expect(run.stdout).toBe('Wrote migrations/3.surrealql and migrations/3_down.surrealql.\n');
      expect(run.code).toBe(0);
      expect(await p.files()).toEqual([
        '1.surrealql',
        '1_down.surrealql',
        '2.surrealql',
        '2_down.surrealql',
        '3.surrealql',
        '3_down.surrealql',
      ]);
      expect(await p.read('3.surrealql')).toBe(
        '-- add_notebook (up), generated by `surreal-migrate diff`.\n' +
          'DEFINE TABLE OVERWRITE notebook TYPE NORMAL SCHEMAFULL PERMISSIONS NONE;\n' +
          'DEFINE FIELD OVERWRITE name ON notebook TYPE string PERMISSIONS FULL;\n',
      );
      const lint = await p.run(['lint', ...JUDGE]);
      // The downs' REMOVE TABLE statements are warned of (a rollback over rows is refused), and nothing else.
      const { removed, rest } = apartFromDataLoss(lint.stdout);
      expect(removed).toEqual(['source', 'notebook']);
      expect(rest).toEqual([
        `0 error(s), ${removed.length} warning(s); 3 up script(s) applied, 3 down script(s) proven.`,
      ]);
      expect(lint.code).toBe(0);
    },
    MANY_RUNS,
  );

  it(
    'writes into an empty folder as version 1, in the default style',
    async () => {
      project = await newProject();
      await writeFile(path.join(project.root, 'desired.surql'), 'DEFINE TABLE tag SCHEMALESS;\n');
      const run = await project.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'init']);
      expect(run.code).toBe(0);
      expect(await project.files()).toEqual(['0001_init.down.surql', '0001_init.surql']);
      expect((await project.run(['lint', ...JUDGE])).code).toBe(0);
    },
    MANY_RUNS,
  );

  /** One definition of every kind INFO reports on the suite's engine (bucket, model, module: not definable here). */
  const EVERY_KIND = [
    'DEFINE ANALYZER `an-1` TOKENIZERS blank FILTERS lowercase;',
    'DEFINE FUNCTION fn::`my-fn`::low($s: string) { RETURN string::lowercase($s); };',
    'DEFINE PARAM $`feature-flags` VALUE { search: true };',
    'DEFINE TABLE person SCHEMAFULL;',
    'DEFINE FIELD name ON person TYPE string VALUE fn::`my-fn`::low($value);',
    'DEFINE FIELD tags ON person TYPE array<string> DEFAULT [];',
    `DEFINE FIELD OVERWRITE tags${SURREALDB === 2 ? '[*]' : '.*'} ON person TYPE string ASSERT $value != "";`,
    `DEFINE INDEX person_name ON person FIELDS name ${SURREALDB === 2 ? 'SEARCH' : 'FULLTEXT'} ANALYZER \`an-1\` BM25;`,
    'DEFINE EVENT `named-it` ON person WHEN $event = "CREATE" THEN { CREATE log SET at = time::now() };',
    'DEFINE TABLE log SCHEMALESS;',
    'DEFINE TABLE by_name AS SELECT count() AS n, name FROM person GROUP BY name;',
    'DEFINE TABLE names AS SELECT * FROM by_name;',
    'DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNIN (SELECT * FROM person WHERE name = $name);',
    "DEFINE ACCESS `api-key` ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'the-key';",
    "DEFINE USER ops ON DATABASE PASSWORD 'the-password' ROLES VIEWER;",
    'DEFINE CONFIG GRAPHQL AUTO;',
    ...(SURREALDB === 2
      ? []
      : ['DEFINE SEQUENCE `seq-1` BATCH 10;', 'DEFINE API "/people" FOR get THEN { RETURN { status: 200 }; };']),
    '',
  ].join('\n');

  it(
    '--to the output of `schema`, for a folder of every kind: "No difference", exit 0, and no secret printed',
    async () => {
      project = await newProject({ '0001_all.surql': EVERY_KIND });
      const printed = await project.run(['schema', ...JUDGE, '--out', 'schema.surql']);
      expect(printed.code).toBe(0);
      const text = await readFile(path.join(project.root, 'schema.surql'), 'utf8');
      for (const kind of [
        'ANALYZER',
        'FUNCTION',
        'PARAM',
        'ACCESS',
        'USER',
        'CONFIG',
        'TABLE',
        'FIELD',
        'INDEX',
        'EVENT',
      ]) {
        expect(text).toMatch(new RegExp(`^DEFINE ${kind} OVERWRITE `, 'm'));
      }
      if (SURREALDB >= 3) expect(text).toMatch(/^DEFINE SEQUENCE OVERWRITE [^]*^DEFINE API OVERWRITE /m);
      expect(text.split(UNKNOWN_PASSWORD_HASH).join('')).not.toMatch(/\[REDACTED\]|\$argon2|the-key|the-password/);
      expect(text).toContain(`PASSHASH '${UNKNOWN_PASSWORD_HASH}'`);
      const run = await project.run(['diff', ...JUDGE, '--to', 'schema.surql']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe("No difference: the folder's schema already is schema.surql. Nothing written.\n");
      expect(run.code).toBe(0);
    },
    MANY_RUNS,
  );

  it(
    'writes an analyzer and a full-text index over rows as two migrations, which `up` applies',
    async () => {
      project = await newProject({
        '0001_posts.surql': 'DEFINE TABLE post SCHEMALESS;\n',
        '0001_posts.down.surql': 'REMOVE TABLE post;\n',
      });
      const p = project;
      expect((await p.run(['up'])).code).toBe(0);
      await p.withDb(async (db) => {
        await db.query('CREATE post:1 SET body = "Hello world"; CREATE post:2 SET body = "bye";').responses();
      });
      await writeFile(
        path.join(p.root, 'desired.surql'),
        'DEFINE TABLE post SCHEMALESS;\nDEFINE ANALYZER simple TOKENIZERS blank FILTERS lowercase;\n' +
          `DEFINE INDEX post_body ON post FIELDS body ${SURREALDB === 2 ? 'SEARCH' : 'FULLTEXT'} ANALYZER simple BM25;\n`,
      );
      const run = await p.run(['diff', ...JUDGE, '--to', 'desired.surql', '--name', 'search']);
      expect(run.stdout).toBe(
        'Wrote migrations/0002_search_first.surql, migrations/0002_search_first.down.surql, ' +
          'migrations/0003_search.surql and migrations/0003_search.down.surql.\n',
      );
      expect(run.code).toBe(0);
      expect(await p.read('0002_search_first.surql')).toMatch(/^DEFINE ANALYZER OVERWRITE simple /m);
      expect(await p.read('0003_search.surql')).toMatch(/^DEFINE INDEX OVERWRITE post_body /m);
      const up = await p.run(['up']);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      const found = await p.withDb(async (db) => {
        const [rows] = await db.query<[{ id: unknown }[]]>("SELECT id FROM post WHERE body @@ 'hello'");
        return rows.length;
      });
      expect(found).toBe(1);
      expect((await p.run(['down', '--to', '1'])).code).toBe(0);
    },
    MANY_RUNS,
  );

  it(
    'exits 2 when the desired schema is missing or does not apply',
    async () => {
      project = await newProject(RICH_FOLDER);
      const missing = await project.run(['diff', ...JUDGE, '--to', 'nowhere.surql']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('nowhere.surql does not exist');
      // (SurrealDB 2 selects nothing from a missing table, and fails to remove one.)
      const fails = SURREALDB === 2 ? 'REMOVE TABLE nowhere;' : 'SELECT * FROM nowhere;';
      await writeFile(path.join(project.root, 'bad.surql'), `DEFINE TABLE ok SCHEMALESS;\n${fails}\n`);
      const bad = await project.run(['diff', ...JUDGE, '--to', 'bad.surql']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        "error: diff: bad.surql does not apply to an empty database: The table 'nowhere' does not exist",
      );
      await writeFile(
        path.join(project.root, 'broken.surql'),
        'DEFINE TABLE a SCHEMALESS\nDEFINE TABLE b SCHEMALESS;\n',
      );
      const broken = await project.run(['diff', ...JUDGE, '--to', 'broken.surql']);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toContain('error: diff: broken.surql does not parse: ');
      const usage = await project.run(['diff', ...JUDGE]);
      expect(usage.code).toBe(2);
      expect(await project.files()).toEqual(Object.keys(RICH_FOLDER).sort());
    },
    MANY_RUNS,
  );
  posixIt(
    'refuses a desired schema, or an entry of a desired folder, that is not a regular file, by name, and opens none',
    async () => {
      project = await newProject(SMALL_FOLDER);
      const p = project;
      const schema = path.join(p.root, 'schema');
      await mkdir(schema);
      await writeFile(path.join(schema, 'a.surql'), 'DEFINE TABLE a SCHEMALESS;\n');
      // FIFOs with a writer: a diff that opened one would read it and go on, instead of hanging.
      const fifos = [
        guardedFifo(path.join(p.root, 'pipe.surql')),
        guardedFifo(path.join(schema, 'b.surql')),
        guardedFifo(path.join(schema, 'notes')),
      ];
      try {
        await mkdir(path.join(schema, 'c.surql'));
        await symlink('/dev/null', path.join(schema, 'd.surql'));
        await symlink('pipe.surql', path.join(p.root, 'link.surql'));
        const before = await p.files();

        const file = await p.run(['diff', ...JUDGE, '--to', 'pipe.surql']);
        expect([file.code, file.stdout]).toEqual([1, '']);
        expect(file.stderr).toContain(
          'error: Cannot load the desired schema from pipe.surql:\n  - pipe.surql: is a named pipe (FIFO), not a regular file; ',
        );
        const link = await p.run(['diff', ...JUDGE, '--to', 'link.surql']);
        expect(link.code).toBe(1);
        expect(link.stderr).toContain(
          '  - link.surql: is a symbolic link to pipe.surql, which is a named pipe (FIFO), not a regular file; ',
        );

        // A folder: every .surql entry that is not a regular file, at once; other names are not read.
        const folder = await p.run(['diff', ...JUDGE, '--to', 'schema', '--json']);
        expect(folder.code).toBe(1);
        const error = folder.json().error as { code: string; message: string };
        expect(error.code).toBe('DISCOVERY_FAILED');
        expect(error.message.split('\n').map((l) => l.replace(/; .*$/, ''))).toEqual([
          'Cannot load the desired schema from schema:',
          '  - schema/b.surql: is a named pipe (FIFO), not a regular file',
          '  - schema/c.surql: is a directory, not a regular file',
          '  - schema/d.surql: is a symbolic link to /dev/null, which is a character device, not a regular file',
        ]);
        expect(await p.files()).toEqual(before);
      } finally {
        for (const fifo of fifos) await fifo.release();
      }
    },
    MANY_RUNS,
  );
});
