import { lintOtherThanDataLoss } from '../support/lint-report.js';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  desiredSchema,
  folderSchema,
  planDiff,
  renderDiff,
  schemaToSurql,
} from '../../src/core/analysis/schema-code.js';
import { readSchema, type DatabaseSchema } from '../../src/core/shadow/shadow.js';
import { MigrationArgumentError, MigrationManager, PossibleRenameError } from '../../src/index.js';
import { UNKNOWN_PASSWORD_HASH } from '../../src/core/analysis/schema-secrets.js';
import { RICH_FOLDER } from '../support/schema-fixtures.js';
import { memOptions, removeTempFolder, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { SURREALDB } from '../support/engine.js';

const HISTORY = '_sbl_migrations';

/** An array field's item field: `tags.*` on SurrealDB 3, `tags[*]` on 2. */
const ITEM = SURREALDB >= 3 ? '.*' : '[*]';

/** Shadows of the suite's engine (SURREALDB_ENGINE), as `schema --surrealdb` says which. */
const ON = { surrealdb: SURREALDB } as const;

/** A private in-memory database with `text` applied to it, and its schema. */
async function schemaOfText(text: string): Promise<DatabaseSchema> {
  const empty = await tempMigrations();
  const manager = await MigrationManager.create({ ...memOptions(empty.dir), logger: false });
  try {
    const answers = await manager.db.query(text).responses();
    const failed = answers.filter((a) => !a.success).map((a) => (a.success ? '' : a.error.message));
    expect(failed).toEqual([]);
    return await readSchema(manager.db, HISTORY);
  } finally {
    await manager.close();
    await empty.dispose();
  }
}

/** `[kind, table, name]` of each object. */
function keys(schema: DatabaseSchema): [string, string | undefined, string][] {
  return schema.map((o) => [o.kind, o.table, o.name]);
}

describe('drift: the live schema against the applied migrations', () => {
  let folder: TempMigrations;
  let manager: MigrationManager | undefined;

  beforeEach(async () => {
    folder = await tempMigrations(RICH_FOLDER);
  });
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await folder.dispose();
  });

  async function migrated(options: { table?: string } = {}): Promise<MigrationManager> {
    manager = await MigrationManager.create({ ...memOptions(folder.dir), logger: false, ...options });
    await manager.runMigrationUp();
    return manager;
  }

  it('finds none right after `up`, and leaves the tool’s own tables out', async () => {
    const m = await migrated();
    const [info] = await m.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    // The history, lock and failed tables exist in the live database…
    expect(Object.keys(info.tables)).toEqual(expect.arrayContaining([HISTORY, `${HISTORY}_lock`, `${HISTORY}_failed`]));
    // …and are not drift.
    expect(await m.drift()).toEqual({ ok: true, drift: [], pending: [], computed: [] });
  });

  it('leaves out the tables of a history table with another name', async () => {
    const m = await migrated({ table: 'schema_history' });
    const [info] = await m.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).toEqual(expect.arrayContaining(['schema_history', 'schema_history_lock']));
    expect(await m.drift()).toEqual({ ok: true, drift: [], pending: [], computed: [] });
  });

  it('compares within one version: `option<string>` fields are no drift right after `up`, a hand change is', async () => {
    const m = await migrated();
    const nickname = (schema: DatabaseSchema) =>
      schema.find((o) => o.kind === 'field' && o.table === 'person' && o.name === 'nickname')?.definition;
    // The folder's `option<string>` field, as the connected server prints it…
    const live = nickname(await readSchema(m.db, HISTORY));
    expect(live).toMatch(
      SURREALDB >= 3
        ? /^DEFINE FIELD nickname ON person TYPE none \| string\b/
        : /^DEFINE FIELD nickname ON person TYPE option<string>/,
    );
    // …and as the other version prints it: a shadow of that version would call every such field drift.
    const other = nickname(await folderSchema(folder.dir, undefined, { surrealdb: SURREALDB >= 3 ? 2 : 3 }));
    expect(other).toMatch(/^DEFINE FIELD nickname ON person TYPE /);
    expect(other).not.toBe(live);

    expect(await m.drift()).toEqual({ ok: true, drift: [], pending: [], computed: [] });

    await m.db.query('DEFINE FIELD OVERWRITE nickname ON person TYPE option<int>;').responses();
    expect(await m.drift()).toEqual({
      ok: false,
      pending: [],
      computed: [],
      drift: [
        {
          change: 'changed',
          kind: 'field',
          table: 'person',
          name: 'nickname',
          live: expect.stringMatching(
            SURREALDB >= 3
              ? /^DEFINE FIELD nickname ON person TYPE none \| int\b/
              : /^DEFINE FIELD nickname ON person TYPE option<int>/,
          ),
          expected: live,
        },
      ],
    });
  });

  it('lists exactly a field added, an index removed and a field type changed by hand, with both definitions', async () => {
    const m = await migrated();
    const answers = await m.db
      .query(
        'DEFINE FIELD age ON person TYPE int; REMOVE INDEX person_name ON person; ' +
          'DEFINE FIELD OVERWRITE since ON works_at TYPE string;',
      )
      .responses();
    expect(answers.every((a) => a.success)).toBe(true);

    const report = await m.drift();
    expect(report.ok).toBe(false);
    expect(report.pending).toEqual([]);
    expect(report.drift).toEqual([
      {
        change: 'added',
        kind: 'field',
        table: 'person',
        name: 'age',
        live: expect.stringMatching(/^DEFINE FIELD age ON person TYPE int\b/),
        expected: undefined,
      },
      {
        change: 'changed',
        kind: 'field',
        table: 'works_at',
        name: 'since',
        live: expect.stringMatching(/^DEFINE FIELD since ON works_at TYPE string\b/),
        expected: expect.stringMatching(/^DEFINE FIELD since ON works_at TYPE datetime\b/),
      },
      {
        change: 'removed',
        kind: 'index',
        table: 'person',
        name: 'person_name',
        live: undefined,
        expected: 'DEFINE INDEX person_name ON person FIELDS name',
      },
    ]);
  });

  it('lists a database-level object and a whole table changed by hand, by kind and name', async () => {
    const m = await migrated();
    await m.db.query('REMOVE TABLE log; DEFINE PARAM OVERWRITE $page_size VALUE 50;').responses();
    const report = await m.drift();
    expect(report.drift.map((d) => [d.change, d.kind, d.table, d.name])).toEqual([
      ['changed', 'param', undefined, 'page_size'],
      ['removed', 'table', undefined, 'log'],
    ]);
    expect(report.drift[0]).toMatchObject({
      live: expect.stringContaining('VALUE 50'),
      expected: expect.stringContaining('VALUE 20'),
    });
  });

  it('with pending migrations, compares against the applied ones and lists the rest apart', async () => {
    const m = await migrated();
    await m.close();
    manager = undefined;
    // A new migration, not applied: its objects are not missing from the live database.
    await folder.write('0003_emails.surql', 'DEFINE FIELD email ON person TYPE option<string>;\n');
    await folder.write('0003_emails.down.surql', 'REMOVE FIELD email ON person;\n');
    manager = await MigrationManager.create({ ...memOptions(folder.dir), logger: false });
    // A fresh mem:// database: apply 1 and 2 only, then change it by hand.
    await manager.migrateTo(2);
    await manager.db.query('DEFINE FIELD age ON person TYPE int;').responses();

    const report = await manager.drift();
    expect(report.pending).toEqual([
      { version: 3, name: 'emails', file: expect.stringMatching(/0003_emails\.surql$/) },
    ]);
    expect(report.drift.map((d) => [d.change, d.kind, d.table, d.name])).toEqual([['added', 'field', 'person', 'age']]);

    await manager.db.query('REMOVE FIELD age ON person;').responses();
    expect(await manager.drift()).toMatchObject({ ok: true, drift: [], pending: [{ version: 3 }] });
  });
});

