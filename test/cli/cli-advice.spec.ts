import { cliAdvice } from '../../src/cli/advice.js';
import {
  ChecksumMismatchError,
  DatabaseUnreachableError,
  FailedMigrationPendingError,
  MigrationLockError,
  MissingMigrationFileError,
  OutOfOrderMigrationError,
  UnreadableHistoryError,
} from '../../src/index.js';
import { DataLossError, InvalidRowsError } from '../../src/core/support/data-errors.js';
import { resolveAdvice } from '../../src/core/execution/script-errors.js';
import { cliProject, versions, type CliProject } from './cli-harness.js';

/** Library advice that a CLI user could not act on, as it reads before the CLI rewrites it. */
const LIBRARY_WORDS =
  /manager\.|allowMissing|allowOutOfOrder|acceptDataLoss|checkData|lock\.waitTimeoutMs|lock\.ttlMs|connect\.\w+Ms|connect\.retries/;

describe('the CLI says the library advice as its own commands and flags', () => {
  it.each<[string, string]>([
    [
      'ChecksumMismatchError',
      new ChecksumMismatchError([{ version: 1, name: 'a', file: 'f', stored: 'x', current: 'y' }]).message,
    ],
    ['MissingMigrationFileError', new MissingMigrationFileError([{ version: 1, name: 'a' }]).message],
    ['OutOfOrderMigrationError', new OutOfOrderMigrationError([{ version: 1, file: 'f' }], 3).message],
    [
      'FailedMigrationPendingError',
      new FailedMigrationPendingError([{ version: 2, name: 'b', file: 'f', statementsApplied: 1, error: 'boom' }])
        .message,
    ],
    ['MigrationLockError', new MigrationLockError(undefined, 10).message],
    ['MigrationLockError (lost)', new MigrationLockError(undefined, 0, { lost: true }).message],
    ['DatabaseUnreachableError', new DatabaseUnreachableError('ws://db', 3, new Error('refused')).message],
    [
      'DatabaseUnreachableError (request)',
      new DatabaseUnreachableError('ws://db', 3, new Error('x'), 'request').message,
    ],
    ['UnreadableHistoryError', new UnreadableHistoryError('_sbl_migrations', [{ id: 'h:x', version: 'x' }]).message],
    [
      'DataLossError',
      new DataLossError([{ file: 'f', line: 1, column: 1, kind: 'remove-table', name: 't', rows: 2 }], 'up').message,
    ],
    [
      'InvalidRowsError',
      new InvalidRowsError([
        { file: 'f', line: 1, column: 1, table: 't', field: 'a', rule: 'TYPE int', rows: 1, ids: ['t:1'] },
      ]).message,
    ],
    ['a no-transaction failure', `Fix the database by hand, then ${resolveAdvice(4)}.`],
  ])('%s', (_name, message) => {
    const said = cliAdvice(message);
    expect(said).not.toMatch(LIBRARY_WORDS);
    expect(said).toMatch(/surreal-migrate|--[a-z]/);
  });

  it('names the flags and commands a user would type', () => {
    expect(cliAdvice(new MissingMigrationFileError([{ version: 1, name: 'a' }]).message)).toMatch(/--allow-missing/);
    expect(cliAdvice(new OutOfOrderMigrationError([{ version: 1, file: 'f' }], 3).message)).toMatch(
      /--allow-out-of-order/,
    );
    expect(
      cliAdvice(
        new DataLossError([{ file: 'f', line: 1, column: 1, kind: 'remove-table', name: 't', rows: 2 }], 'up').message,
      ),
    ).toMatch(/or run with --accept-data-loss\.$/);
    expect(cliAdvice(resolveAdvice(4))).toBe(
      'run `surreal-migrate resolve 4 --applied | --rolled-back`, or `surreal-migrate resolve 4 --resume-after n` to ' +
        'run the rest after statement n',
    );
    expect(cliAdvice(new MigrationLockError(undefined, 10).message)).toMatch(
      /--lock-timeout.*`surreal-migrate unlock`/,
    );
  });
});

describe('surreal-migrate: advice and an empty database', () => {
  let project: CliProject;
  afterEach(() => project.dispose());

  it('offers --allow-missing and --allow-out-of-order, and its messages name them', async () => {
    project = await cliProject({ '0001_a.surql': 'DEFINE TABLE a;', '0003_c.surql': 'DEFINE TABLE c;' });
    expect((await project.run(['up'])).code).toBe(0);
    await project.write('0002_b.surql', 'DEFINE TABLE b;');
    const refused = await project.run(['up']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--allow-out-of-order/);
    expect(refused.stderr).not.toMatch(LIBRARY_WORDS);
    const json = (await project.run(['up', '--json'])).json();
    expect(json.error.message).toMatch(/--allow-out-of-order/);
    expect(json.error.message).not.toMatch(LIBRARY_WORDS);
    expect((await project.run(['up', '--allow-out-of-order'])).code).toBe(0);
    expect(versions((await project.run(['status', '--json'])).json().applied)).toEqual([1, 2, 3]);
  });

  it('status and up say in one line that the database is empty', async () => {
    project = await cliProject({ '0001_a.surql': 'DEFINE TABLE a;' });
    const status = await project.run(['status']);
    expect(status.code).toBe(0);
    expect(status.stderr.match(/empty/g)).toHaveLength(1);
    expect(status.stderr).toMatch(/test\/test .* is empty: it has no tables.*--ns, --db/);
    expect((await project.run(['status', '--json'])).json()).toMatchObject({ ok: true, empty: true });
    const up = await project.run(['up']);
    expect(up.stderr).toMatch(/is empty/);
    expect(up.code).toBe(0);
    const again = await project.run(['status']);
    expect(again.stderr).not.toMatch(/empty/);
  });
});
