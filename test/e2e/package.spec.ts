import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

  it('declares what it needs: lean dependencies, peers, engines', async () => {
    const manifest = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
    expect(manifest.dependencies).toEqual({ ws: expect.any(String) });
    expect(manifest.peerDependencies).toMatchObject({ surrealdb: '^2.0.8', '@surrealdb/node': expect.any(String) });
    expect(manifest.peerDependenciesMeta).toMatchObject({ '@surrealdb/node': { optional: true } });
    // npm start and npm test on a fresh machine need both.
    expect(manifest.devDependencies).toMatchObject({
      surrealdb: expect.any(String),
      '@surrealdb/node': expect.any(String),
    });
    // require(esm), unflagged since Node 20.19 and 22.12.
    expect(manifest.engines.node).toBe('^20.19.0 || >=22.12.0');
  });
});

interface Manifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  engines: { node: string };
}

/*
 * The tarball `npm pack` makes, installed into two apps in a temporary folder: a CommonJS one
 * without the embedded engine (a remote-only, lean install) and an ESM one with it. Nothing is
 * downloaded: npm runs --offline on an empty cache, and the peers are `file:` links to this
 * repository's node_modules. --legacy-peer-deps: npm's arborist fails placing peers onto links
 * ("Cannot read properties of null (reading 'matches')"), and the links already provide them.
 */
const FIXTURE = path.join(repoRoot, 'test/e2e/fixtures/demo-migrations');
const TSC = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
const PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/terminus',
  'reflect-metadata',
  'rxjs',
  'surrealdb',
  'ws',
  '@types/node',
];

/** A Nest app that imports every entry point; its types fail to check if any resolved to `any`. */
const APP_TS = `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MigrationManager, MigrationOptionsError, MigrationsModule, type MigrationStatus } from 'nestjs-surrealdb-migrations';
import { createMigratedDatabase, type MigratedDatabase } from 'nestjs-surrealdb-migrations/testing';
import { MigrationsHealthIndicator } from 'nestjs-surrealdb-migrations/health';

/** Never called: only checked. */
export function typeChecks(): unknown[] {
  // @ts-expect-error forRoot takes options, not a number
  const module = MigrationsModule.forRoot(42);
  // @ts-expect-error the kit's options have no url
  const database = createMigratedDatabase({ url: 'mem://' });
  const kit: (options?: { directory?: string }) => Promise<MigratedDatabase> = createMigratedDatabase;
  // @ts-expect-error the indicator is a class, not a number
  const indicator: InstanceType<typeof MigrationsHealthIndicator> = 42;
  return [module, database, kit, indicator];
}

@Module({
  imports: [
    MigrationsModule.forRoot({
      url: process.env.SURREAL_URL as string,
      namespace: 'app',
      database: 'app',
      directory: process.env.MIGRATIONS_DIR as string,
      logger: false,
    }),
  ],
})
class AppModule {}

function report(value: object): void {
  process.stdout.write(JSON.stringify(value) + '\\n', () => process.exit(0));
}

async function main(): Promise<void> {
  try {
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    const status: MigrationStatus = await app.get(MigrationManager).status();
    await app.close();
    report({ ok: true, current: status.currentVersion, pending: status.pending.length });
  } catch (error) {
    const e = error as MigrationOptionsError;
    const optionsError = error instanceof MigrationOptionsError;
    report({ ok: false, optionsError, name: e.name, code: e.code, field: e.field, message: e.message });
  }
}
void main();
`;

const ENTRIES = `{
  main: ['MigrationsModule', 'MigrationManager', 'MigrationRunner', 'MigrationEvents', 'MigrationError', 'MigrationOptionsError', 'MIGRATIONS_OPTIONS', 'DEFAULT_TABLE'].filter((k) => !(k in main)),
  testing: typeof testing.createMigratedDatabase,
  health: typeof health.MigrationsHealthIndicator,
}`;

const ENTRIES_CJS = `const main = require('nestjs-surrealdb-migrations');
const testing = require('nestjs-surrealdb-migrations/testing');
const health = require('nestjs-surrealdb-migrations/health');
const { version } = require('nestjs-surrealdb-migrations/package.json');
console.log(JSON.stringify({ ...${ENTRIES}, version, from: require.resolve('nestjs-surrealdb-migrations') }));
`;