/** A migration with a database user defined by password: the server stores a salted hash. */
const WITH_USER = { '0001_ops.surql': "DEFINE USER ops ON DATABASE PASSWORD 'pw' ROLES VIEWER;\n" };

describe('a database user defined with PASSWORD', () => {
  let folder: TempMigrations;
  let manager: MigrationManager | undefined;
  beforeEach(async () => {
    folder = await tempMigrations(WITH_USER);
  });
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await folder.dispose();
  });

  it('is no drift right after `up`', async () => {
    manager = await MigrationManager.create({ ...memOptions(folder.dir), logger: false });
    await manager.runMigrationUp();
    expect(await manager.drift()).toEqual({ ok: true, drift: [], pending: [], computed: [] });
  });

  it('prints the same bytes on every run', async () => {
    expect(schemaToSurql(await folderSchema(folder.dir, undefined, ON))).toBe(
      schemaToSurql(await folderSchema(folder.dir, undefined, ON)),
    );
  });
});

describe('schema: the folder’s schema as SurrealQL', () => {
  let folder: TempMigrations;
  beforeAll(async () => {
    folder = await tempMigrations(RICH_FOLDER);
  });
  afterAll(async () => {
    await folder.dispose();
  });

  it('prints one DEFINE … OVERWRITE per object, kinds in the engine’s order, byte for byte the same each run', async () => {
    const schema = await folderSchema(folder.dir, undefined, ON);
    const text = schemaToSurql(schema);
    expect(schemaToSurql(await folderSchema(folder.dir, undefined, ON))).toBe(text);
    const statements = text.split('\n').filter((l) => l !== '' && !l.startsWith('--'));
    expect(statements).toHaveLength(schema.length);
    for (const s of statements) expect(s).toMatch(/^DEFINE [A-Z]+ OVERWRITE .*;$/);
    expect(text).not.toContain(HISTORY);

    const at = (pattern: RegExp) => statements.findIndex((s) => pattern.test(s));
    const order = [
      at(/^DEFINE ANALYZER /),
      at(/^DEFINE FUNCTION /),
      at(/^DEFINE PARAM /),
      at(/^DEFINE TABLE /),
      at(/^DEFINE FIELD /),
      at(/^DEFINE INDEX /),
      at(/^DEFINE EVENT /),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Tables by name; a table's fields by name, `tags` before its `tags.*`.
    expect(statements.filter((s) => s.startsWith('DEFINE TABLE')).map((s) => s.split(' ')[3])).toEqual([
      'company',
      'log',
      'person',
      'works_at',
    ]);
    expect(at(/^DEFINE FIELD OVERWRITE tags ON person /)).toBe(
      statements.findIndex((s) => s.startsWith(`DEFINE FIELD OVERWRITE tags${ITEM} ON person `)) - 1,
    );
    expect(text).toContain('TYPE RELATION IN person OUT company');
    expect(text).toContain('DEFINE FIELD OVERWRITE in ON works_at TYPE record<person>');
    expect(text).toContain('DEFINE FIELD OVERWRITE out ON works_at TYPE record<company>');
  });

  it('gives the same bytes for the same schema reached by another route', async () => {
    // The same objects, defined in another order, across other files, with OVERWRITE steps in between.
    const other = await tempMigrations({
      '0001_a.surql': [
        'DEFINE TABLE log SCHEMALESS;',
        'DEFINE TABLE company SCHEMAFULL;',
        'DEFINE FIELD title ON company TYPE int;',
        'DEFINE FIELD OVERWRITE title ON company TYPE string;',
        'DEFINE TABLE person SCHEMAFULL;',
        'DEFINE FIELD nickname ON person TYPE option<string>;',
        'DEFINE FIELD tags ON person TYPE array<string> DEFAULT [];',
        'DEFINE FIELD name ON person TYPE string;',
        '',
      ].join('\n'),
      '0002_b.surql': [
        'DEFINE TABLE works_at TYPE RELATION IN person OUT company SCHEMAFULL;',
        'DEFINE FIELD since ON works_at TYPE datetime;',
        'DEFINE EVENT person_created ON person WHEN $event = "CREATE" THEN { CREATE log SET person = $after.id };',
        'DEFINE INDEX person_name ON person FIELDS name;',
        'DEFINE PARAM $page_size VALUE 20;',
        'DEFINE FUNCTION fn::greet($name: string) { RETURN "Hello " + $name; };',
        'DEFINE ANALYZER simple TOKENIZERS blank FILTERS lowercase;',
        '',
      ].join('\n'),
    });
    try {
      expect(schemaToSurql(await folderSchema(other.dir, undefined, ON))).toBe(
        schemaToSurql(await folderSchema(folder.dir, undefined, ON)),
      );
    } finally {
      await other.dispose();
    }
  });

  it('applied to an empty database, gives the same schema back', async () => {
    const schema = await folderSchema(folder.dir, undefined, ON);
    const text = schemaToSurql(schema);
    const applied = await schemaOfText(text);
    expect(applied).toEqual(schema);
    expect(schemaToSurql(applied)).toBe(text);
    expect(keys(applied)).toEqual(
      expect.arrayContaining([
        ['analyzer', undefined, 'simple'],
        ['function', undefined, 'greet'],
        ['param', undefined, 'page_size'],
        ['table', undefined, 'works_at'],
        ['field', 'works_at', 'in'],
        ['field', 'works_at', 'out'],
        ['field', 'person', 'tags'],
        ['field', 'person', `tags${ITEM}`],
        ['event', 'person', 'person_created'],
      ]),
    );
  });

  it('covers a folder prefix: only the given versions', async () => {
    const first = await folderSchema(folder.dir, new Set([1]), ON);
    const all = await folderSchema(folder.dir, undefined, ON);
    expect(keys(all).filter((k) => !keys(first).some((f) => f.join() === k.join()))).toEqual([
      ['field', 'person', 'nickname'],
    ]);
  });

  it('prints a view after the table it selects from, so that it applies to an empty database', async () => {
    const views = await tempMigrations({
      '0001_view.surql':
        'DEFINE TABLE src SCHEMALESS;\nDEFINE TABLE a_count AS SELECT count() AS n FROM src GROUP ALL;\n',
    });
    try {
      const schema = await folderSchema(views.dir, undefined, ON);
      expect(await schemaOfText(schemaToSurql(schema))).toEqual(schema);
    } finally {
      await views.dispose();
    }
  });
});

describe('a config (shown by INFO FOR DB without its DEFINE)', () => {
  let folder: TempMigrations;
  beforeEach(async () => {
    folder = await tempMigrations({ '0001_gql.surql': 'DEFINE TABLE a SCHEMALESS;\nDEFINE CONFIG GRAPHQL AUTO;\n' });
  });
  afterEach(() => folder.dispose());

  it('is printed as a DEFINE CONFIG that applies to an empty database and gives it back', async () => {
    const schema = await folderSchema(folder.dir, undefined, ON);
    const text = schemaToSurql(schema);
    expect(text).toMatch(/^DEFINE CONFIG OVERWRITE GRAPHQL /m);
    expect(await schemaOfText(text)).toEqual(schema);
  });

  it('reads the same, defined with OVERWRITE or IF NOT EXISTS (which SurrealDB 2 shows in its definition)', async () => {
    const plain = await schemaOfText('DEFINE CONFIG GRAPHQL AUTO;');
    expect(plain).toEqual([
      {
        kind: 'config',
        table: undefined,
        name: 'GraphQL',
        definition: 'DEFINE CONFIG GRAPHQL TABLES AUTO FUNCTIONS AUTO',
      },
    ]);
    expect(await schemaOfText('DEFINE CONFIG OVERWRITE GRAPHQL AUTO;')).toEqual(plain);
    expect(await schemaOfText('DEFINE CONFIG IF NOT EXISTS GRAPHQL AUTO;')).toEqual(plain);
  });

  it('added or removed, is refused by diff, which could not write its undoing', async () => {
    const withConfig = await folderSchema(folder.dir, undefined, ON);
    const without = withConfig.filter((o) => o.kind !== 'config');
    for (const [from, to, which] of [
      [without, withConfig, 'down'],
      [withConfig, without, 'up'],
    ] as const) {
      expect(() => planDiff(from, to)).toThrow(new RegExp(`no REMOVE CONFIG to write its ${which}`));
    }
  });
});

describe('diff: the next migration from a desired schema', () => {
  let folder: TempMigrations;
  let work: string;

  beforeEach(async () => {
    folder = await tempMigrations(RICH_FOLDER);
    work = await mkdtemp(path.join(tmpdir(), 'sbl-diff-'));
  });
  afterEach(async () => {
    await folder.dispose();
    await removeTempFolder(work);
  });

  /** The folder's own schema as a desired-schema file, with `edit` applied to its text and `extra` appended. */
  async function desiredFile(edit: (text: string) => string, extra = ''): Promise<string> {
    const file = path.join(work, 'desired.surql');
    await writeFile(file, edit(schemaToSurql(await folderSchema(folder.dir, undefined, ON))) + extra);
    return file;
  }

  /** Drops the lines that match `pattern`. */
  const without = (pattern: RegExp) => (text: string) =>
    text
      .split('\n')
      .filter((l) => !pattern.test(l))
      .join('\n');

  it('writes an up and a down that lint clean and take the folder to the desired schema', async () => {
    const file = await desiredFile(
      (t) =>
        t
          // Changed: an assertion on a field (same type), a table's schema mode, an event.
          .replace('DEFINE FIELD OVERWRITE name ON person TYPE string', '$& ASSERT string::len($value) > 0')
          .replace(/(DEFINE TABLE OVERWRITE log TYPE ANY) SCHEMALESS/, '$1 SCHEMAFULL')
          .replace('CREATE log SET person = $after.id', 'CREATE log SET person = $after.id, at = time::now()'),
      [
        // Added: a function, a table with an array field and an index, a relation table, a field.
        'DEFINE FUNCTION fn::bye($name: string) { RETURN "Bye " + $name; };',
        'DEFINE TABLE note SCHEMAFULL;',
        'DEFINE FIELD body ON note TYPE string;',
        'DEFINE FIELD labels ON note TYPE array<string>;',
        // (SurrealDB 2 says SEARCH where 3 says FULLTEXT.)
        `DEFINE INDEX note_body ON note FIELDS body ${SURREALDB >= 3 ? 'FULLTEXT' : 'SEARCH'} ANALYZER simple BM25;`,
        'DEFINE TABLE wrote TYPE RELATION IN person OUT note;',
        'DEFINE FIELD email ON person TYPE option<string>;',
        'DEFINE FIELD person ON log TYPE option<record<person>>;',
        'DEFINE FIELD at ON log TYPE option<datetime>;',
        '',
      ].join('\n'),
    );
    const current = await folderSchema(folder.dir, undefined, ON);
    const desired = await desiredSchema(file, HISTORY, ON);
    const steps = planDiff(current, desired);
    expect(steps.map((s) => [s.change.change, s.change.kind, s.change.table, s.change.name])).toEqual(
      expect.arrayContaining([
        ['added', 'function', undefined, 'bye'],
        ['added', 'table', undefined, 'note'],
        ['added', 'table', undefined, 'wrote'],
        ['changed', 'table', undefined, 'log'],
        ['changed', 'field', 'person', 'name'],
        ['added', 'field', 'person', 'email'],
        ['added', 'index', 'note', 'note_body'],
        ['changed', 'event', 'person', 'person_created'],
      ]),
    );
    // Nothing here loses data.
    expect(steps.filter((s) => s.destructive)).toEqual([]);

    const { up, down, destructive } = renderDiff(steps, 'evolve');
    expect(destructive).toEqual([]);
    expect(up).not.toContain('DESTRUCTIVE');
    expect(up.startsWith('-- evolve (up), generated by `surreal-migrate diff`.\n')).toBe(true);
    expect(down.startsWith('-- evolve (down), generated by `surreal-migrate diff`.\n')).toBe(true);
    const upLines = up.split('\n').filter((l) => l !== '' && !l.startsWith('--'));
    for (const l of upLines) expect(l).toMatch(/^DEFINE [A-Z]+ OVERWRITE /);
    // Tables before their fields and indexes; the analyzer an index uses already exists.
    /** The index of the line that matches; a line missing fails here, not as a -1 that sorts first. */
    const found = (index: number, what: unknown) => {
      expect({ what: String(what), found: index >= 0 }).toEqual({ what: String(what), found: true });
      return index;
    };
    const line = (p: RegExp) =>
      found(
        upLines.findIndex((l) => p.test(l)),
        p,
      );
    expect(line(/^DEFINE TABLE OVERWRITE note /)).toBeLessThan(line(/^DEFINE FIELD OVERWRITE body ON note /));
    expect(line(/^DEFINE FIELD OVERWRITE body ON note /)).toBeLessThan(line(/^DEFINE INDEX OVERWRITE note_body /));
    // `labels.*` is restated right after `labels`, whose DEFINE sets its type; the down removes it.
    const item = `labels${ITEM}`.replace(/[.*[\]]/g, '\\$&');
    expect(line(new RegExp(`^DEFINE FIELD OVERWRITE ${item} ON note `))).toBe(
      line(/^DEFINE FIELD OVERWRITE labels ON note /) + 1,
    );
    expect(down).toContain(`REMOVE FIELD IF EXISTS labels${ITEM} ON note;`);
    const downLines = down.split('\n').filter((l) => l !== '' && !l.startsWith('--'));
    const downLine = (text: string) => found(downLines.indexOf(text), text);
    expect(downLine('REMOVE FIELD IF EXISTS body ON note;')).toBeLessThan(downLine('REMOVE TABLE IF EXISTS note;'));
    expect(downLine('REMOVE INDEX IF EXISTS note_body ON note;')).toBeLessThan(
      downLine('REMOVE FIELD IF EXISTS body ON note;'),
    );
    expect(down).toContain('REMOVE FUNCTION IF EXISTS fn::bye;');
    expect(down).toMatch(/^DEFINE FIELD OVERWRITE name ON person TYPE string PERMISSIONS FULL;$/m);

    await writeFile(path.join(folder.dir, '0003_evolve.surql'), up);
    await writeFile(path.join(folder.dir, '0003_evolve.down.surql'), down);
    const lint = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(lint.problems).toEqual([]);
    expect(lint).toMatchObject({ ok: true, checked: 3, reversible: 3 });
    expect(await folderSchema(folder.dir, undefined, ON)).toEqual(desired);
    // The desired schema applied to an empty database, read back: the same.
    expect(await schemaOfText(schemaToSurql(desired))).toEqual(desired);
    // And nothing is left to do.
    expect(planDiff(await folderSchema(folder.dir, undefined, ON), desired)).toEqual([]);
  });

  it('reads a folder of desired-schema files in name order', async () => {
    const dir = path.join(work, 'desired');
    await cp(folder.dir, dir, { recursive: true });
    for (const f of await readdir(dir)) if (f.includes('.down.')) await rm(path.join(dir, f));
    // 0001 and 0002 as they are, then a third file on top.
    await writeFile(path.join(dir, '0003_more.surql'), 'DEFINE TABLE tag SCHEMAFULL;\n');
    const steps = planDiff(await folderSchema(folder.dir, undefined, ON), await desiredSchema(dir, HISTORY, ON));
    expect(steps.map((s) => [s.change.change, s.change.kind, s.change.name])).toEqual([['added', 'table', 'tag']]);
  });

  it('marks a removed table and a removed field destructive, and restores them in the down', async () => {
    // The event writes to `log`: it goes with it.
    const file = await desiredFile(without(/ ON log | OVERWRITE log | since ON works_at | person_created /));
    const desired = await desiredSchema(file, HISTORY, ON);
    const steps = planDiff(await folderSchema(folder.dir, undefined, ON), desired);
    expect(steps.map((s) => [s.change.change, s.change.kind, s.change.name, s.destructive])).toEqual([
      // Children first: the event, the field, then the table.
      ['removed', 'event', 'person_created', false],
      ['removed', 'field', 'since', true],
      ['removed', 'table', 'log', true],
    ]);
    const { up, down, destructive } = renderDiff(steps, 'drop_log');
    expect(destructive).toEqual(['removed field `since` on `works_at`', 'removed table `log`']);
    expect(up).toContain('-- DESTRUCTIVE: removed table `log`; data may be lost.\nREMOVE TABLE IF EXISTS log;\n');
    expect(up).toContain(
      '-- DESTRUCTIVE: removed field `since` on `works_at`; data may be lost.\nREMOVE FIELD IF EXISTS since ON works_at;\n',
    );
    expect(up).toContain('REMOVE EVENT IF EXISTS person_created ON person;');
    expect(down).not.toContain('DESTRUCTIVE');
    expect(down).toContain('DEFINE TABLE OVERWRITE log ');
    expect(down).toContain('DEFINE FIELD OVERWRITE since ON works_at TYPE datetime');

    await writeFile(path.join(folder.dir, '0003_drop_log.surql'), up);
    await writeFile(path.join(folder.dir, '0003_drop_log.down.surql'), down);
    expect((await lintOtherThanDataLoss({ directory: folder.dir, ...ON })).problems).toEqual([]);
    expect(await folderSchema(folder.dir, undefined, ON)).toEqual(desired);
  });

  it('marks a field whose type changes destructive, and not one whose type stays', async () => {
    const file = await desiredFile((t) =>
      t
        .replace('since ON works_at TYPE datetime', 'since ON works_at TYPE string')
        .replace('DEFINE FIELD OVERWRITE name ON person TYPE string', '$& ASSERT $value != ""'),
    );
    const steps = planDiff(await folderSchema(folder.dir, undefined, ON), await desiredSchema(file, HISTORY, ON));
    expect(steps.map((s) => [s.change.change, s.change.name, s.destructive])).toEqual([
      ['changed', 'name', false],
      ['changed', 'since', true],
    ]);
    const { up, destructive } = renderDiff(steps, 'retype');
    expect(destructive).toEqual(['changed field `since` on `works_at`']);
    expect(up).toMatch(
      /-- DESTRUCTIVE: changed field `since` on `works_at`; data may be lost\.\nDEFINE FIELD OVERWRITE since ON works_at TYPE string /,
    );
  });

  it('refuses a possible field rename, naming both fields', async () => {
    const file = await desiredFile((t) =>
      t.replace(' name ON person', ' full_name ON person').replace('FIELDS name', 'FIELDS full_name'),
    );
    const [current, desired] = await Promise.all([
      folderSchema(folder.dir, undefined, ON),
      desiredSchema(file, HISTORY, ON),
    ]);
    let error: unknown;
    try {
      planDiff(current, desired);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PossibleRenameError);
    expect(error).toMatchObject({
      code: 'POSSIBLE_RENAME',
      removed: 'field `name` on `person`',
      added: 'field `full_name` on `person`',
    });
    expect((error as Error).message).toContain(
      'field `name` on `person` is removed and field `full_name` on `person` is added',
    );
  });

  it('refuses a possible table rename, naming both tables', async () => {
    const file = await desiredFile((t) => t.replace(/ log /g, ' audit_log ').replace('CREATE log', 'CREATE audit_log'));
    const [current, desired] = await Promise.all([
      folderSchema(folder.dir, undefined, ON),
      desiredSchema(file, HISTORY, ON),
    ]);
    expect(() => planDiff(current, desired)).toThrow(PossibleRenameError);
    expect(() => planDiff(current, desired)).toThrow(
      expect.objectContaining({ removed: 'table `log`', added: 'table `audit_log`' }),
    );
  });

  it('defines a new view after the new table it selects from', async () => {
    const file = await desiredFile(
      (t) => t,
      'DEFINE TABLE src SCHEMALESS;\nDEFINE TABLE a_count AS SELECT count() AS n FROM src GROUP ALL;\n',
    );
    const desired = await desiredSchema(file, HISTORY, ON);
    const { up, down } = renderDiff(planDiff(await folderSchema(folder.dir, undefined, ON), desired), 'views');
    await writeFile(path.join(folder.dir, '0003_views.surql'), up);
    await writeFile(path.join(folder.dir, '0003_views.down.surql'), down);
    expect((await lintOtherThanDataLoss({ directory: folder.dir, ...ON })).problems).toEqual([]);
    expect(await folderSchema(folder.dir, undefined, ON)).toEqual(desired);
  });

  it('writes a user with a hash no password matches, marked, never the password or its hash', async () => {
    const file = await desiredFile((t) => t, "DEFINE USER ops ON DATABASE PASSWORD 'pw' ROLES VIEWER;\n");
    const steps = planDiff(await folderSchema(folder.dir, undefined, ON), await desiredSchema(file, HISTORY, ON));
    expect(steps.map((s) => [s.change.change, s.change.kind, s.secret])).toEqual([['added', 'user', true]]);
    const { up, secrets } = renderDiff(steps, 'secret');
    expect(secrets).toHaveLength(1);
    expect(up).toContain(`PASSHASH '${UNKNOWN_PASSWORD_HASH}'`);
    expect(up.split(UNKNOWN_PASSWORD_HASH).join('')).not.toMatch(/\$argon2|'pw'/);
  });

  it('refuses to write an access whose key the server hides, naming it, never the key', async () => {
    const file = await desiredFile((t) => t, "DEFINE ACCESS api ON DATABASE TYPE JWT ALGORITHM HS256 KEY 'k1';\n");
    const current = await folderSchema(folder.dir, undefined, ON);
    const desired = await desiredSchema(file, HISTORY, ON);
    expect(() => planDiff(current, desired)).toThrow(MigrationArgumentError);
    expect(() => planDiff(current, desired)).toThrow(/^diff: access `api` is added, and it signs with a key [^']*$/);
  });

  it('finds no step when the desired schema is the folder’s', async () => {
    const file = await desiredFile((t) => t);
    expect(planDiff(await folderSchema(folder.dir, undefined, ON), await desiredSchema(file, HISTORY, ON))).toEqual([]);
  });
});
