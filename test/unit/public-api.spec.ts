import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as publicApi from '../../src/index.js';
import { repoRoot } from '../support/child.js';

/** What the package exports is decided here, not by whatever a module happens to export. */
describe('the public API', () => {
  it('exports the runtime values it means to, and nothing internal', () => {
    const names = Object.keys(publicApi).sort();
    expect(names).not.toContain('resolveOptions');
    expect(names).not.toContain('RunnerCore');
    expect(names).toEqual(
      expect.arrayContaining(['MigrationManager', 'MigrationRunner', 'MigrationsModule', 'MigrationEvents']),
    );
  });

  it('declares MigrationRunner as a facade: its four methods, no internal member', () => {
    // `npm test` builds first (pretest).
    const declarations = readFileSync(path.join(repoRoot, 'dist', 'core', 'runner', 'migration-runner.d.ts'), 'utf8');
    const runner = /export declare class MigrationRunner \{([\s\S]*?)\n\}/.exec(declarations)?.[1] ?? '';
    const members = [...runner.matchAll(/^ {4}(\w+)\(/gm)].map((m) => m[1]).sort();
    expect(members).toEqual(['constructor', 'runAll', 'runOneDown', 'runOneUp', 'stop']);
    const index = readFileSync(path.join(repoRoot, 'dist', 'index.d.ts'), 'utf8');
    for (const type of ['MigrationSettings', 'MigrationFailureContext']) expect(index).toContain(type);
    for (const type of ['ResolvedMigrationsOptions', 'resolveOptions', 'RunnerCore']) expect(index).not.toContain(type);
    expect(declarations).not.toMatch(/@internal/);
  });
});
