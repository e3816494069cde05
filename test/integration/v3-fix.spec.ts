/**
 * Issue 19, item 1: `lint --fix` rewrites only what SurrealDB renamed. The candidates are found on
 * tokens (test/unit/v3-upgrade.spec.ts); here the engines judge them. Both engines are opened
 * explicitly, whatever the suite's engine: the table of renames is a fact about both, and the
 * rewrites are judged by the target (3), or by 2 to show that a judge that accepts the original
 * keeps nothing.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShadowDatabase } from '../../src/core/shadow/shadow-database.js';
import { parserOn, upgradeOnEngine, type ParseCheck } from '../../src/core/analysis/v3-fix.js';
import { RENAMED_FUNCTIONS } from '../../src/core/surql/v3-rewrites.js';
import { upgradeScript } from '../../src/core/surql/v3-upgrade.js';
import { repoRoot } from '../support/child.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

const V2_CORPUS = path.join(repoRoot, 'test', 'fixtures', 'v2-corpus');

/** A parser on an embedded engine of `major`, with nothing in it. */
async function judge(major: 2 | 3): Promise<{ parse: ParseCheck; close(): Promise<void> }> {
  const folder: TempMigrations = await tempMigrations();
  const shadow = await ShadowDatabase.open(folder.dir, { surrealdb: major });
  return {
    parse: parserOn(shadow, 'judged.surql'),
    close: async () => {
      await shadow.close();
      await folder.dispose();
    },
  };
}

/** The corpus's scripts, by name. */
async function corpus(): Promise<[string, string][]> {
  const names = (await readdir(V2_CORPUS)).filter((n) => n.endsWith('.surql')).sort();
  return Promise.all(names.map(async (n) => [n, await readFile(path.join(V2_CORPUS, n), 'utf8')] as [string, string]));
}

// One engine at a time: two embedded SurrealDB 2 datastores at work at once can crash its wasm engine.
describe('the renamed built-ins, asked of both engines', () => {
  it('SurrealDB 2 knows every old name', async () => {
    const v2 = await judge(2);
    try {
      for (const [from] of RENAMED_FUNCTIONS)
        expect([from, await v2.parse(`RETURN ${from}();`)]).toEqual([from, undefined]);
    } finally {
      await v2.close();
    }
  });

  it('SurrealDB 3 refuses every old name, at the name, and knows every new one', async () => {
    const v3 = await judge(3);
    try {
      for (const [from, to] of RENAMED_FUNCTIONS) {
        const refused = await v3.parse(`RETURN ${from}();`);
        expect([from, refused?.line, refused?.column, refused?.message]).toEqual([
          from,
          1,
          8,
          expect.stringContaining('Invalid function/constant path'),
        ]);
        expect([to, await v3.parse(`RETURN ${to}();`)]).toEqual([to, undefined]);
      }
    } finally {
      await v3.close();
    }
  });
});

