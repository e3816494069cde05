import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { lintMigrations } from '../../src/core/analysis/lint.js';
import {
  MigrationDiscoveryError,
  MigrationError,
  MigrationManager,
  NonIdempotentRepeatableError,
} from '../../src/index.js';
import { memClient, SURREALDB } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * Repeatable definitions at their edges (found by an adversarial review): a rolling deploy's older
 * replica, a rollback whose down removes what a repeatable defined, plan and dry run refusing what
 * the run refuses, needsMigration, the folder's other entries, a secret in a refused statement.
 */

const V1 = {
  '0001_person.surql': 'DEFINE TABLE person SCHEMALESS;',
  '0001_person.down.surql': 'REMOVE TABLE person;',
};
const V2 = { ...V1, '0002_pet.surql': 'DEFINE TABLE pet SCHEMALESS;', '0002_pet.down.surql': 'REMOVE TABLE pet;' };
const greet = (word: string) => `DEFINE FUNCTION OVERWRITE fn::greet() { RETURN '${word}' };`;

const folders: TempMigrations[] = [];
let db: Surreal | undefined;
let n = 0;

async function folderOf(files: Record<string, string>, repeatable: Record<string, string>): Promise<TempMigrations> {
  const folder = await tempMigrations(files);
  folders.push(folder);
  await mkdir(path.join(folder.dir, 'repeatable'));
  for (const [name, text] of Object.entries(repeatable))
    await writeFile(path.join(folder.dir, 'repeatable', name), text);
  return folder;
}

function open(folder: TempMigrations, extra: Record<string, unknown> = {}): Promise<MigrationManager> {
  return MigrationManager.create({ client: db!, directory: folder.dir, logger: false, ...extra });
}

async function value<T>(sql: string): Promise<T> {
  const [result] = await db!.query<[T]>(sql);
  return result;
}

beforeEach(async () => {
  db = await memClient({ namespace: 'edges', database: `d${n++}` });
});
afterEach(async () => {
  await db?.close();
  for (const f of folders.splice(0)) await f.dispose();
});

