import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { CliOutput, TargetGroups, type CliStream } from '../../src/cli/output.js';
import { MigrationManager } from '../../src/index.js';
import { MIGRATION_MARKERS, startCli } from '../support/cli-process.js';
import { guardedFifo, posixIt } from '../support/fifo.js';
import { RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';
import { cliProject, runCli, versions, type CliProject, type CliRun, type JsonDocument } from './cli-harness.js';

/**
 * `surreal-migrate` over many targets (`--targets <file>`, `--all-databases`), as a child process
 * against the project's database holding every tenant (an embedded surrealkv:// file on SurrealDB 3,
 * a relayed SurrealDB 2 that requires the root sign-in on 2). Each describe's steps build on each
 * other and run in order.
 */

const MIGRATIONS = {
  '0001_users.surql': 'DEFINE TABLE user SCHEMAFULL;\nDEFINE FIELD email ON user TYPE string;\n',
  '0001_users.down.surql': 'REMOVE TABLE user;\n',
  '0002_posts.surql': 'DEFINE TABLE post SCHEMALESS;\n',
  '0002_posts.down.surql': 'REMOVE TABLE post;\n',
};

interface Tenant {
  namespace: string;
  database: string;
}

/**
 * The CLI in the project, with only its URL (and its sign-in, when it requires one) in the
 * environment: no namespace or database.
 */
function run(project: CliProject, args: string[]): Promise<CliRun> {
  return runCli(project.root, args, { SURREAL_URL: project.url, ...project.credentials });
}

/** Opens one tenant's database in this process (no CLI may run meanwhile) and closes it after `fn`. */
async function inTenant<T>(project: CliProject, tenant: Tenant, fn: (db: Surreal) => Promise<T>): Promise<T> {
  const manager = await MigrationManager.create({
    url: project.url,
    ...tenant,
    directory: project.migrations,
    ...(project.auth ? { auth: project.auth } : {}),
  });
  try {
    return await fn(manager.db);
  } finally {
    await manager.close();
  }
}

/** Runs SurrealQL in a tenant, failing on any statement's error. */
function sql(project: CliProject, tenant: Tenant, text: string): Promise<void> {
  return inTenant(project, tenant, async (db) => {
    const responses = await db.query(text).responses();
    for (const r of responses) if (!r.success) throw new Error(`${text}: ${String(r.error?.message)}`);
  });
}

/**
 * The versions in each tenant's history ([] when it has none, not even the table), and whether
 * its lock is free, read in one opening of the database.
 */
async function histories(project: CliProject, tenants: readonly Tenant[]): Promise<number[][]> {
  return inTenant(project, tenants[0]!, async (db) => {
    const found: number[][] = [];
    for (const { namespace, database } of tenants) {
      await db.use({ namespace, database });
      const [info] = await db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
      if (!('_sbl_migrations' in info.tables)) {
        found.push([]);
        continue;
      }
      const [rows, lock] = await db.query<[number[], unknown[]]>(
        'SELECT VALUE version FROM _sbl_migrations; SELECT * FROM _sbl_migrations_lock',
      );
      expect({ tenant: `${namespace}/${database}`, lock }).toEqual({ tenant: `${namespace}/${database}`, lock: [] });
      found.push([...rows].sort((a, b) => a - b));
    }
    return found;
  });
}

/** Writes a targets file in the project and returns its name (relative to the project, as given). */
async function targetsFile(project: CliProject, name: string, content: unknown): Promise<string> {
  await writeFile(path.join(project.root, name), typeof content === 'string' ? content : JSON.stringify(content));
  return name;
}

/** The lines of one target's group in the human output: those under its header, unindented. */
function group(stdout: string, name: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf(name);
  if (start === -1) throw new Error(`no group ${name} in:\n${stdout}`);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line !== '' && !line.startsWith('  ')) break;
    body.push(line.slice(2));
  }
  while (body.at(-1) === '') body.pop();
  return body;
}

/** The headers of the human output, in order: the lines that are neither indented, blank nor the summary. */
function headers(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '' && !l.startsWith(' ') && !/^\d+ target\(s\):/.test(l));
}

function keys(doc: JsonDocument): string[] {
  return (doc.targets as Tenant[]).map((t) => `${t.namespace}/${t.database}`);
}

