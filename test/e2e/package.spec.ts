import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/child.js';

const run = promisify(execFile);

describe('the published package', () => {
  it('packs the built library, its subpaths and the bin, and leaves the demo out', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot });
    const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/testing/index.js',
        'dist/health/index.js',
        'dist/cli/surreal-migrate.js',
      ]),
    );
    expect(files.filter((f) => /^dist\/(demo\/|main\.)|\.map$|^src\/|^test\//.test(f))).toEqual([]);
    const bin = await readFile(path.join(repoRoot, 'dist/cli/surreal-migrate.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('resolves every entry of the exports map by the package name', async () => {
    // A package can import itself by name through its own exports map, as an installing app would.
    const script = `
      const main = await import('nestjs-surrealdb-migrations');
      const testing = await import('nestjs-surrealdb-migrations/testing');
      const health = await import('nestjs-surrealdb-migrations/health');
      console.log(JSON.stringify({
        main: ['MigrationsModule', 'MigrationManager', 'MigrationRunner', 'MigrationEvents', 'MigrationError', 'MIGRATIONS_OPTIONS', 'DEFAULT_TABLE'].filter((k) => !(k in main)),
        testing: typeof testing.createMigratedDatabase,
        health: typeof health.MigrationsHealthIndicator,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot });
    expect(JSON.parse(stdout)).toEqual({ main: [], testing: 'function', health: 'function' });
  });
});
