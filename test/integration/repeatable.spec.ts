import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import {
  DataLossError,
  DeletedRepeatableError,
  InvalidRowsError,
  MigrationDiscoveryError,
  MigrationManager,
  NonIdempotentRepeatableError,
  RepeatableError,
} from '../../src/index.js';
import { memClient } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * Repeatable definitions (`repeatable/<name>.surql`): applied after the versions, in name order,
 * each in its own transaction with its record in `<table>_repeatable`; applied again only when
 * their text changes; refused before anything runs when they hold a statement that cannot run
 * twice; a deleted file reported. On the suite's engine (SurrealDB 2 and 3).
 */

const VERSIONS = {
  '0001_person.surql': 'DEFINE TABLE person SCHEMALESS;',
  '0001_person.down.surql': 'REMOVE TABLE person;',
  '0002_age.surql': 'DEFINE FIELD age ON person TYPE option<int>;',
  '0002_age.down.surql': 'REMOVE FIELD age ON person;',
};
const GREET = "DEFINE FUNCTION OVERWRITE fn::greet($name: string) { RETURN 'Hello ' + $name; };";
const ADULT =
  'DEFINE PARAM OVERWRITE $adult VALUE 18;\nDEFINE FUNCTION OVERWRITE fn::adult($age: int) { RETURN $age >= $adult; };';

let folder: TempMigrations;
let db: Surreal | undefined;
let database = 0;

async function writeRepeatable(name: string, text: string): Promise<void> {
  await mkdir(path.join(folder.dir, 'repeatable'), { recursive: true });
  await writeFile(path.join(folder.dir, 'repeatable', name), text);
}

async function open(extra: Record<string, unknown> = {}): Promise<MigrationManager> {
  return MigrationManager.create({ client: db!, directory: folder.dir, logger: false, ...extra });
}

async function query<T>(sql: string): Promise<T> {
  const [result] = await db!.query<[T]>(sql);
  return result;
}

beforeEach(async () => {
  folder = await tempMigrations(VERSIONS);
  database++;
  db = await memClient({ namespace: 'rep', database: `d${database}` });
});
afterEach(async () => {
  await db?.close();
  db = undefined;
  await folder.dispose();
});

