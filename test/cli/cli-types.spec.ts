/**
 * `surreal-migrate types [--out <file>] [--check <file>]`: the folder's tables as a TypeScript
 * module, built on the suite's engine (`--surrealdb 2` on SurrealDB 2), with no database of the
 * user's (SURREAL_URL points nowhere).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SURREALDB } from '../support/engine.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { prettierTs, typeCheck } from '../support/type-check.js';
import { runCli } from './cli-harness.js';

/** The offline commands judge by the suite's engine: `--surrealdb 2` on SurrealDB 2. */
const JUDGE = SURREALDB === 2 ? ['--surrealdb', '2'] : [];
/** Each CLI run on SurrealDB 2 loads its wasm engine anew, about twice as slow as 3's. */
const MANY_RUNS = SURREALDB === 2 ? 180_000 : 60_000;
/** No database: an offline command never opens SURREAL_URL. */
const NO_DB = { SURREAL_URL: 'ws://127.0.0.1:9/rpc' };

const FOLDER = {
  '0001_accounts.surql': [
    'DEFINE TABLE account SCHEMAFULL;',
    'DEFINE FIELD name ON account TYPE string;',
    'DEFINE FIELD balance ON account TYPE int DEFAULT 0;',
    'DEFINE FIELD tags ON account TYPE set<string>;',
    'DEFINE FIELD created_at ON account TYPE datetime DEFAULT time::now() READONLY;',
    '',
  ].join('\n'),
  '0001_accounts.down.surql': 'REMOVE TABLE account;\n',
  '0002_members.surql': [
    'DEFINE TABLE project_member SCHEMAFULL;',
    'DEFINE FIELD account ON project_member TYPE record<account>;',
    'DEFINE FIELD role ON project_member TYPE "owner" | "member";',
    'DEFINE FIELD nick ON project_member TYPE option<string>;',
    '',
  ].join('\n'),
  '0002_members.down.surql': 'REMOVE TABLE project_member;\n',
};

