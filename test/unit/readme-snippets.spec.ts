import { checkSnippets, documentationSnippets, extractSnippets, type Snippet } from '../support/readme-snippets.js';

/**
 * The TypeScript examples of the README and of the guides in `docs/` are compiled against this
 * repository's sources, so that the documentation cannot drift from the API. A fragment that cannot
 * stand on its own is marked `<!-- snippet: skip: why -->` on the line before its fence.
 */
describe('README snippets', () => {
  it('extracts ```ts blocks with their README line, and honours the skip marker', () => {
    const markdown = [
      '# Title', // 1
      '```sh', // 2
      'npm test', // 3
      '```', // 4
      '```ts', // 5
      'const a = 1;', // 6
      '```', // 7
      '<!-- snippet: skip: a fragment of a class -->', // 8
      '', // 9
      '```ts', // 10
      'foo();', // 11
      '```', // 12
      '```', // 13
      'not ts', // 14
      '```', // 15
      '```ts', // 16
      'const b = 2;', // 17
      '```', // 18
    ].join('\n');
    expect(extractSnippets(markdown)).toEqual<Snippet[]>([
      { line: 6, code: 'const a = 1;', skip: false },
      { line: 11, code: 'foo();', skip: { reason: 'a fragment of a class' } },
      { line: 17, code: 'const b = 2;', skip: false },
    ]);
  });

  it('reports a broken snippet at its README line', async () => {
    const [ok, broken] = extractSnippets(
      [
        '```ts',
        "MigrationsModule.forRoot({ url: 'mem://', namespace: 'a', database: 'a' });",
        '```',
        'text',
        '```ts',
        '',
        "MigrationsModule.forRoot({ url: 'mem://', directry: 'x' });",
        '```',
      ].join('\n'),
    );
    const results = await checkSnippets([ok!, broken!]);
    expect(results.get(0)).toEqual([]);
    expect(results.get(1)).toEqual([
      expect.objectContaining({ line: 7, message: expect.stringMatching(/TS\d+: .*'directry' does not exist/) }),
    ]);
  }, 120_000);

  it('compiles a block marked `snippet: module` as that file, which the other blocks import', async () => {
    const snippets = extractSnippets(
      [
        '<!-- snippet: module db-types.ts -->',
        '```ts',
        'export type Account = { name: string };',
        '```',
        '```ts',
        "import type { Account } from './db-types.js';",
        "export const a: Account = { name: 'Ada' };",
        '```',
        '```ts',
        "import type { Account } from './db-types.js';",
        'export const b: Account = { name: 1 };',
        '```',
      ].join('\n'),
    );
    expect(snippets.map((s) => s.module)).toEqual(['db-types.ts', undefined, undefined]);
    const results = await checkSnippets(snippets);
    expect([results.get(0), results.get(1)]).toEqual([[], []]);
    expect(results.get(2)).toEqual([expect.objectContaining({ line: 11, message: expect.stringMatching(/TS2322/) })]);
  }, 120_000);

  it('type-checks every ```ts block of README.md and docs/*.md that is not marked skip', async () => {
    const snippets = await documentationSnippets();
    const checked = snippets.filter((s) => !s.skip);
    // The README and the guides have several; an extraction that found none would pass vacuously.
    expect(checked.length).toBeGreaterThanOrEqual(6);
    // The README keeps its smallest example, and the guides moved out of it keep theirs.
    expect(checked.filter((s) => s.file === 'README.md').length).toBeGreaterThanOrEqual(1);
    expect(new Set(checked.map((s) => s.file)).size).toBeGreaterThanOrEqual(4);
    const results = await checkSnippets(snippets);
    const failures = [...results].flatMap(([index, diagnostics]) =>
      diagnostics.map(
        (d) =>
          `${snippets[index]!.file}:${d.line}:${d.column} (snippet at line ${snippets[index]!.line}): ${d.message}`,
      ),
    );
    expect(failures).toEqual([]);
  }, 120_000);
});
