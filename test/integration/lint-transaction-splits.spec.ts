/**
 * Issue 19, item 5 (lint's half): what cannot share one transaction once a table has rows. Each
 * pattern of the class is first shown on the engine (both versions): in one transaction over a
 * table with a row it fails, or indexes the row with the old definition; in two it works. Lint then
 * flags exactly those patterns, in any file, as errors with their line; and it applies each up once
 * more over a few made-up rows, which finds data-dependent failures as warnings only.
 */
import { lintOtherThanDataLoss } from '../support/lint-report.js';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { Surreal } from 'surrealdb';
import { type LintProblem } from '../../src/core/analysis/lint.js';
import { RowSampler } from '../../src/core/analysis/lint-samples.js';
import { memClient, SURREALDB } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

const FT = SURREALDB >= 3 ? 'FULLTEXT' : 'SEARCH';
const ON = { surrealdb: SURREALDB } as const;
const INDEX = `DEFINE INDEX i ON post FIELDS body ${FT} ANALYZER a BM25;`;
const ANALYZER = 'DEFINE ANALYZER a TOKENIZERS blank FILTERS lowercase;';

/**
 * Each pattern: what the folder defined before (committed), and the migration's statements. The
 * migration's last statement builds the index.
 */
const PATTERNS: Record<string, { before: string; up: string; outcome: 'fails' | 'stale' }> = {
  'a new analyzer and an index with it': { before: '', up: `${ANALYZER}\n${INDEX}`, outcome: 'fails' },
  'a new analyzer calling a new function, and the index': {
    before: '',
    up:
      'DEFINE FUNCTION fn::low($s: string) { RETURN string::lowercase($s); };\n' +
      `DEFINE ANALYZER a FUNCTION fn::low TOKENIZERS blank;\n${INDEX}`,
    outcome: 'fails',
  },
  'an analyzer redefined, and the index defined again': {
    before: `DEFINE ANALYZER a TOKENIZERS blank;\n${INDEX}`,
    up: `DEFINE ANALYZER OVERWRITE a TOKENIZERS blank FILTERS lowercase;\n${INDEX.replace('INDEX', 'INDEX OVERWRITE')}`,
    outcome: 'stale',
  },
  'an analyzer redefined, and the index rebuilt': {
    before: `DEFINE ANALYZER a TOKENIZERS blank;\n${INDEX}`,
    up: 'DEFINE ANALYZER OVERWRITE a TOKENIZERS blank FILTERS lowercase;\nREBUILD INDEX i ON post;',
    outcome: 'stale',
  },
  "the analyzer's function redefined, and the index": {
    before: 'DEFINE FUNCTION fn::low($s: string) { RETURN $s; };\nDEFINE ANALYZER a FUNCTION fn::low TOKENIZERS blank;',
    up: `DEFINE FUNCTION OVERWRITE fn::low($s: string) { RETURN string::lowercase($s); };\n${INDEX}`,
    outcome: 'stale',
  },
};

const TABLE = "DEFINE TABLE post SCHEMALESS;\nCREATE post:1 SET body = 'Hello World';";

