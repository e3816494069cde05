import { MigrationArgumentError, MigrationOptionsError, MigrationsError } from '../../src/core/support/errors.js';
import { DatabaseRequestError, DatabaseUnreachableError } from '../../src/core/support/database-errors.js';
import { DataLossError, InvalidRowsError } from '../../src/core/support/data-errors.js';
import {
  DeletedRepeatableError,
  NonIdempotentRepeatableError,
  RepeatableError,
} from '../../src/core/support/repeatable-errors.js';
import {
  TargetsFailedError,
  MigrationError,
  MigrationLockError,
  MigrationsStoppedError,
  MissingDownMigrationError,
  type MigrationFailureContext,
} from '../../src/core/support/run-errors.js';
import {
  ChecksumMismatchError,
  UnreadableHistoryError,
  PossibleRenameError,
  FailedMigrationPendingError,
  MigrationDiscoveryError,
  MissingMigrationFileError,
  OutOfOrderMigrationError,
  PendingMigrationsError,
} from '../../src/core/support/state-errors.js';
import * as publicApi from '../../src/index.js';

const cause = new Error('connection refused');

const failure: MigrationFailureContext = {
  version: 3,
  name: 'add_index',
  file: 'migrations/0003_add_index.surql',
  direction: 'up',
  statement: 'DEFINE INDEX email ON user FIELDS email UNIQUE;',
  line: 7,
  column: 3,
  reason: 'The index already exists',
  cause,
};