describe('surreal-migrate --targets: tenants in several namespaces', () => {
  let project: CliProject;
  const tenants: Tenant[] = [
    { namespace: 'tenants', database: 'acme' },
    { namespace: 'tenants', database: 'globex' },
    { namespace: 'other', database: 'initech' },
  ];
  let file: string;

  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
    file = await targetsFile(project, 'tenants.json', tenants);
  });
  afterAll(() => project.dispose());

  it('up migrates every tenant, grouped by tenant in the file order, then status --json shows each current', async () => {
    const up = await run(project, ['up', '--targets', file]);
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(headers(up.stdout)).toEqual(['tenants/acme', 'tenants/globex', 'other/initech']);
    for (const name of ['tenants/acme', 'tenants/globex', 'other/initech']) {
      const lines = group(up.stdout, name);
      expect(lines[0]).toMatch(/^applied\s+1\s+users\s+migrations\/0001_users\.surql in /);
      expect(lines[1]).toMatch(/^applied\s+2\s+posts\s+migrations\/0002_posts\.surql in /);
      expect(lines.at(-1)).toBe('Applied 2 migration(s); current version 2.');
    }
    expect(up.stdout).toMatch(/\n\n3 target\(s\): 3 ok, 0 failed, 0 not started\n$/);
    // Each tenant is new: the warning names it, as its own stderr line.
    expect(up.stderr).toMatch(/^\[other\/initech\] warning: The database other\/initech .* is empty/m);
    expect(await histories(project, tenants)).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);

    const status = await run(project, ['status', '--targets', file, '--check', '--json']);
    expect(status.code).toBe(0);
    const doc = status.json();
    expect(doc).toMatchObject({ ok: true, command: 'status', summary: { total: 3, ok: 3, notCurrent: 0 } });
    expect(doc.error).toBeUndefined();
    expect(keys(doc)).toEqual(['tenants/acme', 'tenants/globex', 'other/initech']);
    for (const entry of doc.targets) {
      expect(entry).toMatchObject({
        ok: true,
        state: 'done',
        exitCode: 0,
        currentVersion: 2,
        latestVersion: 2,
        pending: [],
        failed: [],
        lock: null,
        target: { namespace: entry.namespace, database: entry.database, url: project.url },
      });
      expect(versions(entry.applied)).toEqual([1, 2]);
    }

    // Run again: nothing to do anywhere, and no tenant is empty any more.
    const again = await run(project, ['up', '--targets', file, '--json']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.json().targets.map((t: JsonDocument) => [t.state, t.applied, t.currentVersion])).toEqual([
      ['done', [], 2],
      ['done', [], 2],
      ['done', [], 2],
    ]);
  });

  it('drift and validate --drift exit 4 naming the one tenant changed by hand; validate alone passes', async () => {
    await sql(project, tenants[1]!, 'DEFINE FIELD nickname ON user TYPE string;');

    const drift = await run(project, ['drift', '--targets', file]);
    expect(drift.code).toBe(4);
    expect(group(drift.stdout, 'tenants/globex')).toEqual([
      'added    field nickname on user: DEFINE FIELD nickname ON user TYPE string PERMISSIONS FULL',
      '1 object(s) drifted.',
    ]);
    expect(group(drift.stdout, 'tenants/acme')).toEqual([
      'No drift: the schema is what the applied migrations make it.',
    ]);
    expect(drift.stdout).toContain('3 target(s): 2 ok, 1 drifted, 0 failed, 0 not started');
    expect(drift.stderr).toContain('1 of 3 target(s) drifted: tenants/globex.');

    const json = await run(project, ['drift', '--targets', file, '--json']);
    expect(json.code).toBe(4);
    const doc = json.json();
    expect(doc).toMatchObject({
      ok: false,
      command: 'drift',
      summary: { total: 3, ok: 2, drifted: 1, failed: 0, notStarted: 0 },
      error: { code: 'DRIFT', flagged: ['tenants/globex'] },
    });
    expect(doc.targets.map((t: JsonDocument) => [t.database, t.ok, t.exitCode])).toEqual([
      ['acme', true, 0],
      ['globex', false, 4],
      ['initech', true, 0],
    ]);
    expect(doc.targets[1]).toMatchObject({
      error: { code: 'DRIFT' },
      drift: [{ change: 'added', kind: 'field', name: 'nickname', table: 'user' }],
    });

    const validateDrift = await run(project, ['validate', '--drift', '--targets', file, '--json']);
    expect(validateDrift.code).toBe(4);
    expect(validateDrift.json().error).toMatchObject({ code: 'DRIFT', flagged: ['tenants/globex'] });

    const validate = await run(project, ['validate', '--require-current', '--targets', file]);
    expect(validate.code).toBe(0);
    expect(group(validate.stdout, 'other/initech')).toEqual([
      'Valid: the history matches migrations; 0 migration(s) pending.',
    ]);
  });

  it('down rolls back each tenant with the usual selection flags', async () => {
    const down = await run(project, ['down', '--targets', file, '--json']);
    expect(down.code).toBe(0);
    const doc = down.json();
    expect(doc.summary).toEqual({ total: 3, ok: 3, failed: 0, notStarted: 0 });
    for (const entry of doc.targets) {
      expect(entry).toMatchObject({ ok: true, state: 'done', currentVersion: 1 });
      expect(versions(entry.rolledBack)).toEqual([2]);
    }
    expect(await histories(project, tenants)).toEqual([[1], [1], [1]]);

    const all = await run(project, ['down', '--targets', file, '--to', '0', '--concurrency', '2']);
    expect(all.code).toBe(0);
    expect(group(all.stdout, 'tenants/globex')).toEqual([
      expect.stringMatching(/^rolled back\s+1\s+users\s+migrations\/0001_users\.down\.surql in /),
      'Rolled back 1 migration(s); current version 0.',
    ]);
    expect(await histories(project, tenants)).toEqual([[], [], []]);
  });
});

