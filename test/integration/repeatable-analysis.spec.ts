import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lintMigrations } from '../../src/core/analysis/lint.js';
import { generateTypes } from '../../src/index.js';
import { folderSchema, schemaToSurql } from '../../src/core/analysis/schema-code.js';
import { MigrationManager } from '../../src/index.js';
import { createMigratedDatabase } from '../../src/testing/index.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { SURREALDB } from '../support/engine.js';

/**
 * The analyses include the repeatable definitions, applied after the versions as a run applies
 * them: lint proves each runs twice to the same effect; the folder's schema (schema, diff, types)
 * holds what they define; drift right after `up` is clean; the testing kit's template applies them
 * and is keyed by them. On the suite's engine.
 */

const VERSIONS = {
  '0001_person.surql': 'DEFINE TABLE person SCHEMALESS;\nDEFINE FIELD age ON person TYPE option<int>;',
  '0001_person.down.surql': 'REMOVE TABLE person;',
};
const GREET = "DEFINE FUNCTION OVERWRITE fn::greet($name: string) { RETURN 'Hello ' + $name; };";
const ADULT =
  'DEFINE PARAM OVERWRITE $adult VALUE 18;\n' +
  'DEFINE EVENT OVERWRITE grown ON person WHEN $after.age >= $adult THEN { UPSERT grown:count SET n += 1 };';
const ON = { surrealdb: SURREALDB, shadow: undefined } as const;

let folder: TempMigrations;

async function writeRepeatable(name: string, text: string): Promise<void> {
  await mkdir(path.join(folder.dir, 'repeatable'), { recursive: true });
  await writeFile(path.join(folder.dir, 'repeatable', name), text);
}

beforeEach(async () => {
  folder = await tempMigrations(VERSIONS);
});
afterEach(() => folder.dispose());

describe('analyses with repeatable definitions', () => {
  it('lint applies each twice: a clean folder passes; one that cannot run twice is named, file and line', async () => {
    await writeRepeatable('a_greet.surql', GREET);
    await writeRepeatable('b_adult.surql', ADULT);
    const clean = await lintMigrations({ directory: folder.dir, ...ON });
    expect(clean.problems.filter((p) => p.kind !== 'data-loss')).toEqual([]);

    await writeRepeatable('c_strict.surql', '-- no OVERWRITE\nDEFINE FUNCTION fn::strict() { RETURN 1 };');
    await writeRepeatable('d_broken.surql', 'DEFINE FUNCTION OVERWRITE fn::ok() { RETURN 1 };\nTHROW "broken";');
    const report = await lintMigrations({ directory: folder.dir, ...ON });
    const problems = report.problems
      .filter((p) => p.kind !== 'data-loss')
      .map((p) => ({ kind: p.kind, file: path.basename(p.file), line: p.line, version: p.version }));
    expect(problems).toEqual([
      { kind: 'not-idempotent', file: 'c_strict.surql', line: 2, version: 0 },
      { kind: 'execution', file: 'd_broken.surql', line: 2, version: 0 },
    ]);
    expect(report.ok).toBe(false);
  });

  it('the folder’s schema holds what they define; drift right after up is clean', async () => {
    await writeRepeatable('a_greet.surql', GREET);
    await writeRepeatable('b_adult.surql', ADULT);
    const text = schemaToSurql(await folderSchema(folder.dir, undefined, ON));
    expect(text).toMatch(/DEFINE FUNCTION OVERWRITE fn::greet/);
    expect(text).toMatch(/DEFINE PARAM OVERWRITE \$adult/);
    expect(text).toMatch(/DEFINE EVENT OVERWRITE grown ON person/);
    expect(text).not.toMatch(/_repeatable/);

    // The types too: a field a repeatable defines is in its table's type.
    await writeRepeatable('c_nick.surql', 'DEFINE FIELD OVERWRITE nick ON person TYPE option<string>;');
    const types = await generateTypes({ directory: folder.dir, surrealdb: SURREALDB });
    expect(types).toMatch(/export type Person = \{[^}]*nick\?: string;/);
    expect(types).not.toMatch(/Repeatable/);

    const manager = await MigrationManager.create({ ...memOptions(folder.dir), logger: false });
    try {
      await manager.runMigrationUp();
      const report = await manager.drift();
      expect(report).toMatchObject({ ok: true, drift: [] });
    } finally {
      await manager.close();
    }
  });

  it('the testing kit’s template applies them, and a changed file makes a new template', async () => {
    await writeRepeatable('a_greet.surql', GREET);
    const first = await createMigratedDatabase({ directory: folder.dir, surrealdb: SURREALDB });
    const second = await createMigratedDatabase({ directory: folder.dir, surrealdb: SURREALDB });
    try {
      expect(second.template?.key).toBe(first.template?.key);
      const [greeting] = await second.db.query<[string]>("RETURN fn::greet('Ada')");
      expect(greeting).toBe('Hello Ada');
      // The copy knows them applied: nothing to do.
      expect((await second.manager.status()).repeatable.pending).toEqual([]);
    } finally {
      await first.manager.close();
      await second.manager.close();
    }
    await writeRepeatable('a_greet.surql', GREET.replace('Hello', 'Hi'));
    const third = await createMigratedDatabase({ directory: folder.dir, surrealdb: SURREALDB });
    try {
      expect(third.template?.key).not.toBe(first.template?.key);
      const [greeting] = await third.db.query<[string]>("RETURN fn::greet('Ada')");
      expect(greeting).toBe('Hi Ada');
    } finally {
      await third.manager.close();
    }
  });
});