describe(`surreal-migrate types (SurrealDB ${SURREALDB})`, () => {
  let folder: TempMigrations | undefined;
  afterEach(async () => {
    await folder?.dispose();
    folder = undefined;
  });

  /** A project of FOLDER: the CLI runs in its root, on its `migrations/`. */
  async function project(): Promise<{ root: string; run: (args: string[]) => ReturnType<typeof runCli> }> {
    folder = await tempMigrations(FOLDER);
    const root = path.dirname(folder.dir);
    return { root, run: (args) => runCli(root, ['types', ...JUDGE, ...args], NO_DB) };
  }

  it(
    'prints the module on stdout, for the engine that built the schema, the same bytes every run',
    async () => {
      const p = await project();
      const first = await p.run(['--no-schema-cache']);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const text = first.stdout;
      expect(text.split('\n')[0]).toBe(
        `// The tables of a SurrealDB ${SURREALDB} schema as the surrealdb SDK returns their records. Generated; do not edit.`,
      );
      expect(text).toContain(
        [
          "/** The records of the table 'account' (SCHEMAFULL). */",
          'export type Account = {',
          "  id: RecordId<'account'>;",
          '  balance: number;',
          '  /** READONLY: set when the record is created, never changed. */',
          '  readonly created_at: DateTime;',
          '  name: string;',
          // A set is a JS Set on SurrealDB 3, an array on 2.
          `  tags: ${SURREALDB === 3 ? 'Set<string>' : 'string[]'};`,
          '};',
        ].join('\n'),
      );
      expect(text).toContain("export type ProjectMember = {\n  id: RecordId<'project_member'>;\n");
      expect(text).toContain("  role: 'owner' | 'member';\n");
      expect(text).toContain('export type Tables = {\n  account: Account;\n  project_member: ProjectMember;\n};\n');
      // Again on a new shadow, then kept, then from what was kept: the same bytes.
      expect((await p.run(['--no-schema-cache'])).stdout).toBe(text);
      expect((await p.run([])).stdout).toBe(text);
      expect((await p.run([])).stdout).toBe(text);
    },
    MANY_RUNS,
  );

  it(
    'writes a module that passes tsc --strict and Prettier, and the SDK takes its types',
    async () => {
      const p = await project();
      const text = (await p.run([])).stdout;
      expect(await prettierTs(text)).toBe(text);
      const use = [
        "import { RecordId, Table, type Surreal } from 'surrealdb';",
        "import type { Account, AccountCreate, ProjectMember, Tables } from './db-types.js';",
        'declare const db: Surreal;',
        "export const all: Promise<Account[]> = db.select<Account>(new Table('account'));",
        "const input: AccountCreate = { name: 'Ada', tags: " + (SURREALDB === 3 ? 'new Set([])' : '[]') + ' };',
        "export const made: Promise<Account[]> = db.create<Account>(new Table('account')).content(input);",
        "export const owner: Tables['project_member']['role'] = 'owner';",
        '// @ts-expect-error a role the literal union does not have',
        "export const guest: ProjectMember['role'] = 'guest';",
        '// @ts-expect-error the name is required',
        'export const nameless: AccountCreate = { tags: input.tags };',
        "// @ts-expect-error READONLY: a record's created_at is not assigned",
        'export function touch(a: Account): void { a.created_at = a.created_at; }',
        "export const link: RecordId<'account'> = new RecordId('account', 'ada');",
        '',
      ].join('\n');
      expect(await typeCheck({ 'db-types.ts': text, 'use.ts': use })).toEqual([]);
    },
    MANY_RUNS,
  );

  it(
    '--out writes what stdout prints; --check exits 0 when it is current, 4 when missing or stale, never writing',
    async () => {
      const p = await project();
      const printed = (await p.run([])).stdout;
      const file = path.join(p.root, 'db-types.ts');

      const missing = await p.run(['--check', 'db-types.ts']);
      expect(missing.code).toBe(4);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toBe('db-types.ts is missing: write it with `surreal-migrate types --out db-types.ts`.\n');
      const missingJson = await p.run(['--check', 'db-types.ts', '--json']);
      expect(missingJson.code).toBe(4);
      expect(missingJson.json()).toEqual({
        ok: false,
        command: 'types',
        file: 'db-types.ts',
        upToDate: false,
        error: { code: 'TYPES_STALE' },
      });

      const out = await p.run(['--out', 'db-types.ts']);
      expect([out.code, out.stdout, out.stderr]).toEqual([0, 'Wrote db-types.ts.\n', '']);
      expect(await readFile(file, 'utf8')).toBe(printed);
      expect((await p.run(['--out', 'db-types.ts', '--json'])).json()).toEqual({
        ok: true,
        command: 'types',
        file: 'db-types.ts',
      });

      const current = await p.run(['--check', 'db-types.ts']);
      expect([current.code, current.stdout, current.stderr]).toEqual([0, 'db-types.ts is up to date.\n', '']);
      expect((await p.run(['--check', 'db-types.ts', '--json'])).json()).toEqual({
        ok: true,
        command: 'types',
        file: 'db-types.ts',
        upToDate: true,
      });

      // A new migration: the file is stale until written again; --check leaves it as it was.
      await folder!.write('0003_emails.surql', 'DEFINE FIELD email ON account TYPE option<string>;\n');
      const stale = await p.run(['--check', 'db-types.ts']);
      expect(stale.code).toBe(4);
      expect(stale.stderr).toBe('db-types.ts is stale: write it with `surreal-migrate types --out db-types.ts`.\n');
      expect(await readFile(file, 'utf8')).toBe(printed);
      // A hand edit is stale too.
      await writeFile(file, printed.replace('name: string;', 'name: string | null;'));
      await folder!.remove('0003_emails.surql');
      expect((await p.run(['--check', 'db-types.ts'])).code).toBe(4);
      expect((await p.run(['--out', 'db-types.ts'])).code).toBe(0);
      expect((await p.run(['--check', 'db-types.ts'])).code).toBe(0);
    },
    MANY_RUNS,
  );

  it(
    '--json prints one document with the module',
    async () => {
      const p = await project();
      const text = (await p.run([])).stdout;
      const run = await p.run(['--json']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.json()).toEqual({ ok: true, command: 'types', types: text });
    },
    MANY_RUNS,
  );

  it(
    'a migration that fails: exit 1 with its file and line, as `up` would meet it, and nothing on stdout',
    async () => {
      const p = await project();
      await folder!.write(
        '0003_broken.surql',
        'DEFINE TABLE ok SCHEMALESS;\nDEFINE FIELD x ON account TYPE nosuchkind;\n',
      );
      const run = await p.run(['--out', 'db-types.ts']);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('0003_broken.surql:2');
      const json = await p.run(['--json']);
      expect(json.json()).toMatchObject({ ok: false, command: 'types', error: { code: 'MIGRATION_FAILED' } });
    },
    MANY_RUNS,
  );

  it('is in --help', async () => {
    const p = await project();
    const help = await runCli(p.root, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('\n  types [--out <file>] [--check <file>]\n');
    expect(help.stdout).toContain('schema/types --check: the file is stale');
  });

  posixIt(
    '--check and --out refuse a path that is not a regular file, by name, and open none',
    async () => {
      const p = await project();
      const fifo = guardedFifo(path.join(p.root, 'db-types.ts'));
      try {
        for (const args of [
          ['--check', 'db-types.ts'],
          ['--out', 'db-types.ts'],
        ]) {
          const run = await p.run(args);
          expect([args, run.code, run.stdout]).toEqual([args, 1, '']);
          expect(run.stderr).toContain(
            'error: Cannot load the types from db-types.ts:\n  - db-types.ts: is a named pipe (FIFO), not a regular ' +
              'file; the types file must be a regular file (or a symbolic link to one); remove it, or give another path.',
          );
        }
      } finally {
        await fifo.release();
      }
    },
    MANY_RUNS,
  );
});