describe('surreal-migrate --targets: names that hold a `/`', () => {
  let project: CliProject;
  // Both read `a/b/c` when written as namespace/database: each must still be a target of its own.
  const tenants: Tenant[] = [
    { namespace: 'a/b', database: 'c' },
    { namespace: 'a', database: 'b/c' },
  ];
  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
  });
  afterAll(() => project.dispose());

  it('migrates and reports each, in the list order', async () => {
    const file = await targetsFile(project, 'slashes.json', tenants);
    const up = await run(project, ['up', '--targets', file, '--json']);
    expect(up.code).toBe(0);
    expect(up.json().targets.map((t: Tenant & { state: string }) => [t.namespace, t.database, t.state])).toEqual([
      ['a/b', 'c', 'done'],
      ['a', 'b/c', 'done'],
    ]);
    expect(await histories(project, tenants)).toEqual([
      [1, 2],
      [1, 2],
    ]);
    // The text too: two groups, each with its own lines.
    const status = await run(project, ['status', '--targets', file]);
    expect(status.code).toBe(0);
    expect(headers(status.stdout)).toEqual(['a/b/c', 'a/b/c']);
    expect(status.stdout).toMatch(/\n\n2 target\(s\): 2 ok, 0 not current, 0 failed, 0 not started\n$/);
  });
});

describe('surreal-migrate --all-databases', () => {
  let project: CliProject;

  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
    await sql(
      project,
      { namespace: 'fleet', database: 'one' },
      'DEFINE DATABASE IF NOT EXISTS one; DEFINE DATABASE two; DEFINE DATABASE three;',
    );
    await sql(project, { namespace: 'elsewhere', database: 'kept' }, 'DEFINE TABLE untouched SCHEMALESS;');
  });
  afterAll(() => project.dispose());

  it('covers every database of --ns, in name order, and nothing outside it', async () => {
    const before = await run(project, ['status', '--all-databases', '--ns', 'fleet', '--check', '--json']);
    expect(before.code).toBe(4);
    const pending = before.json();
    expect(keys(pending)).toEqual(['fleet/one', 'fleet/three', 'fleet/two']);
    expect(pending).toMatchObject({
      ok: false,
      summary: { total: 3, ok: 0, notCurrent: 3, failed: 0, notStarted: 0 },
      error: { code: 'CHECK_FAILED', flagged: ['fleet/one', 'fleet/three', 'fleet/two'] },
    });
    for (const entry of pending.targets) {
      expect(entry).toMatchObject({ ok: false, exitCode: 4, currentVersion: 0, error: { code: 'CHECK_FAILED' } });
      expect(versions(entry.pending)).toEqual([1, 2]);
    }

    const up = await run(project, ['up', '--all-databases', '--ns', 'fleet']);
    expect(up.code).toBe(0);
    expect(headers(up.stdout)).toEqual(['fleet/one', 'fleet/three', 'fleet/two']);

    // The namespace may come from the environment too.
    const after = await runCli(project.root, ['status', '--all-databases', '--check', '--json'], {
      ...project.credentials,
      SURREAL_URL: project.url,
      SURREAL_NAMESPACE: 'fleet',
      SURREAL_DATABASE: 'ignored',
    });
    expect(after.code).toBe(0);
    expect(after.json()).toMatchObject({ ok: true, summary: { total: 3, ok: 3, notCurrent: 0 } });
    expect(keys(after.json())).toEqual(['fleet/one', 'fleet/three', 'fleet/two']);
    const fleet = ['one', 'two', 'three'].map((database) => ({ namespace: 'fleet', database }));
    expect(await histories(project, [...fleet, { namespace: 'elsewhere', database: 'kept' }])).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
      [],
    ]);
  });

  it('needs a namespace', async () => {
    const missing = await run(project, ['status', '--all-databases', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json()).toMatchObject({
      ok: false,
      command: 'status',
      error: { code: 'USAGE', message: expect.stringContaining('--all-databases needs --ns') },
    });
  });
});

