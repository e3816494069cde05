import path from 'node:path';
import {
  lintMigrations,
  MigrationArgumentError,
  MigrationManager,
  type MigrationProgress,
  type MigrationTarget,
  type MigrationsOptions,
} from '../../src/index.js';
import { folderSchema } from '../../src/core/analysis/schema-code.js';
import { SURREALDB } from '../support/engine.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { THREE_TABLES } from '../support/schema-fixtures.js';

/**
 * The progress hook of long work, on the suite's engine: lint (a tick per up file), a folder
 * replayed on a shadow (drift, schema, diff: a tick per version applied) and the fan-out over
 * targets (a tick per target finished). A listener that throws never breaks the work.
 */

/** Three clean migrations with downs. */
const FILES = THREE_TABLES;

/** Each report of a folder's files as `[done, total, file name]`, to compare in one assertion. */
function brief(reports: readonly MigrationProgress[]): [number, number, string | undefined][] {
  return reports.map((p) => [p.done, p.total, p.current === undefined ? undefined : path.basename(p.current)]);
}

/** A logger that keeps its warnings. */
function keptWarnings(): { warnings: string[]; logger: MigrationsOptions['logger'] } {
  const warnings: string[] = [];
  return { warnings, logger: { log: () => {}, error: () => {}, warn: (message: string) => warnings.push(message) } };
}

