import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../support/child.js';
import { brokenLink, headingAnchors, relativeLinks } from '../support/markdown-links.js';
import { documentationFiles } from '../support/readme-snippets.js';

/** The README is a door to the guides: every relative link of the Markdown files must lead somewhere. */
describe('documentation links', () => {
  it('finds relative links outside code, and anchors as GitHub makes them', () => {
    const markdown = [
      '# Command line: `surreal-migrate`',
      'See [options](docs/options.md), [here](#many-tenants) and [the web](https://example.com).',
      '```sh',
      'echo [not](a-link.md)',
      '```',
      '## Many tenants',
      '## Many tenants',
    ].join('\n');
    expect(relativeLinks('README.md', markdown)).toEqual([
      { file: 'README.md', line: 2, target: 'docs/options.md' },
      { file: 'README.md', line: 2, target: '#many-tenants' },
    ]);
    expect([...headingAnchors(markdown)]).toEqual(['command-line-surreal-migrate', 'many-tenants', 'many-tenants-1']);
  });

  it('reports a link to a missing file or heading', async () => {
    await expect(brokenLink({ file: 'README.md', line: 1, target: 'docs/nowhere.md' })).resolves.toBe(
      'no such file or folder',
    );
    await expect(brokenLink({ file: 'docs/cli.md', line: 1, target: '../README.md#no-such-heading' })).resolves.toBe(
      'no heading #no-such-heading in README.md',
    );
    await expect(brokenLink({ file: 'docs/cli.md', line: 1, target: '../README.md' })).resolves.toBeUndefined();
  });

  it('leads every relative link of README.md, CONTRIBUTING.md, CHANGELOG.md and docs/ somewhere', async () => {
    const files = [...(await documentationFiles()), 'CONTRIBUTING.md', 'CHANGELOG.md'];
    const links = [];
    for (const file of files) links.push(...relativeLinks(file, await readFile(path.join(repoRoot, file), 'utf8')));
    // The README links to every guide; an extraction that found none would pass vacuously.
    expect(links.filter((l) => l.file === 'README.md' && l.target.startsWith('docs/')).length).toBeGreaterThan(10);
    const broken: string[] = [];
    for (const link of links) {
      const why = await brokenLink(link);
      if (why) broken.push(`${link.file}:${link.line}: ${link.target}: ${why}`);
    }
    expect(broken).toEqual([]);
  });

  it('links every guide of docs/ from the README', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const linked = new Set(relativeLinks('README.md', readme).map((l) => l.target.split('#')[0]));
    const guides = (await documentationFiles()).filter((f) => /^docs\/[^/]+\.md$/.test(f));
    expect(guides.filter((g) => !linked.has(g))).toEqual([]);
  });

  it('names every file of src/core in docs/architecture.md, under its layer, and the layers in the enforced order', async () => {
    const doc = await readFile(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
    const core = path.join(repoRoot, 'src/core');
    const onDisk: string[] = [];
    for (const layer of await readdir(core)) {
      for (const file of await readdir(path.join(core, layer)))
        if (file.endsWith('.ts')) onDisk.push(`${layer}/${file}`);
    }
    const listed: string[] = [];
    let layer: string | undefined;
    for (const line of doc.split('\n')) {
      const heading = /^core\/([a-z]+)\/$/.exec(line);
      if (heading) layer = heading[1];
      const file = /^ {2}([a-z0-9-]+\.ts) /.exec(line);
      if (file && layer) listed.push(`${layer}/${file[1]}`);
    }
    expect(onDisk.length).toBeGreaterThan(50);
    expect([...listed].sort()).toEqual([...onDisk].sort());
    // The table of layers, in the order .dependency-cruiser.cjs enforces.
    const table = [...doc.matchAll(/^\| `([a-z]+)\/` +\|/gm)].map((m) => m[1]);
    const config = createRequire(import.meta.url)(path.join(repoRoot, '.dependency-cruiser.cjs')) as {
      forbidden: { name: string }[];
    };
    const enforced = config.forbidden.map((r) => /^core-layer-(.+)$/.exec(r.name)?.[1]).filter(Boolean);
    expect(table.slice(0, -1)).toEqual(enforced);
    expect(table.at(-1)).toBe('manager');
  });
});
