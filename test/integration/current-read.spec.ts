import { Table, type Surreal } from 'surrealdb';
import { discoverMigrations } from '../../src/core/files/migration-files.js';
import { CURRENT_READ, HISTORY_READ, rowsOrEmpty, toSnapshot } from '../../src/core/history/history-records.js';
import { isCurrent } from '../../src/core/plan/migration-plan.js';
import { MigrationManager } from '../../src/index.js';
import { ENGINE, memClient } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * The narrowed history read of a start over many targets (`CURRENT_READ`: versions, checksums,
 * whether a failed record exists) proves a target current exactly when the full read does:
 * differentially, on histories of every shape `isCurrent` judges, on the suite's engine.
 */

const FILES = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
  '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
  '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
};

const FAILED = (inProgress: boolean) =>
  "CREATE _sbl_migrations_failed:3 CONTENT { version: 3, name: 'c', file: '0003_c.surql', statements_applied: 0, " +
  `statement_count: 1, error: 'boom', failed_at: time::now(), in_progress: ${inProgress} };`;

/** Histories, each as what is done to a current one. */
const SHAPES: Record<string, string> = {
  current: '',
  'failed table removed': 'REMOVE TABLE _sbl_migrations_failed;',
  pending: 'DELETE _sbl_migrations WHERE version = 3;',
  'failed record': `DELETE _sbl_migrations WHERE version = 3; ${FAILED(false)}`,
  'in-progress record': `DELETE _sbl_migrations WHERE version = 3; ${FAILED(true)}`,
  'failed record of an applied version': FAILED(false),
  'checksum changed': "UPDATE _sbl_migrations SET checksum = 'changed' WHERE version = 1;",
  'no checksum (adopted)': 'UPDATE _sbl_migrations SET checksum = NONE WHERE version = 2;',
  'a duplicate row without a checksum': 'CREATE _sbl_migrations:dup SET version = 2, name = "b";',
  'a duplicate row with another checksum': 'CREATE _sbl_migrations:dup SET version = 2, checksum = "other";',
  'a future version': "CREATE _sbl_migrations:9 SET version = 9, name = 'z', checksum = 'x';",
  'a missing file': "CREATE _sbl_migrations:0 SET version = 0, name = 'gone', checksum = 'x';",
  'a version as a string': "UPDATE _sbl_migrations SET version = '2' WHERE version = 2;",
  'a version as a float': 'UPDATE _sbl_migrations SET version = 2.0f WHERE version = 2;',
  'a version as a decimal': 'UPDATE _sbl_migrations SET version = 2dec WHERE version = 2;',
  'an unreadable version': "CREATE _sbl_migrations:bad SET version = 'two';",
  'no history rows': 'DELETE _sbl_migrations;',
  'no history table': 'REMOVE TABLE _sbl_migrations;',
};

const OPTIONS = [
  { validateChecksums: true, allowMissing: false, allowOutOfOrder: false },
  { validateChecksums: false, allowMissing: true, allowOutOfOrder: true },
];

describe(`the narrowed history read proves a target current as the full read does (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let folder: TempMigrations;
  let db: Surreal | undefined;
  beforeAll(async () => {
    folder = await tempMigrations(FILES);
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });
  afterAll(() => folder.dispose());

  it.each(Object.keys(SHAPES))('%s', async (shape) => {
    const database = `d${Object.keys(SHAPES).indexOf(shape)}`;
    db = await memClient({ namespace: 'shapes', database });
    const manager = await MigrationManager.create({ client: db, directory: folder.dir, logger: false });
    await manager.runMigrationUp();
    await manager.close();
    const vars = {
      history: new Table('_sbl_migrations'),
      failed: new Table('_sbl_migrations_failed'),
      repeatable: new Table('_sbl_migrations_repeatable'),
    };
    const use = `USE NS shapes DB ${database};`;
    const answers = await db
      .query(`${use} ${SHAPES[shape]} ${use} ${HISTORY_READ}; ${use} ${CURRENT_READ};`, vars)
      .responses();
    const [history, failed, repeatable, , narrowHistory, narrowFailed, narrowRepeatable] = answers.slice(-7);

    const { up } = await discoverMigrations(folder.dir);
    const full = (() => {
      try {
        return toSnapshot(history, failed, repeatable);
      } catch {
        return undefined;
      }
    })();
    // As the survey reads it (target-survey.ts): a failed record, or a refused read, proves nothing.
    const narrow = (() => {
      try {
        return rowsOrEmpty(narrowFailed).length > 0
          ? undefined
          : toSnapshot(narrowHistory, undefined, narrowRepeatable);
      } catch {
        return undefined;
      }
    })();
    for (const options of OPTIONS) {
      const byFull = full !== undefined && isCurrent({ up, repeatable: [] }, full, options);
      const byNarrow = narrow !== undefined && isCurrent({ up, repeatable: [] }, narrow, options);
      expect({ shape, options, current: byNarrow }).toEqual({ shape, options, current: byFull });
    }
    // The shapes tell apart: a current history is proven current, and the first change is not.
    if (shape === 'current') expect(narrow && isCurrent({ up, repeatable: [] }, narrow, OPTIONS[0]!)).toBe(true);
    if (shape === 'pending') expect(narrow && isCurrent({ up, repeatable: [] }, narrow, OPTIONS[0]!)).toBe(false);
  });
});