describe('progress of long work', () => {
  let folder: TempMigrations;
  const managers: MigrationManager[] = [];

  beforeEach(async () => {
    folder = await tempMigrations(FILES);
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await folder.dispose();
  });

  async function create(options: Partial<MigrationsOptions> = {}): Promise<MigrationManager> {
    const manager = await MigrationManager.create({
      ...memOptions(folder.dir),
      logger: false,
      ...options,
    } as MigrationsOptions);
    managers.push(manager);
    return manager;
  }

  it('lint reports each up file as it is checked, failing and unparsable ones too, then the end', async () => {
    await folder.write('0004_fails.surql', "THROW 'no';");
    await folder.write('0005_unparsable.surql', 'DEFINE TABLE ;');
    const reports: MigrationProgress[] = [];
    const report = await lintMigrations({
      directory: folder.dir,
      surrealdb: SURREALDB,
      onProgress: (p) => void reports.push(p),
    });
    expect(report.checked).toBe(4);
    expect(brief(reports)).toEqual([
      [0, 5, '0001_a.surql'],
      [1, 5, '0002_b.surql'],
      [2, 5, '0003_c.surql'],
      [3, 5, '0004_fails.surql'],
      [4, 5, '0005_unparsable.surql'],
      [5, 5, undefined],
    ]);
  });

  it('a listener that throws or rejects changes nothing in what lint finds', async () => {
    const quiet = await lintMigrations({ directory: folder.dir, surrealdb: SURREALDB });
    let calls = 0;
    const throwing = await lintMigrations({
      directory: folder.dir,
      surrealdb: SURREALDB,
      onProgress: () => {
        calls++;
        throw new Error('a broken progress bar');
      },
    });
    const rejecting = await lintMigrations({
      directory: folder.dir,
      surrealdb: SURREALDB,
      onProgress: () => Promise.reject(new Error('a broken async progress bar')),
    });
    expect(calls).toBe(4);
    expect(throwing).toEqual(quiet);
    expect(rejecting).toEqual(quiet);
    expect(quiet).toMatchObject({ ok: true, checked: 3, reversible: 3 });
  });

  it('a folder replayed on a shadow reports each version applied: all of them, or those asked for', async () => {
    const all: MigrationProgress[] = [];
    await folderSchema(folder.dir, undefined, { surrealdb: SURREALDB }, (p) => void all.push(p));
    expect(brief(all)).toEqual([
      [0, 3, '0001_a.surql'],
      [1, 3, '0002_b.surql'],
      [2, 3, '0003_c.surql'],
      [3, 3, undefined],
    ]);
    const some: MigrationProgress[] = [];
    const schema = await folderSchema(folder.dir, new Set([1, 3]), { surrealdb: SURREALDB }, (p) => void some.push(p));
    expect(schema.map((o) => o.name).sort()).toEqual(['a', 'c']);
    expect(brief(some)).toEqual([
      [0, 2, '0001_a.surql'],
      [1, 2, '0003_c.surql'],
      [2, 2, undefined],
    ]);
  });

  it('drift reports the replay of the applied migrations only; a throwing listener is logged, the drift goes on', async () => {
    const { warnings, logger } = keptWarnings();
    // Every drift replays: nothing kept (see the end of the test for the kept schema).
    const manager = await create({ logger, schemaCache: false });
    await manager.migrateTo(2);
    const reports: MigrationProgress[] = [];
    const report = await manager.drift({ onProgress: (p) => void reports.push(p) });
    expect(report).toMatchObject({ ok: true, drift: [], pending: [{ version: 3 }] });
    expect(brief(reports)).toEqual([
      [0, 2, '0001_a.surql'],
      [1, 2, '0002_b.surql'],
      [2, 2, undefined],
    ]);

    const broken = await manager.drift({
      onProgress: () => {
        throw new Error('a broken progress bar');
      },
    });
    expect(broken).toEqual(report);
    expect(warnings).toEqual(Array(3).fill('A progress listener threw: a broken progress bar'));

    // With the folder's schema kept, nothing is replayed: one report says the work is done.
    const keeping = await create({ database: 'kept', schemaCache: folder.dir + '-cache' });
    await keeping.migrateTo(2);
    await keeping.drift();
    const kept: MigrationProgress[] = [];
    expect(await keeping.drift({ onProgress: (p) => void kept.push(p) })).toMatchObject({ ok: true });
    expect(brief(kept)).toEqual([[2, 2, undefined]]);

    const lintReports: MigrationProgress[] = [];
    await manager.lint({ onProgress: (p) => void lintReports.push(p) });
    expect(brief(lintReports).map(([done, total]) => [done, total])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    await expect(manager.drift({ onProgress: 'yes' as never })).rejects.toThrow(MigrationArgumentError);
    await expect(manager.lint({ onProgress: 'yes' as never })).rejects.toThrow(
      'lint: onProgress must be a function (or left out), got string.',
    );
  });

  it('a run over targets reports once before any starts, then each target as it finishes, failed ones too', async () => {
    const { warnings, logger } = keptWarnings();
    const targets: MigrationTarget[] = ['t1', 't2', 't3', 't4'].map((database) => ({ namespace: 'tenants', database }));
    const manager = await create({ namespace: 'home', database: 'main', targets, concurrency: 2, logger });
    const reports: MigrationProgress[] = [];
    const outcomes = await manager.overTargets(
      async (tenant, index) => {
        try {
          if (index === 2) throw new Error('this one fails');
          return (await tenant.runMigrationUp()).length;
        } finally {
          await tenant.close();
        }
      },
      { onTargetFailure: 'continue', stopped: () => false, onProgress: (p) => void reports.push(p) },
    );
    expect(outcomes.map((o) => o.state)).toEqual(['done', 'done', 'failed', 'done']);
    expect(reports.map((p) => [p.done, p.total])).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(reports[0]!.current).toBeUndefined();
    expect(
      reports
        .slice(1)
        .map((p) => p.current)
        .sort(),
    ).toEqual(['tenants/t1', 'tenants/t2', 'tenants/t3', 'tenants/t4']);

    // A listener that throws: every target still runs, and the fault is logged as a warning.
    const again = await manager.overTargets(
      async (tenant) => {
        try {
          return await tenant.getCurrentVersion();
        } finally {
          await tenant.close();
        }
      },
      {
        onTargetFailure: 'stop',
        stopped: () => false,
        onProgress: () => {
          throw new Error('a broken progress bar');
        },
      },
    );
    expect(again.map((o) => (o.state === 'done' ? o.value : o.state))).toEqual([3, 3, 0, 3]);
    expect(warnings.filter((w) => w === 'A progress listener threw: a broken progress bar')).toHaveLength(5);
  });
});