describe('repeatable definitions at their edges', () => {
  it('an older release (a rolling deploy) leaves a newer release’s text, and is not pending', async () => {
    const newer = await folderOf(V2, { 'greet.surql': greet('new') });
    const older = await folderOf(V1, { 'greet.surql': greet('old') });
    let manager = await open(newer);
    await manager.runMigrationUp();
    await manager.close();
    const warnings: string[] = [];
    manager = await open(older, { logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} } });
    expect(await manager.runMigrationUp()).toEqual([]);
    expect(await value<string>('RETURN fn::greet()')).toBe('new');
    expect(await manager.probe()).toMatchObject({ pending: 0 });
    expect((await manager.status()).repeatable.pending).toEqual([]);
    expect(await manager.needsMigration()).toBe(false);
    expect(warnings.join('\n')).toMatch(/applied by a newer release.*greet.*leaves them as they are/);
    await manager.close();
  });

  it('a rollback forgets their records, so the next run applies them again over what the downs removed', async () => {
    const folder = await folderOf(V1, {
      'audit.surql':
        'DEFINE FIELD OVERWRITE seen ON person TYPE option<bool>;\n' +
        'DEFINE EVENT OVERWRITE touched ON person WHEN $event = "CREATE" THEN { UPSERT audit:n SET n += 1 };',
    });
    const manager = await open(folder);
    await manager.runMigrationUp();
    await manager.rollback({ to: 0 });
    // What the rollback left is theirs to say: pending again, not applied.
    expect((await manager.status()).repeatable.pending.map((p) => p.name)).toEqual(['audit']);
    await manager.runMigrationUp();
    const info = await value<{ events: Record<string, string>; fields: Record<string, string> }>(
      'INFO FOR TABLE person',
    );
    expect(Object.keys(info.events)).toEqual(['touched']);
    expect(Object.keys(info.fields)).toEqual(['seen']);
    expect(await manager.drift()).toMatchObject({ ok: true, drift: [] });
    await manager.close();
  });

  it('plan and the dry run refuse what the run refuses, and the dry run verifies them after the versions', async () => {
    const folder = await folderOf(V1, { 'seed.surql': 'CREATE person SET n = 1;' });
    let manager = await open(folder);
    await expect(manager.plan()).rejects.toBeInstanceOf(NonIdempotentRepeatableError);
    await expect(manager.dryRun()).rejects.toBeInstanceOf(NonIdempotentRepeatableError);
    await manager.close();

    const broken = await folderOf(V1, {
      'a.surql': greet('ok'),
      'b.surql': 'DEFINE FUNCTION OVERWRITE fn::b() { RETURN 1 };\nTHROW "no";',
    });
    manager = await open(broken);
    // A database that exists: the dry run runs in it (and keeps nothing).
    await value('DEFINE PARAM $exists VALUE 1');
    const failed = await manager.dryRun().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MigrationError);
    expect((failed as Error).message).toMatch(/Repeatable definition b failed at .*repeatable\/b\.surql:2/);
    await manager.close();
    const info = await value<{ functions: Record<string, string> }>('INFO FOR DB');
    expect(Object.keys(info.functions)).toEqual([]);

    const fine = await folderOf(V1, { 'a.surql': greet('ok') });
    manager = await open(fine);
    expect(await manager.dryRun()).toMatchObject({
      verified: [{ version: 1 }],
      repeatable: [{ name: 'a' }],
    });
    await manager.close();
  });

  it('needsMigration is true when only a repeatable changed', async () => {
    const folder = await folderOf(V1, { 'greet.surql': greet('one') });
    let manager = await open(folder);
    await manager.runMigrationUp();
    expect(await manager.needsMigration()).toBe(false);
    await manager.close();
    await writeFile(path.join(folder.dir, 'repeatable', 'greet.surql'), greet('two'));
    manager = await open(folder);
    expect(await manager.needsMigration()).toBe(true);
    await manager.close();
  });

  it('discovery refuses another folder and a repeatable/ link to nothing, by name; hidden ones pass', async () => {
    const folder = await folderOf(V1, {});
    await mkdir(path.join(folder.dir, 'Repeatables'));
    await mkdir(path.join(folder.dir, '.cache'));
    const error = await open(folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationDiscoveryError);
    expect((error as MigrationDiscoveryError).problems.map((p) => path.basename(p.files[0]!))).toEqual(['Repeatables']);
    expect((error as Error).message).toMatch(/Repeatables: is a folder: .*`repeatable\/`/);

    const linked = await tempMigrations(V1);
    folders.push(linked);
    await symlink(path.join(linked.dir, 'gone'), path.join(linked.dir, 'repeatable'));
    const dangling = await open(linked).catch((e: unknown) => e);
    expect(dangling).toBeInstanceOf(MigrationDiscoveryError);
    expect((dangling as Error).message).toMatch(
      /repeatable: cannot be read: it is a symbolic link to .*gone, which does not exist/,
    );
  });

  it('a refused statement is quoted without its password; lint warns of DEFINE … IF NOT EXISTS', async () => {
    const folder = await folderOf(V1, {
      'users.surql': "DEFINE USER app ON DATABASE PASSWORD 'hunter2-secret' ROLES VIEWER;",
    });
    const manager = await open(folder);
    const error = await manager.runMigrationUp().catch((e: unknown) => e);
    await manager.close();
    expect(error).toBeInstanceOf(NonIdempotentRepeatableError);
    expect((error as Error).message).toMatch(/PASSWORD '\*\*\*'/);
    expect((error as Error).message).not.toContain('hunter2');

    const kept = await folderOf(V1, { 'fns.surql': "DEFINE FUNCTION IF NOT EXISTS fn::k() { RETURN 'k' };" });
    const report = await lintMigrations({ directory: kept.dir, surrealdb: SURREALDB });
    expect(
      report.problems
        .filter((p) => p.kind === 'not-idempotent')
        .map((p) => [p.severity, path.basename(p.file), p.line, p.message.split(':')[0]]),
    ).toEqual([['warning', 'fns.surql', 1, 'DEFINE … IF NOT EXISTS keeps what the first run defined']]);
  });
});