describe('repeatable definitions', () => {
  it('are applied after the versions, in name order, each with its record', async () => {
    await writeRepeatable('b_adult.surql', ADULT);
    await writeRepeatable('a_greet.surql', GREET);
    const manager = await open();
    await manager.runMigrationUp();
    await manager.close();
    expect(await query<string>("RETURN fn::greet('Ada')")).toBe('Hello Ada');
    expect(await query<boolean>('RETURN fn::adult(20)')).toBe(true);
    const records = await query<{ name: string; checksum: string; applied_at: unknown }[]>(
      'SELECT name, checksum, applied_at, <string> applied_at AS at FROM _sbl_migrations_repeatable ORDER BY at, name',
    );
    expect(records.map((r) => r.name)).toEqual(['a_greet', 'b_adult']);
    expect(records.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && r.applied_at)).toBe(true);
    // The history of versions is unchanged.
    expect(await query<number[]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version')).toEqual([1, 2]);
  });

  it('are sent again only when their text changes; status lists the changed ones as pending', async () => {
    await writeRepeatable('greet.surql', GREET);
    let manager = await open();
    await manager.runMigrationUp();
    const first = await query<string>('SELECT VALUE <string> applied_at FROM ONLY _sbl_migrations_repeatable:greet');
    expect((await manager.status()).repeatable).toEqual({ pending: [], deleted: [] });
    expect(await manager.probe()).toMatchObject({ pending: 0 });
    expect(await manager.runMigrationUp()).toEqual([]);
    expect(await query<string>('SELECT VALUE <string> applied_at FROM ONLY _sbl_migrations_repeatable:greet')).toBe(
      first,
    );
    await manager.close();

    await writeRepeatable('greet.surql', GREET.replace('Hello ', 'Hi '));
    manager = await open();
    const status = await manager.status();
    expect(status.ok).toBe(false);
    expect(status.repeatable.pending).toEqual([
      { name: 'greet', file: path.relative(process.cwd(), path.join(folder.dir, 'repeatable', 'greet.surql')) },
    ]);
    expect((await manager.plan()).repeatable).toEqual(status.repeatable);
    // The readiness probe counts it as pending (one request, as before).
    expect(await manager.probe()).toMatchObject({ pending: 1, failed: [] });
    // mode 'validate' refuses to start while one is pending.
    await expect(manager.validate({ requireCurrent: true })).rejects.toThrow(/pending: .*repeatable\/greet\.surql/);
    await manager.runMigrationUp();
    await manager.close();
    expect(await query<string>("RETURN fn::greet('Ada')")).toBe('Hi Ada');
  });

  it('refuses a statement that cannot run twice, naming the file and line, before any pending version', async () => {
    await writeRepeatable(
      'seed.surql',
      'DEFINE FUNCTION OVERWRITE fn::a() { RETURN 1 };\nCREATE person:one SET age = 3;\n',
    );
    await writeRepeatable('fns.surql', '-- helpers\nDEFINE FUNCTION fn::b() { RETURN 2 };');
    const manager = await open();
    const error = await manager.runMigrationUp().catch((e: unknown) => e);
    await manager.close();
    expect(error).toBeInstanceOf(NonIdempotentRepeatableError);
    const refused = (error as NonIdempotentRepeatableError).refused;
    expect(refused.map((r: { file: string; line?: number }) => [path.basename(r.file), r.line])).toEqual([
      ['fns.surql', 2],
      ['seed.surql', 2],
    ]);
    expect((error as Error).message).toMatch(/fns\.surql:2:1: DEFINE FUNCTION without OVERWRITE/);
    expect((error as Error).message).toMatch(/seed\.surql:2:1: CREATE writes data again/);
    // Nothing of the run was applied: neither the pending versions nor the other repeatable.
    const info = await query<{ functions: Record<string, string>; tables: Record<string, string> }>('INFO FOR DB');
    expect(Object.keys(info.functions)).toEqual([]);
    expect(Object.keys(info.tables)).not.toContain('person');
  });

  it('a failing one keeps nothing of itself, names its line, and leaves the versions and the ones before it', async () => {
    await writeRepeatable('a.surql', GREET);
    await writeRepeatable('b.surql', 'DEFINE FUNCTION OVERWRITE fn::b() { RETURN 1 };\nTHROW "not today";');
    const manager = await open();
    const error = await manager.runMigrationUp().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepeatableError);
    expect((error as RepeatableError).location).toMatchObject({ name: 'b', line: 2, column: 1 });
    expect((error as Error).message).toMatch(/repeatable\/b\.surql:2:1: .*not today/);
    expect(await query<number[]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version')).toEqual([1, 2]);
    expect(await query<string[]>('SELECT VALUE name FROM _sbl_migrations_repeatable')).toEqual(['a']);
    const info = await query<{ functions: Record<string, string> }>('INFO FOR DB');
    expect(Object.keys(info.functions)).toEqual(['greet']);
    await manager.close();
  });

  it('a deleted file is reported: a warning by default, an error with onDeletedRepeatable: fail', async () => {
    await writeRepeatable('greet.surql', GREET);
    const warnings: string[] = [];
    const logger = { log() {}, warn: (m: string) => warnings.push(m), error() {} };
    let manager = await open({ logger });
    await manager.runMigrationUp();
    await manager.close();
    await rm(path.join(folder.dir, 'repeatable', 'greet.surql'));
    manager = await open({ logger });
    await manager.runMigrationUp();
    expect(warnings.join('\n')).toMatch(/repeatable\/greet\.surql.*stays in the database/);
    expect((await manager.status()).repeatable.deleted).toEqual([expect.objectContaining({ name: 'greet' })]);
    await manager.close();
    manager = await open({ onDeletedRepeatable: 'fail' });
    await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(DeletedRepeatableError);
    // repair forgets the record: the next run is clean.
    await manager.repair();
    await expect(manager.runMigrationUp()).resolves.toEqual([]);
    await manager.close();
  });

  it('a rollback of versions leaves them alone', async () => {
    await writeRepeatable('greet.surql', GREET);
    const manager = await open();
    await manager.runMigrationUp();
    await manager.rollback({ to: 0 });
    await manager.close();
    // What they defined stays; their records are forgotten, so that the next run applies them again.
    expect(await query<string>("RETURN fn::greet('Ada')")).toBe('Hello Ada');
    expect(await query<string[]>('SELECT VALUE name FROM _sbl_migrations_repeatable')).toEqual([]);
  });

  it('discovery refuses, by name, anything in repeatable/ that is not a regular .surql file', async () => {
    await writeRepeatable('ok.surql', GREET);
    await writeRepeatable('notes.txt', 'x');
    await mkdir(path.join(folder.dir, 'repeatable', 'nested'));
    await writeRepeatable('.gitkeep', '');
    const error = await open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationDiscoveryError);
    const files = (error as MigrationDiscoveryError).problems.flatMap((p) => p.files.map((f) => path.basename(f)));
    expect(files.sort()).toEqual(['nested', 'notes.txt']);
  });
  it('are held to the data checks of the run: rows their definitions refuse, tables they delete', async () => {
    let manager = await open();
    await manager.runMigrationUp();
    await manager.close();
    await query('CREATE person:ada SET nick = 3');
    await writeRepeatable('strict.surql', 'DEFINE FIELD OVERWRITE nick ON person TYPE string;');
    manager = await open();
    const invalid = await manager.runMigrationUp().catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRowsError);
    expect((invalid as Error).message).toMatch(
      /repeatable\/strict\.surql:1:1: person\.nick TYPE string refuses 1 row\(s\): person:ada/,
    );
    expect((await manager.plan()).refusals.invalidRows).toHaveLength(1);
    await manager.close();
    await rm(path.join(folder.dir, 'repeatable', 'strict.surql'));
    await writeRepeatable('drop.surql', 'REMOVE TABLE IF EXISTS person;');
    manager = await open();
    await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(DataLossError);
    await manager.close();
    expect(await query<string[]>('SELECT VALUE meta::id(id) FROM person')).toEqual(['ada']);
  });
  it('over many targets: each target applies them, and a changed one makes no target current', async () => {
    await writeRepeatable('greet.surql', GREET);
    const targets = [
      { namespace: 'many', database: `a${database}` },
      { namespace: 'many', database: `b${database}` },
    ];
    const greetings = async () => {
      const found: string[] = [];
      for (const t of targets) {
        await db!.use({ namespace: t.namespace, database: t.database });
        found.push(await query<string>("RETURN fn::greet('Ada')"));
      }
      return found;
    };
    let manager = await open({ targets });
    await manager.runMigrationUp();
    expect((await manager.status()).ok).toBe(true);
    await manager.close();
    expect(await greetings()).toEqual(['Hello Ada', 'Hello Ada']);

    await writeRepeatable('greet.surql', GREET.replace('Hello', 'Hi'));
    manager = await open({ targets });
    const status = await manager.status();
    expect(status.targets.map((t) => t.repeatable.pending.map((p) => p.name))).toEqual([['greet'], ['greet']]);
    expect(status.repeatable.pending.map((p) => p.name)).toEqual(['greet']);
    await manager.runMigrationUp();
    await manager.close();
    expect(await greetings()).toEqual(['Hi Ada', 'Hi Ada']);
  });
});
