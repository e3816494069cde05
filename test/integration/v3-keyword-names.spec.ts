/**
 * Issue 19, item 8: SurrealDB 3.0 cannot read back a field named after some keywords. The list the
 * product keeps (V3_UNREADABLE_NAMES) is checked against the engine itself, word by word, in every
 * position where a name is stored; SurrealDB 2 reads them all back. Then: lint says so before
 * anything runs, `up` refuses before its first migration, and the raw error, where a database
 * already holds such a name, is said in one sentence.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { lintOtherThanDataLoss } from '../support/lint-report.js';
import { readSchema } from '../../src/core/shadow/shadow.js';
import { V3_UNREADABLE_NAMES } from '../../src/core/surql/v3-keyword-names.js';
import { DatabaseRequestError, MigrationError } from '../../src/index.js';
import { repoRoot } from '../support/child.js';
import { memClient, SURREALDB } from '../support/engine.js';
import { memManagers, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/** Every word of SurrealDB's lexer keyword table (2.x and 3.x), as candidates. */
const KEYWORDS = path.join(repoRoot, 'test', 'fixtures', 'surrealdb-keywords.txt');
const E = (w: string) => `\`${w}\``;

/** Each position where a name is stored: the statements that store `w` there, and the tables they break. */
const POSITIONS: Record<string, { list: keyof typeof V3_UNREADABLE_NAMES; sql: (w: string) => string }> = {
  field: { list: 'alone', sql: (w) => `DEFINE FIELD ${E(w)} ON t;` },
  'field path': { list: 'first', sql: (w) => `DEFINE FIELD ${E(w)}.a ON t;` },
  'index field': { list: 'alone', sql: (w) => `DEFINE INDEX ix ON t FIELDS b, ${E(w)};` },
  'index field path': { list: 'first', sql: (w) => `DEFINE INDEX ix ON t FIELDS ${E(w)}.a;` },
  'view alias': { list: 'alone', sql: (w) => `DEFINE TABLE v AS SELECT a AS ${E(w)} FROM t;` },
  'view alias path': { list: 'first', sql: (w) => `DEFINE TABLE v AS SELECT a AS ${E(w)}.b FROM t;` },
  'view group': {
    list: 'groupBy',
    sql: (w) => `DEFINE TABLE v AS SELECT ${E(w)}, count() AS c FROM t GROUP BY ${E(w)};`,
  },
};

let databases = 0;

/** The words of `words` that, stored by `sql`, leave table `t` (or the database) unreadable. */
async function breaking(db: Surreal, words: readonly string[], sql: (w: string) => string): Promise<string[]> {
  const broken: string[] = [];
  for (const word of words) {
    // A database of its own for each: a broken view breaks its whole database.
    await db.use({ namespace: 'probe', database: `d${databases++}` });
    const defined = await db.query(`DEFINE TABLE t; ${sql(word)}`).responses();
    expect([word, defined.filter((r) => !r.success).length]).toEqual([word, 0]);
    const after = await db.query('INFO FOR TABLE t; CREATE t SET zz = 1; INFO FOR DB;').responses();
    if (after.some((r) => !r.success && /Conversion\(/.test(r.error.message))) broken.push(word);
  }
  return broken;
}

describe('the names SurrealDB 3 cannot read back, measured on the engine', () => {
  let db: Surreal;
  let words: string[];
  beforeAll(async () => {
    db = await memClient();
    words = (await readFile(KEYWORDS, 'utf8'))
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w.toLowerCase());
  });
  afterAll(async () => {
    await db.close();
  });

  it.each(Object.keys(POSITIONS))(
    '%s: exactly the list, on SurrealDB 3; none on SurrealDB 2',
    async (position) => {
      const { list, sql } = POSITIONS[position]!;
      const measured = await breaking(db, words, sql);
      // A mismatch prints the engine's own list: paste it into V3_UNREADABLE_NAMES.
      expect(measured).toEqual(SURREALDB >= 3 ? [...V3_UNREADABLE_NAMES[list]].sort() : []);
    },
    120_000,
  );

  it('in any case: SELECT and Select as select', async () => {
    const measured = await breaking(db, ['SELECT', 'Select', 'TRUE'], POSITIONS.field!.sql);
    expect(measured).toEqual(SURREALDB >= 3 ? ['SELECT', 'Select', 'TRUE'] : []);
  });

  it('a later part of a path, an index, event or table name are fine', async () => {
    for (const sql of [
      (w: string) => `DEFINE FIELD a.${E(w)} ON t;`,
      (w: string) => `DEFINE INDEX ${E(w)} ON t FIELDS a;`,
      (w: string) => `DEFINE EVENT ${E(w)} ON t WHEN true THEN {};`,
      (w: string) => `DEFINE TABLE ${E(w)};`,
    ]) {
      expect(await breaking(db, [...V3_UNREADABLE_NAMES.alone], sql)).toEqual([]);
    }
  }, 60_000);
});