/** One instance of every error class, with its code and the phrases its message must contain. */
const cases: [string, MigrationsError, string, (string | RegExp)[]][] = [
  [
    'DatabaseRequestError',
    new DatabaseRequestError('Found a THROW', cause),
    'DATABASE_ERROR',
    ["refused a request of the migrations tool's own: Found a THROW", 'SurrealDB 2.4 or later'],
  ],
  [
    'MigrationsStoppedError',
    new MigrationsStoppedError(2),
    'STOPPED',
    ['2 migration(s) still to run', 'The next start applies the rest'],
  ],
  [
    'MigrationOptionsError',
    new MigrationOptionsError('lock.ttlMs', 'expected a positive number.'),
    'INVALID_OPTIONS',
    ['`lock.ttlMs`', 'expected a positive number'],
  ],
  [
    'MigrationArgumentError',
    new MigrationArgumentError('give `to` or `steps`, not both.'),
    'INVALID_ARGUMENT',
    ['give `to` or `steps`, not both.'],
  ],
  [
    'MigrationDiscoveryError',
    new MigrationDiscoveryError('migrations', [
      { files: ['migrations/0001_a.surql', 'migrations/1_b.surql'], problem: 'renumber all but one.' },
    ]),
    'DISCOVERY_FAILED',
    ['Cannot load migrations from migrations', 'migrations/0001_a.surql, migrations/1_b.surql: renumber all but one.'],
  ],
  [
    'MigrationError',
    new MigrationError(failure),
    'MIGRATION_FAILED',
    ['migrations/0003_add_index.surql:7:3', 'The index already exists', 'Fix the script and start again'],
  ],
  [
    'MissingDownMigrationError',
    new MissingDownMigrationError([{ version: 4, name: 'seed', expectedFile: 'migrations/0004_seed.down.surql' }]),
    'MISSING_DOWN',
    ['version 4 (seed)', 'Nothing was rolled back', 'Add migrations/0004_seed.down.surql'],
  ],
  [
    'PendingMigrationsError',
    new PendingMigrationsError([{ version: 5, name: 'x', file: 'migrations/0005_x.surql' }]),
    'PENDING_MIGRATIONS',
    ['1 migration(s) pending: migrations/0005_x.surql', 'surreal-migrate up', "mode 'apply'"],
  ],
  [
    'ChecksumMismatchError',
    new ChecksumMismatchError([
      { version: 2, name: 'b', file: 'migrations/0002_b.surql', stored: 'aaa', current: 'bbb' },
    ]),
    'CHECKSUM_MISMATCH',
    [
      '2 migrations/0002_b.surql: applied aaa, now bbb',
      'add a new migration',
      'repair({ changed: true })',
      'surreal-migrate repair --changed',
    ],
  ],
  [
    'MissingMigrationFileError',
    new MissingMigrationFileError([
      { version: 6, name: 'gone' },
      { version: 7, name: undefined },
    ]),
    'MISSING_FILE',
    ['6 (gone), 7.', 'Restore the file(s)', 'allowMissing: true'],
  ],
  [
    'OutOfOrderMigrationError',
    new OutOfOrderMigrationError([{ version: 2, file: 'migrations/0002_b.surql' }], 3),
    'OUT_OF_ORDER',
    ['2 (migrations/0002_b.surql)', 'newest applied version 3', 'Renumber them above 3', 'allowOutOfOrder: true'],
  ],
  [
    'FailedMigrationPendingError',
    new FailedMigrationPendingError([
      { version: 8, name: 'idx', file: 'migrations/0008_idx.surql', statementsApplied: 2, error: 'boom' },
    ]),
    'FAILED_MIGRATION_PENDING',
    [
      '8 migrations/0008_idx.surql: 2 statement(s) applied, then: boom',
      "resolve(version, 'applied')",
      "resolve(version, 'rolled-back')",
      'surreal-migrate resolve',
    ],
  ],
  [
    'MigrationLockError',
    new MigrationLockError(
      { host: 'web-1', pid: 42, token: 'tok', expiresAt: new Date('2030-01-02T03:04:05.000Z') },
      300_000,
    ),
    'LOCK_TIMEOUT',
    ['300000 ms', 'web-1 pid 42 (tok) until 2030-01-02T03:04:05.000Z', 'lock.waitTimeoutMs', 'forceUnlock()'],
  ],
  [
    'DatabaseUnreachableError',
    new DatabaseUnreachableError('ws://***@db:8000', 4, cause),
    'DATABASE_UNREACHABLE',
    ['ws://***@db:8000 after 4 attempt(s): connection refused', 'Check the URL', 'connect.timeoutMs'],
  ],
  [
    'UnreadableHistoryError',
    new UnreadableHistoryError('_sbl_migrations', [
      { id: '_sbl_migrations:x', version: 'abc' },
      { id: '_sbl_migrations:y', version: undefined },
    ]),
    'UNREADABLE_HISTORY',
    [
      '_sbl_migrations:x (version "abc")',
      '_sbl_migrations:y (no version)',
      'surreal-migrate repair',
      'Nothing was applied',
    ],
  ],
  [
    'PossibleRenameError',
    new PossibleRenameError('field `body` on `post`', 'field `content` on `post`'),
    'POSSIBLE_RENAME',
    ['field `body` on `post` is removed and field `content` on `post` is added', 'Nothing was written', 'by hand'],
  ],
  [
    'DataLossError',
    new DataLossError(
      [{ file: 'migrations/0004_drop.surql', line: 3, column: 1, kind: 'remove-table', name: 'person', rows: 2 }],
      'up',
    ),
    'DATA_LOSS',
    ['0004_drop.surql:3:1: REMOVE TABLE person deletes 2 row(s)', 'nothing was applied', '-- migrate:allow-data-loss'],
  ],
  [
    'InvalidRowsError',
    new InvalidRowsError([
      {
        file: 'migrations/0005_qty.surql',
        line: 2,
        column: 1,
        table: 'acc',
        field: 'qty',
        rule: 'TYPE int',
        rows: 7,
        ids: ['acc:a', 'acc:b', 'acc:c', 'acc:d', 'acc:e'],
      },
      {
        file: 'migrations/0005_qty.surql',
        line: 3,
        column: 1,
        table: 'acc',
        field: 'n',
        rule: 'ASSERT $value > 0',
        rows: undefined,
        ids: [],
      },
    ]),
    'INVALID_ROWS',
    [
      '0005_qty.surql:2:1: acc.qty TYPE int refuses 7 row(s): acc:a, acc:b, acc:c, acc:d, acc:e, …',
      'acc.n ASSERT $value > 0 fails over some row(s)',
      'nothing was applied',
      '-- migrate:allow-invalid-rows',
      'checkData: false',
    ],
  ],
  [
    'RepeatableError',
    new RepeatableError({
      name: 'fns',
      file: 'migrations/repeatable/fns.surql',
      line: 4,
      column: 1,
      statement: 'THROW "no"',
      reason: 'An error occurred: no',
    }),
    'REPEATABLE_FAILED',
    [
      'Repeatable definition fns failed at migrations/repeatable/fns.surql:4:1: An error occurred: no',
      'statement: THROW "no"',
      'Nothing of this file was applied',
      'Fix the file and run again',
    ],
  ],
  [
    'NonIdempotentRepeatableError',
    new NonIdempotentRepeatableError([
      {
        name: 'seed',
        file: 'migrations/repeatable/seed.surql',
        line: 2,
        column: 1,
        statement: 'CREATE person SET n = 1',
        reason: 'CREATE writes data again each time the file changes',
        fix: 'Move it to a versioned migration.',
      },
    ]),
    'REPEATABLE_NOT_IDEMPOTENT',
    [
      'would not run twice to the same effect',
      'nothing was applied',
      'seed.surql:2:1: CREATE writes data again',
      'Move it to a versioned migration.',
    ],
  ],
  [
    'DeletedRepeatableError',
    new DeletedRepeatableError(['greet']),
    'REPEATABLE_DELETED',
    ['repeatable/greet.surql', 'stays in the database', 'manager.repair()', 'restore the files'],
  ],
  [
    'TargetsFailedError',
    new TargetsFailedError(
      [{ namespace: 'saas', database: 'acme', error: new Error('Migration 2 failed\nat line 1') }],
      [{ namespace: 'saas', database: 'globex' }],
      3,
    ),
    'TARGETS_FAILED',
    [
      'failed on 1 of 3 target(s)',
      '1 target(s) were not started',
      "'continue' migrates the others anyway",
      '  - saas/acme: Migration 2 failed\n    at line 1',
    ],
  ],
];