describe('surreal-migrate --targets: tenants whose database does not exist yet', () => {
  let project: CliProject;
  const kept: Tenant = { namespace: 'there', database: 'kept' };
  /** A new database in a namespace that exists, and one in a namespace that does not. */
  const absent: Tenant[] = [
    { namespace: 'there', database: 'absent' },
    { namespace: 'nowhere', database: 'absent' },
  ];
  let file: string;

  /** The databases of `there` and the namespaces, read in kept (which exists) after the CLI exited. */
  function listing(): Promise<{ there: string[]; namespaces: string[] }> {
    return inTenant(project, kept, async (db) => {
      const [ns, root] =
        await db.query<[{ databases: Record<string, string> }, { namespaces: Record<string, string> }]>(
          'INFO FOR NS; INFO FOR ROOT',
        );
      return { there: Object.keys(ns.databases).sort(), namespaces: Object.keys(root.namespaces).sort() };
    });
  }

  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
    const up = await run(project, ['up', '--targets', await targetsFile(project, 'kept.json', [kept])]);
    expect(up.code).toBe(0);
    file = await targetsFile(project, 'tenants.json', [kept, ...absent]);
  });
  afterAll(() => project.dispose());

  it('status, validate and drift read them as empty, and create nothing', async () => {
    const before = await listing();
    expect(before.there).toEqual(['kept']);
    expect(before.namespaces).toContain('there');
    expect(before.namespaces).not.toContain('nowhere');

    const status = await run(project, ['status', '--targets', file, '--json']);
    expect(status.code).toBe(0);
    const doc = status.json();
    expect(doc).toMatchObject({ ok: true, summary: { total: 3, ok: 1, notCurrent: 2, failed: 0, notStarted: 0 } });
    expect(doc.targets[0]).toMatchObject({ database: 'kept', ok: true, current: true, currentVersion: 2 });
    for (const entry of doc.targets.slice(1)) {
      expect(entry).toMatchObject({
        ok: false,
        state: 'done',
        exitCode: 0,
        current: false,
        empty: true,
        currentVersion: 0,
        latestVersion: 2,
        applied: [],
        failed: [],
        lock: null,
      });
      expect(versions(entry.pending)).toEqual([1, 2]);
    }
    for (const { namespace, database } of absent) {
      expect(status.stderr).toMatch(
        new RegExp(`^\\[${namespace}/${database}\\] warning: The database ${namespace}/${database} .* is empty`, 'm'),
      );
    }
    expect(status.stderr).not.toContain('[there/kept]');

    const human = await run(project, ['status', '--targets', file, '--check']);
    expect(human.code).toBe(4);
    expect(group(human.stdout, 'nowhere/absent')).toEqual([
      `Database    ${project.url} (namespace nowhere, database absent)`,
      'Migrations  migrations: current version 0, latest 2',
      '',
      expect.stringMatching(/^pending\s+1\s+users\s+migrations\/0001_users\.surql$/),
      expect.stringMatching(/^pending\s+2\s+posts\s+migrations\/0002_posts\.surql$/),
      '',
      '0 applied, 2 pending, 0 failed, 0 changed, 0 missing',
    ]);

    const validate = await run(project, ['validate', '--targets', file, '--json']);
    expect(validate.code).toBe(0);
    expect(validate.json().targets.map((t: JsonDocument) => [t.database, t.ok, t.pending])).toEqual([
      ['kept', true, 0],
      ['absent', true, 2],
      ['absent', true, 2],
    ]);
    const required = await run(project, ['validate', '--require-current', '--targets', file, '--json']);
    expect(required.code).toBe(1);
    expect(required.json().error).toMatchObject({ code: 'TARGETS_FAILED', failed: ['there/absent', 'nowhere/absent'] });

    const drift = await run(project, ['drift', '--targets', file]);
    expect(drift.code).toBe(0);
    expect(group(drift.stdout, 'there/absent')).toEqual([
      '2 migration(s) pending, not part of the comparison: 1, 2.',
      'No drift: the schema is what the applied migrations make it.',
    ]);
    expect(drift.stdout).toContain('3 target(s): 3 ok, 0 drifted, 0 failed, 0 not started');

    // After all of these, still neither database nor the namespace.
    expect(await listing()).toEqual(before);
  });

  it('up creates them and migrates them', async () => {
    const up = await run(project, ['up', '--targets', file, '--json']);
    expect(up.code).toBe(0);
    expect(up.json().targets.map((t: JsonDocument) => [t.namespace, t.database, versions(t.applied), t.empty])).toEqual(
      [
        ['there', 'kept', [], undefined],
        ['there', 'absent', [1, 2], true],
        ['nowhere', 'absent', [1, 2], true],
      ],
    );
    const after = await listing();
    expect(after.there).toEqual(['absent', 'kept']);
    expect(after.namespaces).toEqual(expect.arrayContaining(['nowhere', 'there']));
    expect(await histories(project, [kept, ...absent])).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    const status = await run(project, ['status', '--targets', file, '--check', '--json']);
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({ ok: true, summary: { total: 3, ok: 3, notCurrent: 0 } });
    expect(status.stderr).toBe('');
  });
});