describe('statements that cannot share a transaction, on the engine', () => {
  let db: Surreal;
  let n = 0;
  beforeEach(async () => {
    db = await memClient();
  });
  afterEach(async () => {
    await db.close();
  });

  /** `up` over a table with a row, in one transaction or statement by statement; what a search finds. */
  async function run(before: string, up: string, oneTransaction: boolean) {
    await db.use({ namespace: 'probe', database: `d${n++}` });
    await db.query(`${TABLE}\n${before}`).responses();
    const sent = oneTransaction ? `BEGIN TRANSACTION;\n${up}\nCOMMIT TRANSACTION;` : up;
    const failed = (await db.query(sent).responses()).filter((r) => !r.success);
    const [found] = await db.query<[unknown[]]>("SELECT id FROM post WHERE body @@ 'hello'").catch(() => [[]]);
    return { failed: failed.length > 0, found: found.length };
  }

  it.each(Object.entries(PATTERNS))('%s: breaks in one transaction, works in two', async (_label, pattern) => {
    const one = await run(pattern.before, pattern.up, true);
    if (pattern.outcome === 'fails') expect(one.failed).toBe(true);
    else expect(one).toEqual({ failed: false, found: 0 });
    expect(await run(pattern.before, pattern.up, false)).toEqual({ failed: false, found: 1 });
  });

  it('with no rows, one transaction works: why a replay on an empty shadow passes it', async () => {
    await db.use({ namespace: 'probe', database: `d${n++}` });
    const answers = await db
      .query(`DEFINE TABLE post SCHEMALESS;\nBEGIN TRANSACTION;\n${ANALYZER}\n${INDEX}\nCOMMIT TRANSACTION;`)
      .responses();
    expect(answers.every((r) => r.success)).toBe(true);
  });
});