describe('lint, up and schema with such a name', () => {
  let folder: TempMigrations;
  const { open, closeAll } = memManagers(() => folder);
  afterEach(async () => {
    await closeAll();
    await folder?.dispose();
  });

  const FILES = {
    '0001_post.surql': 'DEFINE TABLE post SCHEMALESS;\nDEFINE FIELD title ON post TYPE string;\n',
    '0001_post.down.surql': 'REMOVE TABLE post;\n',
    '0002_flags.surql':
      'DEFINE FIELD flags ON post TYPE object;\nDEFINE FIELD flags.`select` ON post TYPE bool;\n' +
      'DEFINE FIELD `Update` ON post TYPE option<string>;\n',
    '0002_flags.down.surql':
      'REMOVE FIELD `Update` ON post;\nREMOVE FIELD flags.`select` ON post;\nREMOVE FIELD flags ON post;\n',
    '0003_views.surql':
      'DEFINE INDEX by_if ON post FIELDS title, `if`.x;\n' + 'DEFINE TABLE recent AS SELECT title AS true FROM post;\n',
    '0003_views.down.surql': 'REMOVE TABLE recent;\nREMOVE INDEX by_if ON post;\n',
  };

  it('lint names each one, with its line and column, before anything runs (SurrealDB 3 only)', async () => {
    folder = await tempMigrations(FILES);
    const report = await lintOtherThanDataLoss({ directory: folder.dir, surrealdb: SURREALDB });
    const limits = report.problems.filter((p) => p.kind === 'engine-limit');
    if (SURREALDB < 3) {
      expect(report.problems).toEqual([]);
      return;
    }
    expect(limits.map((p) => [path.basename(p.file), p.line, p.column, p.severity])).toEqual([
      ['0002_flags.surql', 3, 14, 'error'],
      ['0003_views.surql', 1, 42, 'error'],
      ['0003_views.surql', 2, 40, 'error'],
    ]);
    expect(limits[0]!.message).toBe(
      'SurrealDB 3 cannot read back field `Update` on table `post`, whose name is a SurrealQL keyword: once it is ' +
        'defined, every statement about `post` fails with a "Conversion(SyntaxError" error (SurrealDB 2 is not affected)',
    );
    expect(limits[1]!.message).toMatch(/^SurrealDB 3 cannot read back the index field `if`\.x on table `post`/);
    expect(limits[2]!.message).toMatch(/the field `true` of view `recent`.*\(and INFO FOR DB\)/);
    expect(limits[0]!.hint).toMatch(/^Rename it/);
    // The runner refuses the same files: not listed twice, and no raw conversion error anywhere.
    expect(report.problems.filter((p) => p.kind === 'execution')).toEqual([]);
    expect(JSON.stringify(report)).not.toMatch(/Diagnostic/);
  });

  it('up refuses the whole run before its first migration on SurrealDB 3; SurrealDB 2 applies it', async () => {
    folder = await tempMigrations(FILES);
    const manager = await open();
    const outcome = await manager.runMigrationUp().catch((e: unknown) => e);
    if (SURREALDB < 3) {
      expect(outcome).toHaveLength(3);
      expect(await manager.getCurrentVersion()).toBe(3);
      return;
    }
    expect(outcome).toBeInstanceOf(MigrationError);
    const error = outcome as MigrationError;
    expect(error).toMatchObject({ version: 2, line: 3, column: 14 });
    expect(error.message).toMatch(/field `Update` on table `post`, whose name is a SurrealQL keyword/);
    expect(error.message).toMatch(/Nothing of this run was applied/);
    // Not even 0001, which comes before it.
    expect(await manager.getCurrentVersion()).toBe(0);
    const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
    expect(Object.keys(info.tables)).not.toContain('post');
  });

  it('a database that already holds one: schema and up say which table, which field, and why', async () => {
    folder = await tempMigrations({
      '0001_post.surql': 'DEFINE TABLE post SCHEMAFULL;\nDEFINE FIELD `select` ON post TYPE option<string>;\n',
      '0002_title.surql': 'DEFINE FIELD title ON post TYPE option<string>;\n',
    });
    const manager = await open();
    // Defined before this release refused it (by hand here).
    await manager.db.query(await readFile(path.join(folder.dir, '0001_post.surql'), 'utf8'));
    await manager.baseline(1);
    const schema = await readSchema(manager.db, '_sbl_migrations').catch((e: unknown) => e);
    if (SURREALDB < 3) {
      expect(Array.isArray(schema)).toBe(true);
      return;
    }
    expect(schema).toBeInstanceOf(DatabaseRequestError);
    expect((schema as Error).message).toMatch(/cannot read back the definitions of table `post`/);
    expect((schema as Error).message).not.toMatch(/Diagnostic/);

    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.reason).toMatch(/^SurrealDB 3 cannot read back field `select` on table `post`/);
    expect(error.message).not.toMatch(/Diagnostic/);
  });
});