describe('surreal-migrate --targets: a tenant whose database rejects a migration', () => {
  let project: CliProject;
  const tenants: Tenant[] = [
    { namespace: 't', database: 'a' },
    { namespace: 't', database: 'b' },
    { namespace: 't', database: 'c' },
  ];
  let file: string;

  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
    file = await targetsFile(project, 'tenants.json', tenants);
    // Migration 2 defines `post`, which b already has: it fails there, and only there.
    await sql(project, tenants[1]!, 'DEFINE TABLE post SCHEMAFULL;');
  });
  afterAll(() => project.dispose());

  it('by default stops: exit 1 naming t/b, the targets after it not started', async () => {
    const up = await run(project, ['up', '--targets', file, '--concurrency', '1']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      'error: `up` failed on 1 of 3 target(s): t/b; 1 target(s) not started: t/c (--continue-on-error goes on with the others).',
    );
    expect(group(up.stdout, 't/a').at(-1)).toBe('Applied 2 migration(s); current version 2.');
    const b = group(up.stdout, 't/b');
    expect(b[0]).toMatch(/^applied\s+1\s+users /);
    expect(b[1]).toMatch(/^failed\s+2\s+posts\s+migrations\/0002_posts\.surql$/);
    expect(b[2]).toMatch(
      /^error: Migration 2 \(posts, up\) failed at migrations\/0002_posts\.surql:1:1: .*already exists/,
    );
    expect(group(up.stdout, 't/c')).toEqual([
      'not started: an earlier target failed (--continue-on-error goes on with the others)',
    ]);
    expect(up.stdout).toContain('3 target(s): 1 ok, 1 failed, 1 not started');
    expect(await histories(project, tenants)).toEqual([[1, 2], [1], []]);

    const json = await run(project, ['up', '--targets', file, '--concurrency', '1', '--json']);
    expect(json.code).toBe(1);
    const doc = json.json();
    expect(doc).toMatchObject({
      ok: false,
      command: 'up',
      summary: { total: 3, ok: 1, failed: 1, notStarted: 1 },
      error: { code: 'TARGETS_FAILED', failed: ['t/b'], notStarted: ['t/c'], message: expect.stringContaining('t/b') },
    });
    expect(doc.targets).toEqual([
      expect.objectContaining({ namespace: 't', database: 'a', ok: true, state: 'done', exitCode: 0, applied: [] }),
      expect.objectContaining({
        namespace: 't',
        database: 'b',
        ok: false,
        state: 'failed',
        exitCode: 1,
        applied: [],
        error: expect.objectContaining({
          code: 'MIGRATION_FAILED',
          version: 2,
          message: expect.stringContaining('already exists'),
        }),
      }),
      { namespace: 't', database: 'c', ok: false, state: 'not started', exitCode: null },
    ]);
    expect(await histories(project, tenants)).toEqual([[1, 2], [1], []]);
  });

  it('with --continue-on-error migrates every other tenant, and still exits 1 naming t/b', async () => {
    const up = await run(project, ['up', '--targets', file, '--concurrency', '1', '--continue-on-error']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('error: `up` failed on 1 of 3 target(s): t/b.');
    expect(group(up.stdout, 't/c').at(-1)).toBe('Applied 2 migration(s); current version 2.');
    expect(up.stdout).toContain('3 target(s): 2 ok, 1 failed, 0 not started');
    expect(await histories(project, tenants)).toEqual([[1, 2], [1], [1, 2]]);

    // Reads never stop: status reads all three, t/b with its pending migration.
    const status = await run(project, ['status', '--targets', file, '--concurrency', '1', '--check', '--json']);
    expect(status.code).toBe(4);
    expect(status.json().targets.map((t: JsonDocument) => [t.database, t.exitCode, versions(t.pending)])).toEqual([
      ['a', 0, []],
      ['b', 4, [2]],
      ['c', 0, []],
    ]);
  });

  it('status without --check exits 0 and is ok, with t/b behind as its entry not ok; --check exits 4 naming it', async () => {
    // t/b is behind (migration 2 pending); a and c are current.
    const json = await run(project, ['status', '--targets', file, '--json']);
    expect(json.code).toBe(0);
    const doc = json.json();
    expect(doc).toMatchObject({
      ok: true,
      command: 'status',
      summary: { total: 3, ok: 2, notCurrent: 1, failed: 0, notStarted: 0 },
    });
    expect(doc).not.toHaveProperty('error');
    expect(doc.targets.map((t: JsonDocument) => [t.database, t.ok, t.state, t.exitCode, t.current])).toEqual([
      ['a', true, 'done', 0, true],
      ['b', false, 'done', 0, false],
      ['c', true, 'done', 0, true],
    ]);
    expect(versions(doc.targets[1].pending)).toEqual([2]);
    for (const entry of doc.targets) expect(entry).not.toHaveProperty('error');

    const human = await run(project, ['status', '--targets', file]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/\n3 target\(s\): 2 ok, 1 not current, 0 failed, 0 not started\n$/);
    expect(human.stderr).not.toContain('not current');

    const check = await run(project, ['status', '--targets', file, '--check', '--json']);
    expect(check.code).toBe(4);
    const checked = check.json();
    expect(checked).toMatchObject({
      ok: false,
      summary: { total: 3, ok: 2, notCurrent: 1, failed: 0, notStarted: 0 },
      error: { code: 'CHECK_FAILED', flagged: ['t/b'], message: '1 of 3 target(s) not current: t/b.' },
    });
    expect(checked.targets.map((t: JsonDocument) => [t.database, t.ok, t.exitCode, t.error?.code])).toEqual([
      ['a', true, 0, undefined],
      ['b', false, 4, 'CHECK_FAILED'],
      ['c', true, 0, undefined],
    ]);
    const humanCheck = await run(project, ['status', '--targets', file, '--check']);
    expect(humanCheck.code).toBe(4);
    expect(humanCheck.stderr).toContain('1 of 3 target(s) not current: t/b.');
  });

  it('single-database status --json says whether the database is current, --check or not', async () => {
    const one = (database: string, args: string[] = []) =>
      runCli(project.root, ['status', '--json', ...args], {
        ...project.credentials,
        SURREAL_URL: project.url,
        SURREAL_NAMESPACE: 't',
        SURREAL_DATABASE: database,
      });
    const behind = await one('b');
    expect(behind.code).toBe(0);
    expect(behind.json()).toMatchObject({ ok: true, command: 'status', current: false, currentVersion: 1 });
    const current = await one('a');
    expect(current.code).toBe(0);
    expect(current.json()).toMatchObject({ ok: true, current: true, currentVersion: 2, pending: [] });
    const checked = await one('b', ['--check']);
    expect(checked.code).toBe(4);
    expect(checked.json()).toMatchObject({ ok: false, current: false, error: { code: 'CHECK_FAILED', pending: 1 } });
  });
});