describe('lint flags them before anything runs', () => {
  let folder: TempMigrations;
  afterEach(async () => {
    await folder?.dispose();
  });

  const brief = (p: LintProblem) => [p.kind, p.severity, path.basename(p.file), p.line, p.column];

  it.each(Object.entries(PATTERNS))('%s: an error at the statement that builds the index', async (_label, pattern) => {
    folder = await tempMigrations({
      // What came before, statement by statement: nothing to flag there.
      '0001_post.surql': `-- migrate:no-transaction\nDEFINE TABLE post SCHEMALESS;\n${pattern.before}\n`,
      '0002_search.surql': `-- search\n${pattern.up}\n`,
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    const flagged = report.problems.filter((p) => p.kind === 'one-transaction');
    const line = pattern.up.split('\n').length + 1;
    expect(flagged.map(brief)).toEqual([['one-transaction', 'error', '0002_search.surql', line, 1]]);
    expect(flagged[0]!.message).toMatch(
      pattern.outcome === 'fails' ? /fails \("The analyzer 'a' does not exist"\)/ : /with the old definition, silently/,
    );
    expect(flagged[0]!.hint).toMatch(/^Split it: define the analyzer .* CONCURRENTLY .* `-- migrate:no-transaction`/);
    expect(report.ok).toBe(false);
  });

  it('in a down script too', async () => {
    folder = await tempMigrations({
      '0001_post.surql': 'DEFINE TABLE post SCHEMALESS;\n',
      '0001_post.down.surql': `${ANALYZER}\n${INDEX}\nREMOVE TABLE post;\nREMOVE ANALYZER a;\n`,
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.map(brief)).toContainEqual(['one-transaction', 'error', '0001_post.down.surql', 2, 1]);
  });

  it.each([
    ['split in two migrations', { '0002_a.surql': ANALYZER, '0003_i.surql': INDEX }],
    ['built CONCURRENTLY', { '0002_s.surql': `${ANALYZER}\n${INDEX.replace(';', ' CONCURRENTLY;')}` }],
    ['a no-transaction file', { '0002_s.surql': `-- migrate:no-transaction\n${ANALYZER}\n${INDEX}` }],
    ['another analyzer', { '0002_a.surql': ANALYZER, '0003_s.surql': `${ANALYZER.replace(' a ', ' b ')}\n${INDEX}` }],
  ])('not when %s', async (_label, files) => {
    folder = await tempMigrations({ '0001_post.surql': 'DEFINE TABLE post SCHEMALESS;', ...files });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.filter((p) => p.kind === 'one-transaction' || p.severity === 'error')).toEqual([]);
  });
});

describe('lint over made-up rows: data-dependent warnings', () => {
  let folder: TempMigrations;
  afterEach(async () => {
    jest.restoreAllMocks();
    await folder?.dispose();
  });

  const FILES = {
    '0001_post.surql':
      'DEFINE TABLE post SCHEMAFULL;\nDEFINE FIELD title ON post TYPE string;\nDEFINE FIELD views ON post TYPE int;\n' +
      'DEFINE FIELD at ON post TYPE datetime;\nDEFINE FIELD body ON post TYPE option<string>;\n',
    '0001_post.down.surql': 'REMOVE TABLE post;\n',
    // Old rows lack the new required field: the UPDATE meets them.
    '0002_slug.surql': 'DEFINE FIELD slug ON post TYPE string;\nUPDATE post SET views += 1;\n',
    '0002_slug.down.surql': 'REMOVE FIELD slug ON post;\n',
    // A type changed under old values: the UPDATE meets them.
    '0003_views_text.surql': 'DEFINE FIELD OVERWRITE views ON post TYPE string;\nUPDATE post;\n',
    '0003_views_text.down.surql': 'DEFINE FIELD OVERWRITE views ON post TYPE int;\n',
    // Fine with rows: no warning.
    '0004_tag.surql': 'DEFINE FIELD tag ON post TYPE option<string>;\nUPDATE post SET tag = "x";\n',
    '0004_tag.down.surql': 'REMOVE FIELD tag ON post;\n',
    // Has an error of its own (the down leaves the index): unchanged by the rows.
    '0005_idx.surql': 'DEFINE INDEX by_title ON post FIELDS title;\n',
    '0005_idx.down.surql': '-- forgot it\n',
  };

  it('warns at the failing statement, with the tables that got rows; never an error', async () => {
    folder = await tempMigrations(FILES);
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    const sampled = report.problems.filter((p) => p.kind === 'data-dependent');
    expect(sampled.map((p) => [path.basename(p.file), p.line, p.column, p.severity])).toEqual([
      ['0002_slug.surql', 2, 1, 'warning'],
      ['0003_views_text.surql', 2, 1, 'warning'],
    ]);
    expect(sampled[0]!.message).toMatch(/0002_slug\.surql fails over a few made-up rows in `post` .*slug/);
    expect(sampled[1]!.message).toMatch(/0003_views_text\.surql fails over a few made-up rows in `post`.*views/);
  });

  it('changes nothing else lint finds: the same report as without the rows, but the warnings', async () => {
    folder = await tempMigrations(FILES);
    const withRows = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    jest.spyOn(RowSampler, 'open').mockResolvedValue(undefined);
    const without = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(without.problems.filter((p) => p.kind === 'data-dependent')).toEqual([]);
    expect(withRows.problems.filter((p) => p.kind !== 'data-dependent')).toEqual(without.problems);
    expect({ ...withRows, problems: [] }).toEqual({ ...without, problems: [] });
    // The down that leaves its index is an error in both.
    expect(without.ok).toBe(false);
    expect(without.problems.map((p) => path.basename(p.file))).toContain('0005_idx.down.surql');
  });

  it('a folder whose only findings are data-dependent stays ok', async () => {
    folder = await tempMigrations({
      '0001_post.surql': FILES['0001_post.surql'],
      '0001_post.down.surql': FILES['0001_post.down.surql'],
      '0002_slug.surql': FILES['0002_slug.surql'],
      '0002_slug.down.surql': FILES['0002_slug.down.surql'],
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.map((p) => p.kind)).toEqual(['data-dependent']);
    expect(report.ok).toBe(true);
  });

  it('a table it cannot write rows to gets none, and its up is not warned about', async () => {
    folder = await tempMigrations({
      '0001_strict.surql':
        'DEFINE TABLE strict SCHEMAFULL;\nDEFINE FIELD code ON strict TYPE string ASSERT $value = "only-this";\n',
      '0002_req.surql': 'DEFINE FIELD extra ON strict TYPE string;\nUPDATE strict SET code = "only-this";\n',
    });
    const report = await lintOtherThanDataLoss({ directory: folder.dir, ...ON });
    expect(report.problems.filter((p) => p.kind === 'data-dependent')).toEqual([]);
  });
});