describe('error classes', () => {
  it.each(cases)('%s is a MigrationsError with its name and code', (name, error, code) => {
    expect(error).toBeInstanceOf(MigrationsError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(error.stack).toBeDefined();
  });

  it.each(cases)('%s says what happened and what to do next', (_name, error, _code, phrases) => {
    for (const phrase of phrases) {
      if (typeof phrase === 'string') expect(error.message).toContain(phrase);
      else expect(error.message).toMatch(phrase);
    }
  });

  it('uses a distinct code for each class', () => {
    const codes = cases.map(([, , code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('covers every error class the package exports', () => {
    const exported = Object.entries(publicApi)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof MigrationsError)
      .map(([key]) => key)
      .sort();
    expect(exported).toEqual(cases.map(([name]) => name).sort());
    expect(publicApi.MigrationsError).toBe(MigrationsError);
  });

  it('keeps the cause', () => {
    const discoveryCause = new Error('EACCES');
    expect(new MigrationError(failure).cause).toBe(cause);
    expect(new DatabaseUnreachableError('ws://db', 1, cause).cause).toBe(cause);
    expect(new MigrationDiscoveryError('m', [], { cause: discoveryCause }).cause).toBe(discoveryCause);
    expect(new MigrationArgumentError('x', { cause }).cause).toBe(cause);
  });

  it('keeps the data callers switch on', () => {
    const options = new MigrationOptionsError('table', 'bad');
    expect(options.field).toBe('table');
    const discovery = new MigrationDiscoveryError('db/migrations', [{ files: ['a'], problem: 'p' }]);
    expect([discovery.directory, discovery.problems]).toEqual(['db/migrations', [{ files: ['a'], problem: 'p' }]]);
    const lock = new MigrationLockError(undefined, 10);
    expect([lock.holder, lock.waitedMs]).toEqual([undefined, 10]);
    const unreachable = new DatabaseUnreachableError('ws://db', 4, 'plain string');
    expect([unreachable.url, unreachable.attempts]).toEqual(['ws://db', 4]);
    expect(unreachable.message).toContain('plain string');
  });
});

describe('MigrationError', () => {
  it('exposes where and why it failed, keeping `name` as the class name', () => {
    const error = new MigrationError(failure);
    expect(error).toMatchObject({
      name: 'MigrationError',
      version: 3,
      migrationName: 'add_index',
      file: 'migrations/0003_add_index.surql',
      direction: 'up',
      statement: failure.statement,
      line: 7,
      column: 3,
      reason: 'The index already exists',
    });
    expect(error.message).toMatch(
      /^Migration 3 \(add_index, up\) failed at migrations\/0003_add_index\.surql:7:3: The index already exists/,
    );
    expect(error.message).toContain(`statement: ${failure.statement}`);
  });

  it('gives the file alone without a line, and file:line without a column', () => {
    const { line: _line, column: _column, ...noLocation } = failure;
    expect(new MigrationError(noLocation).message).toContain('failed at migrations/0003_add_index.surql: ');
    const { column: _col, ...lineOnly } = failure;
    expect(new MigrationError(lineOnly).message).toContain('failed at migrations/0003_add_index.surql:7: ');
  });

  it('names an unnamed migration and gives the down hint for a rollback', () => {
    const error = new MigrationError({ ...failure, name: '', direction: 'down' });
    expect(error.message).toMatch(/^Migration 3 \(unnamed, down\)/);
    expect(error.message).toContain('Fix the down script and run the rollback again');
  });

  it('takes a custom hint', () => {
    const error = new MigrationError(failure, 'Resolve it by hand.');
    expect(error.message).toMatch(/\n {2}Resolve it by hand\.$/);
    expect(error.message).not.toContain('start again');
  });

  it('shortens a long statement to one line of at most 200 characters', () => {
    const statement = `DEFINE FIELD x ON t\n   VALUE ${'a'.repeat(400)};`;
    const error = new MigrationError({ ...failure, statement });
    const shown = /statement: (.*)/.exec(error.message)?.[1] ?? '';
    expect(shown).toHaveLength(200);
    expect(shown.startsWith('DEFINE FIELD x ON t VALUE aaa')).toBe(true);
    expect(shown.endsWith('...')).toBe(true);
    expect(error.statement).toBe(statement);
  });

  it('leaves out the statement line when no statement is known', () => {
    const { statement: _statement, ...noStatement } = failure;
    expect(new MigrationError(noStatement).message).not.toContain('statement:');
  });
});

describe('MigrationLockError', () => {
  it('says the holder is unknown when there is none', () => {
    const error = new MigrationLockError(undefined, 5_000);
    expect(error.message).toMatch(/^Timed out after 5000 ms waiting for the migration lock\. If that process is gone/);
  });

  it('says when the expiry is unknown', () => {
    const error = new MigrationLockError({ host: 'h', pid: 1, token: 't' }, 1);
    expect(error.message).toContain('held by h pid 1 (t) until unknown');
  });

  it('TargetsFailedError names the first 20 targets, keeps every failure, and serialises each with its code', () => {
    const failures = Array.from({ length: 25 }, (_, i) => ({
      namespace: 'saas',
      database: `t${i}`,
      error: Object.assign(new Error(`boom ${i}`), { code: 'MIGRATION_FAILED' }),
    }));
    const error = new TargetsFailedError(failures, [], 30);
    expect(error.message).toContain('saas/t19: boom 19');
    expect(error.message).not.toContain('saas/t20');
    expect(error.message).toContain('and 5 more (see failures)');
    expect(error.failures).toHaveLength(25);
    const json = JSON.parse(JSON.stringify(error)) as { code: string; failures: unknown[] };
    expect(json.code).toBe('TARGETS_FAILED');
    expect(json.failures[24]).toEqual({
      namespace: 'saas',
      database: 't24',
      code: 'MIGRATION_FAILED',
      message: 'boom 24',
    });
  });
});