describe('surreal-migrate --targets: the file and the flags', () => {
  let project: CliProject;
  /** Nothing listens there: a run that connected would exit 3. */
  const unreachable = { SURREAL_URL: 'ws://127.0.0.1:1' };

  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
  });
  afterAll(() => project.dispose());

  it.each([
    ['missing.json', undefined, /^--targets missing\.json: cannot read it \(no such file\)\.$/],
    [
      'broken.json',
      '[{"namespace": "a", "database": "b"},',
      /^--targets broken\.json is not valid JSON \(Unexpected end of JSON input\): fix the file\.$/,
    ],
    ['object.json', { namespace: 'a', database: 'b' }, /^--targets object\.json: expected a JSON array of/],
    [
      'entry.json',
      [{ namespace: 'a', database: 'b' }, { namespace: 'a' }],
      /^--targets entry\.json: entry \[1\]: expected `\{ namespace, database \}` with both names, got an object with the keys namespace\.$/,
    ],
    [
      'twice.json',
      [
        { namespace: 'a', database: 'b' },
        { namespace: 'a', database: 'c' },
        { namespace: 'a', database: 'b' },
      ],
      /^--targets twice\.json: entry \[2\]: a\/b is listed twice\.$/,
    ],
  ])('exits 2 on a bad targets file, naming it, before connecting: %s', async (name, content, message) => {
    if (content !== undefined) await targetsFile(project, name, content);
    const human = await runCli(project.root, ['up', '--targets', name], unreachable);
    expect(human.code).toBe(2);
    expect(human.stderr.split('\n')[0]).toMatch(new RegExp(`^error: ${message.source.slice(1)}`));
    expect(human.stdout).toBe('');
    const json = await runCli(project.root, ['status', '--targets', name, '--json'], unreachable);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, command: 'status', error: { code: 'USAGE' } });
    expect(json.json().error.message).toMatch(message);
  });

  posixIt(
    'refuses a targets path that is not a regular file, by name, before connecting, and never opens it',
    async () => {
      // A FIFO with a writer: a CLI that opened it would read it and go on, instead of hanging.
      const fifo = guardedFifo(path.join(project.root, 'tenants.pipe'));
      try {
        await mkdir(path.join(project.root, 'tenants.dir'));
        await symlink('tenants.pipe', path.join(project.root, 'tenants.link'));
        for (const [name, is] of [
          ['tenants.pipe', 'is a named pipe (FIFO), not a regular file'],
          ['tenants.dir', 'is a directory, not a regular file'],
          ['tenants.link', 'is a symbolic link to tenants.pipe, which is a named pipe (FIFO), not a regular file'],
        ]) {
          const run = await runCli(project.root, ['up', '--targets', name!], unreachable);
          expect([name, run.code, run.stdout]).toEqual([name, 1, '']);
          expect(run.stderr.split('\n').slice(0, 2)).toEqual([
            `error: Cannot load the targets from ${name}:`,
            `  - ${name}: ${is}; --targets must name a regular file (or a symbolic link to one) holding the JSON array; give another path.`,
          ]);
        }
        const json = await runCli(project.root, ['status', '--targets', 'tenants.pipe', '--json'], unreachable);
        expect(json.code).toBe(1);
        expect(json.json()).toMatchObject({ ok: false, command: 'status', error: { code: 'DISCOVERY_FAILED' } });
      } finally {
        await fifo.release();
        for (const name of ['tenants.pipe', 'tenants.dir', 'tenants.link'])
          await rm(path.join(project.root, name), { recursive: true, force: true });
      }
    },
  );

  // A targets file may be an export of a tenants table: its other columns (connection strings,
  // keys) must not reach the terminal or a CI log when an entry is wrong.
  it.each([
    [
      'an extra column and no database',
      [
        { namespace: 'a', database: 'b' },
        { namespace: 'a', dsn: 'postgres://u:SECRET@h' },
      ],
      'entry [1]: expected `{ namespace, database }` with both names, got an object with the keys namespace, dsn.',
    ],
    [
      'a database that is not a name',
      [{ namespace: 'a', database: { password: 'SECRET' } }],
      'entry [0]: expected `{ namespace, database }` with both names, got an object with the keys namespace, database.',
    ],
    [
      'an empty name beside a secret',
      [{ namespace: '', database: 'b', token: 'SECRET' }],
      'entry [0]: expected `{ namespace, database }` with both names, got an object with the keys namespace, database, token.',
    ],
    [
      'a string entry',
      ['postgres://u:SECRET@h'],
      'entry [0]: expected `{ namespace, database }` with both names, got a string.',
    ],
    [
      'JSON that breaks just after a secret (the parser quotes the text around it)',
      '[{"namespace":"a","database":"b","dsn":"postgres://u:pw-SECRET@h"},\n]',
      "is not valid JSON (Unexpected token ']'): fix the file.",
    ],
    [
      'an object instead of the list',
      { tenants: [{ namespace: 'a', database: 'b' }], dsn: 'postgres://u:SECRET@h' },
      'expected a JSON array of { "namespace", "database" }, got an object.',
    ],
  ])('describes a bad entry by its shape, never its values: %s', async (_, content, problem) => {
    const name = await targetsFile(project, 'secret-rows.json', content);
    const human = await runCli(project.root, ['up', '--targets', name], unreachable);
    expect(human.code).toBe(2);
    const said = (problem.startsWith('is not') ? ' ' : ': ') + problem;
    expect(human.stderr.split('\n')[0]).toBe(`error: --targets secret-rows.json${said}`);
    const json = await runCli(project.root, ['status', '--targets', name, '--json'], unreachable);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({
      ok: false,
      command: 'status',
      error: { code: 'USAGE', message: `--targets secret-rows.json${said}` },
    });
    for (const output of [human.stdout, human.stderr, json.stdout, json.stderr]) expect(output).not.toContain('SECRET');
  });

  it('an empty list is nothing to do', async () => {
    const file = await targetsFile(project, 'none.json', []);
    const up = await run(project, ['up', '--targets', file]);
    expect(up.code).toBe(0);
    expect(up.stdout).toBe('0 target(s): 0 ok, 0 failed, 0 not started\n');
    expect(up.stderr).toBe('warning: No targets: none.json lists none.\n');
    const json = await run(project, ['status', '--targets', file, '--json']);
    expect(json.json()).toEqual({
      ok: true,
      command: 'status',
      targets: [],
      summary: { total: 0, ok: 0, notCurrent: 0, failed: 0, notStarted: 0 },
    });
  });

  it.each([
    [
      ['plan', '--targets', 't.json'],
      /--targets does not apply to `plan`; it works with status, up, down, validate, drift/,
    ],
    [['baseline', '1', '--all-databases'], /--all-databases does not apply to `baseline`/],
    [['unlock', '--continue-on-error'], /--continue-on-error does not apply to `unlock`/],
    [['dry-run', '--concurrency', '2'], /--concurrency does not apply to `dry-run`/],
    [['up', '--targets', 't.json', '--all-databases'], /either --targets or --all-databases, not both/],
    [['up', '--continue-on-error'], /--continue-on-error applies with --targets <file.json> or --all-databases only/],
    [['down', '--all-databases', '--ns', 'n', '--db', 'd'], /--db does not apply with --all-databases/],
  ])('refuses %j with exit 2', async (args, message) => {
    const human = await runCli(project.root, args, unreachable);
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(message);
    expect(human.stderr).toContain('surreal-migrate --help');
    const json = await runCli(project.root, [...args, '--json'], unreachable);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(message) } });
  });

  it('documents the flags, the JSON document and the exit order in --help', async () => {
    const help = await runCli(project.root, ['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--targets <file.json>', '--all-databases', '--continue-on-error', '--concurrency <n>']) {
      expect(help.stdout).toContain(`\n  ${flag}`);
    }
    expect(help.stdout).toContain(
      '{ ok, command, targets: [{ namespace, database, ok, state, exitCode, ... }], summary }',
    );
    expect(help.stdout).toContain("Over many targets: the worst target's, in the order 0 < 4 < 1 < 3 < 2.");
  });
});