const ENTRIES_ESM = `const main = await import('nestjs-surrealdb-migrations');
const testing = await import('nestjs-surrealdb-migrations/testing');
const health = await import('nestjs-surrealdb-migrations/health');
console.log(JSON.stringify({ ...${ENTRIES}, from: import.meta.resolve('nestjs-surrealdb-migrations') }));
`;

/** A CommonJS app's own client: errors from the SDK's CommonJS build, other classes than the ESM one's. */
const CJS_CLIENT = `const { Surreal } = require('surrealdb');
const { MigrationManager } = require('nestjs-surrealdb-migrations');
(async () => {
  const manager = await MigrationManager.create({ client: new Surreal(), directory: process.env.MIGRATIONS_DIR, logger: false });
  const error = await manager.status().then(() => undefined, (e) => e);
  console.log(JSON.stringify({ name: error?.name, code: error?.code }));
  process.exit(0);
})();
`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, whatever its exit code. */
function spawnResult(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

describe('the packed package, installed into apps', () => {
  let root: string;
  let cjs: string;
  let esm: string;

  async function consumer(name: string, type: 'commonjs' | 'module', links: string[], tarball: string) {
    const dir = path.join(root, name);
    await mkdir(dir);
    const dependencies = Object.fromEntries([
      ['nestjs-surrealdb-migrations', `file:${tarball}`],
      ...links.map((link) => [link, `file:${path.join(repoRoot, 'node_modules', link)}`]),
    ]);
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type, dependencies }));
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--cache',
        path.join(root, 'empty-npm-cache'),
        '--legacy-peer-deps',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
      ],
      { cwd: dir },
    );
    await writeFile(path.join(dir, 'app.ts'), APP_TS);
    return dir;
  }

  /**
   * Writes a tsconfig for one resolution mode and type-checks (and emits) app.ts with this repo's
   * tsc. `libCheck`: the package's declarations are checked too, not only what app.ts sees of them
   * (about 3 s more, for Nest's own declarations).
   */
  async function typecheck(
    dir: string,
    name: string,
    module: string,
    moduleResolution: string,
    libCheck: boolean,
  ): Promise<Result> {
    const compilerOptions = {
      target: 'ES2022',
      module,
      moduleResolution,
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      types: ['node'],
      // node10 resolution is deprecated in TypeScript 6.
      ignoreDeprecations: '6.0',
      skipLibCheck: !libCheck,
      outDir: `out-${name}`,
    };
    await writeFile(path.join(dir, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
    return spawnResult(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], dir);
  }

  let checks: Promise<Record<string, Result>>;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sbl-package-'));
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', root], {
      cwd: repoRoot,
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    const tarball = path.join(root, filename);
    [cjs, esm] = await Promise.all([
      consumer('cjs-app', 'commonjs', PEERS, tarball),
      consumer('esm-app', 'module', [...PEERS, '@surrealdb/node'], tarball),
    ]);
    // Started together; each test awaits the ones it reads.
    // The declarations are checked in full under node10 (typesVersions, the main `types`) and node16
    // (the exports map, ESM rules); nodenext and bundler read the same files through the same map.
    const entries = [
      ['cjs-node10', typecheck(cjs, 'node10', 'commonjs', 'node10', true)],
      // A CommonJS file that imports ESM (Nest 12 itself is ESM): nodenext allows it, node16 does not.
      ['cjs-nodenext', typecheck(cjs, 'nodenext', 'nodenext', 'nodenext', false)],
      ['esm-node16', typecheck(esm, 'node16', 'node16', 'node16', true)],
      ['esm-bundler', typecheck(esm, 'bundler', 'esnext', 'bundler', false)],
    ] as const;
    checks = Promise.all(entries.map(async ([name, result]) => [name, await result] as const)).then((results) =>
      Object.fromEntries(results),
    );
    checks.catch(() => {});
  }, 120_000);

  afterAll(async () => {
    await checks?.catch(() => {});
    // KEEP=1 leaves the apps in place to look into.
    if (root && !process.env.KEEP) await rm(root, { recursive: true, force: true });
  });

  it('CommonJS: require() loads every entry point from the installed copy', async () => {
    await writeFile(path.join(cjs, 'entries.cjs'), ENTRIES_CJS);
    const { stdout } = await run(process.execPath, ['entries.cjs'], { cwd: cjs });
    const own = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(stdout)).toEqual({
      main: [],
      testing: 'function',
      health: 'function',
      version: own.version,
      from: path.join(cjs, 'node_modules/nestjs-surrealdb-migrations/dist/index.js'),
    });
  });

  it('ESM: import loads every entry point from the installed copy', async () => {
    await writeFile(path.join(esm, 'entries.mjs'), ENTRIES_ESM);
    const { stdout } = await run(process.execPath, ['entries.mjs'], { cwd: esm });
    expect(JSON.parse(stdout)).toEqual({
      main: [],
      testing: 'function',
      health: 'function',
      from: `file://${path.join(esm, 'node_modules/nestjs-surrealdb-migrations/dist/index.js')}`,
    });
  });

  it.each(['cjs-node10', 'cjs-nodenext', 'esm-node16', 'esm-bundler'])(
    'TypeScript finds the types of every entry point (%s)',
    async (name) => {
      const result = (await checks)[name];
      expect({ code: result?.code, output: `${result?.stdout}${result?.stderr}` }).toEqual({ code: 0, output: '' });
    },
    120_000,
  );

  it('a Nest app compiled to ESM migrates on the embedded engine', async () => {
    expect((await checks)['esm-node16']?.code).toBe(0);
    const result = await spawnResult(process.execPath, ['out-node16/app.js'], esm, {
      SURREAL_URL: 'mem://',
      MIGRATIONS_DIR: FIXTURE,
    });
    expect(lastJson(result.stdout)).toEqual({ ok: true, current: 3, pending: 0 });
  }, 60_000);

  describe('without @surrealdb/node', () => {
    it('is not installed there (the premise)', async () => {
      const script = `import('@surrealdb/node').then(() => console.log('found'), (e) => console.log(e.code))`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: cjs });
      expect(stdout.trim()).toBe('ERR_MODULE_NOT_FOUND');
    });

    it.each(['mem://', 'surrealkv://data/app.db', 'rocksdb://data/app.db'])(
      'a Nest app compiled to CommonJS fails at start-up on %s, saying what to install',
      async (url) => {
        expect((await checks)['cjs-node10']?.code).toBe(0);
        const result = await spawnResult(process.execPath, ['out-node10/app.js'], cjs, {
          SURREAL_URL: url,
          MIGRATIONS_DIR: FIXTURE,
        });
        const scheme = url.slice(0, url.indexOf('://') + 3);
        expect(lastJson(result.stdout)).toEqual({
          ok: false,
          optionsError: true,
          name: 'MigrationOptionsError',
          code: 'INVALID_OPTIONS',
          field: 'url',
          message:
            `Invalid migrations option \`url\`: ${scheme} runs SurrealDB embedded in this process, which needs ` +
            'the optional package @surrealdb/node: install it with `npm install @surrealdb/node`.',
        });
      },
      60_000,
    );

    it('the CLI says so too, as an options error', async () => {
      const bin = path.join(cjs, 'node_modules/.bin/surreal-migrate');
      const result = await spawnResult(
        bin,
        ['status', '--url', 'mem://', '--ns', 'app', '--db', 'app', '--dir', FIXTURE],
        cjs,
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('npm install @surrealdb/node');
      expect(result.stderr).not.toMatch(/Cannot find (package|module)/);
    });
  });

  describe('without @surrealdb/wasm', () => {
    it.each([['status', '--url', 'mem://', '--ns', 'app', '--db', 'app'], ['lint']])(
      '`surreal-migrate %s … --surrealdb 2` says what to install, as an options error',
      async (...command) => {
        const bin = path.join(cjs, 'node_modules/.bin/surreal-migrate');
        const result = await spawnResult(bin, [...command, '--surrealdb', '2', '--dir', FIXTURE], cjs);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('`surrealdb`');
        expect(result.stderr).toContain('npm install @surrealdb/wasm@^2.6');
        expect(result.stderr).not.toMatch(/Cannot find (package|module)/);
      },
    );
  });

  it("a CommonJS app's own client: its connection errors are recognised", async () => {
    await writeFile(path.join(cjs, 'client.cjs'), CJS_CLIENT);
    const { stdout } = await run(process.execPath, ['client.cjs'], {
      cwd: cjs,
      env: { ...process.env, MIGRATIONS_DIR: FIXTURE },
    });
    expect(JSON.parse(stdout)).toEqual({ name: 'DatabaseUnreachableError', code: 'DATABASE_UNREACHABLE' });
  });
});