describe('lint --fix keeps a rewrite only where the target engine refuses the original', () => {
  let v3: Awaited<ReturnType<typeof judge>>;
  beforeAll(async () => {
    v3 = await judge(3);
  });
  afterAll(() => v3.close());

  it('judged by SurrealDB 2, which accepts every SurrealDB 2 form, the corpus keeps none', async () => {
    const v2 = await judge(2);
    try {
      for (const [name, text] of await corpus()) {
        expect([name, await upgradeOnEngine(text, v2.parse)]).toEqual([
          name,
          { text, rewrites: [], refusal: undefined },
        ]);
      }
    } finally {
      await v2.close();
    }
  });

  it('judged by SurrealDB 3, the corpus keeps every candidate, and each rewritten file parses', async () => {
    for (const [name, text] of await corpus()) {
      const upgraded = await upgradeOnEngine(text, v3.parse);
      expect([name, upgraded.text, upgraded.refusal]).toEqual([name, upgradeScript(text).text, undefined]);
    }
  });

  it('a statement SurrealDB 3 accepts is never rewritten: a folder that parses comes out the same', async () => {
    // Names that hold the renamed text, in every place but a call of the built-in.
    const text =
      'DEFINE FUNCTION fn::acl::is::admin($u: string) { RETURN $u = "root"; };\n' +
      'DEFINE FUNCTION fn::legacy::type::thing($t: string) { RETURN $t; };\n' +
      "RETURN fn::acl::is::admin('x') AND fn::legacy::type::thing('type::thing(1)') = 'a'; -- type::is::string(1)\n";
    expect(await v3.parse(text)).toBeUndefined();
    expect(await upgradeOnEngine(text, v3.parse)).toEqual({ text, rewrites: [], refusal: undefined });
  });

  it('a candidate after another refusal in its statement is left; one before it is kept', async () => {
    const after = 'RETURN [1 2, type::is::string(1)];';
    expect(await upgradeOnEngine(after, v3.parse)).toEqual({ text: after, rewrites: [], refusal: undefined });

    const before = 'RETURN [type::is::string(1), 1 2];';
    const kept = await upgradeOnEngine(before, v3.parse);
    expect(kept.text).toBe('RETURN [type::is_string(1), 1 2];');
    // The whole rewritten file is parsed again: what is left is reported, with its place.
    expect(kept.refusal).toMatchObject({ line: 1, column: 31, message: expect.stringContaining('Unexpected token') });
  });

  it('a rewrite the target refuses as well is not kept', async () => {
    // `record<object>` is a record of the table `object`: FLEXIBLE is no more valid after it.
    const text = 'DEFINE FIELD f ON t FLEXIBLE TYPE record<object>;';
    expect(upgradeScript(text).rules).toEqual(['flexible-placement']);
    expect(await upgradeOnEngine(text, v3.parse)).toEqual({ text, rewrites: [], refusal: undefined });
  });

  it('keeps every candidate of a statement, and each statement on its own', async () => {
    const text =
      'RETURN 1 2;\n' +
      'RETURN type::is::string(1) AND time::from::secs(1) > d"2020-01-01" AND rand::guid() != "";\n' +
      'DEFINE FIELD f ON t FLEXIBLE TYPE option<object> ASSERT type::is::object($value) OR $value = NONE;\n';
    const upgraded = await upgradeOnEngine(text, v3.parse);
    expect(upgraded.text).toBe(
      'RETURN 1 2;\n' +
        'RETURN type::is_string(1) AND time::from_secs(1) > d"2020-01-01" AND rand::id() != "";\n' +
        'DEFINE FIELD f ON t TYPE option<object> FLEXIBLE ASSERT type::is_object($value) OR $value = NONE;\n',
    );
    expect(upgraded.rewrites).toEqual([
      { rule: 'renamed-function', line: 2, column: 8, from: 'type::is::string', to: 'type::is_string' },
      { rule: 'renamed-function', line: 2, column: 32, from: 'time::from::secs', to: 'time::from_secs' },
      { rule: 'renamed-function', line: 2, column: 72, from: 'rand::guid', to: 'rand::id' },
      {
        rule: 'flexible-placement',
        line: 3,
        column: 21,
        from: 'FLEXIBLE TYPE option<object>',
        to: 'TYPE option<object> FLEXIBLE',
      },
      { rule: 'renamed-function', line: 3, column: 57, from: 'type::is::object', to: 'type::is_object' },
    ]);
    expect(upgraded.refusal).toMatchObject({ line: 1, column: 10 });
  });

  it('names each rewrite by line and column as discovery reads the file, and keeps its BOM and CRLF', async () => {
    const text = '\uFEFF-- é\r\nRETURN ["😀", Type::Is::String(1)];\r\n';
    const upgraded = await upgradeOnEngine(text, v3.parse);
    expect(upgraded).toEqual({
      text: '\uFEFF-- é\r\nRETURN ["😀", type::is_string(1)];\r\n',
      rewrites: [{ rule: 'renamed-function', line: 2, column: 14, from: 'Type::Is::String', to: 'type::is_string' }],
      refusal: undefined,
    });
  });
});