describe('surreal-migrate up --targets, interrupted', () => {
  let project: CliProject;
  afterAll(() => project.dispose());

  it('on SIGINT lets the current migration of the running tenant commit, starts no other, exits 130', async () => {
    // The SLEEP is only how long migration 2 runs: the signal is sent once it has started (its
    // `migrating` marker), so the test does not depend on when migration 1 ends.
    project = await cliProject({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0002_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 1500ms;\nCREATE slow:done;',
      '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
    });
    const tenants: Tenant[] = [
      { namespace: 's', database: 'first' },
      { namespace: 's', database: 'second' },
    ];
    const file = await targetsFile(project, 'tenants.json', tenants);
    const cli = startCli(['up', '--targets', file, '--concurrency', '1'], {
      cwd: project.root,
      env: { SURREAL_URL: project.url, ...project.credentials },
      preload: [MIGRATION_MARKERS],
    });
    try {
      await cli.waitForStderr(/^marker:migrating s\/first 2$/m);
      cli.kill('SIGINT');
      expect(await cli.exited).toBe(130);
    } finally {
      cli.kill();
    }
    // Migration 2 had started when the signal came; 3 and the other tenant never did.
    expect(cli.markers()).toEqual(['migrating s/first 1', 'migrating s/first 2']);
    expect(cli.stderr()).toContain('SIGINT: stopping after the current migration');
    expect(group(cli.stdout(), 's/first')).toEqual([
      expect.stringMatching(/^applied\s+1\s+a\s+migrations\/0001_a\.surql in /),
      expect.stringMatching(/^applied\s+2\s+slow\s+migrations\/0002_slow\.surql in /),
      'Stopped by SIGINT; 1 migration(s) left for the next run.',
    ]);
    expect(group(cli.stdout(), 's/second')).toEqual(['not started: stopped by SIGINT']);
    expect(cli.stdout()).toContain('2 target(s): 0 ok, 0 failed, 1 stopped, 1 not started');
    expect(cli.stderr()).toContain(
      'Stopped by SIGINT: s/first stopped after the current migration; 1 target(s) not started: s/second.',
    );
    // The lock of s/first was released (histories checks it).
    expect(await histories(project, tenants)).toEqual([[1, 2], []]);
  });
});

describe('surreal-migrate --targets over ws://', () => {
  let project: CliProject;
  let relay: WsRelay;
  const SECRET = 'Tenant-S3cret';

  beforeAll(async () => {
    // It requires its root user's sign-in, as `surreal start --user root --pass ...` does: only the
    // URL's credentials pass it.
    relay = await startWsRelay({ path: 'mem://', user: RELAY_ROOT.user, pass: SECRET });
    // Every tenant fails at migration 2, whose statement carries the password.
    project = await cliProject({
      '0001_notes.surql': 'DEFINE TABLE note SCHEMALESS;\n',
      '0002_leak.surql': `THROW "denied for ${SECRET}";\n`,
    });
  });
  afterAll(async () => {
    await relay.close();
    await project.dispose();
  });

  it('masks the password of the URL in every tenant entry and line', async () => {
    const file = await targetsFile(project, 'tenants.json', [
      { namespace: 'ws', database: 'one' },
      { namespace: 'ws', database: 'two' },
    ]);
    const url = relay.url.replace('ws://', `ws://root:${SECRET}@`);
    const args = ['up', '--targets', file, '--url', url, '--continue-on-error'];
    const json = await runCli(project.root, [...args, '--json']);
    expect(json.code).toBe(1);
    const doc = json.json();
    expect(doc.targets.map((t: JsonDocument) => [t.database, t.state, versions(t.applied), t.error?.code])).toEqual([
      ['one', 'failed', [1], 'MIGRATION_FAILED'],
      ['two', 'failed', [1], 'MIGRATION_FAILED'],
    ]);
    expect(doc.targets[1].error).toMatchObject({
      statement: 'THROW "denied for ***"',
      message: expect.stringContaining('denied for ***'),
    });

    const human = await runCli(project.root, args);
    expect(human.code).toBe(1);
    expect(group(human.stdout, 'ws/two')).toEqual([
      expect.stringMatching(/^failed\s+2\s+leak\s+migrations\/0002_leak\.surql$/),
      expect.stringMatching(/^error: Migration 2 \(leak, up\) failed at .*denied for \*\*\*$/),
      '  statement: THROW "denied for ***"',
      '  Nothing of this migration was applied. Fix the script and start again.',
    ]);
    expect(human.stderr).toContain('error: `up` failed on 2 of 2 target(s): ws/one, ws/two.');
    for (const output of [human.stdout, human.stderr, json.stdout, json.stderr]) expect(output).not.toContain(SECRET);
  });
});

describe('TargetGroups', () => {
  function sink(): CliStream & { text: string } {
    const s = {
      text: '',
      write(chunk: string, callback?: (error?: Error | null) => void) {
        s.text += chunk;
        callback?.();
        return true;
      },
    };
    return s;
  }

  it('prints each target whole under its header, in the list order, whichever finishes first', () => {
    const stdout = sink();
    const stderr = sink();
    const out = new CliOutput({ stdout, stderr, env: {}, json: false, verbose: false });
    out.addSecrets(['S3cret']);
    const groups = new TargetGroups(out, ['n/a', 'n/b', 'n/c']);
    const [a, b, c] = [0, 1, 2].map((i) => groups.output(i));
    c!.print('c one');
    b!.print('b one');
    a!.print('a one');
    // The head prints as it goes; the others wait.
    expect(stdout.text).toBe('n/a\n  a one\n');
    c!.print('c two, S3cret');
    groups.finish(2);
    b!.print('b two\n  more');
    b!.note('to stderr at once');
    expect(stderr.text).toBe('[n/b] to stderr at once\n');
    expect(stdout.text).toBe('n/a\n  a one\n');
    groups.finish(0);
    // b is the head now: what it kept, then what it prints next, at once.
    expect(stdout.text).toBe('n/a\n  a one\nn/b\n  b one\n  b two\n    more\n');
    b!.print('');
    b!.print('b three');
    groups.finish(1);
    expect(stdout.text).toBe(
      'n/a\n  a one\nn/b\n  b one\n  b two\n    more\n\n  b three\nn/c\n  c one\n  c two, ***\n',
    );
  });
});
