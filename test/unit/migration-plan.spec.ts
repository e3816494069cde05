import {
  ChecksumMismatchError,
  FailedMigrationPendingError,
  MissingMigrationFileError,
  OutOfOrderMigrationError,
} from '../../src/core/support/state-errors.js';
import type { AppliedRecord, FailedRecord, HistorySnapshot } from '../../src/core/history/history-records.js';
import { checksumOf, type MigrationFile } from '../../src/core/files/migration-files.js';
import { computeState, findProblems, isCurrent, type MigrationState } from '../../src/core/plan/migration-plan.js';

/** An up script of the given version whose text (and so checksum) depends on the version. */
function file(version: number, text = `DEFINE TABLE t${version};`): MigrationFile {
  const name = `m${version}`;
  return {
    version,
    name,
    direction: 'up',
    path: `/abs/migrations/${version}_${name}.surql`,
    file: `migrations/${version}_${name}.surql`,
    text,
    checksum: checksumOf(text),
    noTransaction: false,
    allowDataLoss: false,
    allowInvalidRows: false,
  };
}

/** A history row for `file(version)`, with its checksum. */
function applied(version: number): AppliedRecord {
  return { version, name: `m${version}`, checksum: file(version).checksum, appliedAt: new Date(0), durationMs: 1 };
}

/** An Open Notebook row: version and date only. */
function adoptedRow(version: number): AppliedRecord {
  return { version, name: undefined, checksum: undefined, appliedAt: new Date(0), durationMs: undefined };
}

function failedRecord(version: number): FailedRecord {
  return {
    version,
    name: `m${version}`,
    file: `migrations/${version}_m${version}.surql`,
    checksum: file(version).checksum,
    statementsApplied: 2,
    statementCount: 5,
    error: 'index build failed',
    failedAt: new Date(0),
    direction: 'up',
    inProgress: false,
    runningStatement: undefined,
    holder: undefined,
    resumeAfter: undefined,
  };
}

const files = (...versions: number[]) => versions.map((v) => file(v));
const history = (rows: AppliedRecord[], failed: FailedRecord[] = []): HistorySnapshot => ({
  applied: rows,
  failed,
  repeatable: [],
});
const versions = (items: readonly { version: number }[]) => items.map((i) => i.version);

const strict = { validateChecksums: true, allowMissing: false, allowOutOfOrder: false };

describe('computeState', () => {
  it('has everything pending and version 0 on an empty history', () => {
    const state = computeState(files(1, 2, 3), history([]));
    expect(versions(state.pending)).toEqual([1, 2, 3]);
    expect(state.currentVersion).toBe(0);
    expect([state.drifted, state.unverified, state.missing, state.outOfOrder]).toEqual([[], [], [], []]);
  });

  it('has nothing pending when every file is applied', () => {
    const state = computeState(files(1, 2), history([applied(1), applied(2)]));
    expect(state.pending).toEqual([]);
    expect(state.currentVersion).toBe(2);
  });

  it('computes pending as a set difference, not a count (applied {1,3}, files {1,2,3})', () => {
    const state = computeState(files(1, 2, 3), history([applied(1), applied(3)]));
    expect(versions(state.pending)).toEqual([2]);
    expect(versions(state.outOfOrder)).toEqual([2]);
    expect(state.currentVersion).toBe(3);
  });

  it('finds a pending file even when an extra applied row makes the counts equal', () => {
    // Two rows, two files: a count comparison would say "up to date".
    const state = computeState(files(1, 2), history([applied(1), applied(7)]));
    expect(versions(state.pending)).toEqual([2]);
    expect(versions(state.future)).toEqual([7]);
    expect(state.currentVersion).toBe(7);
  });

  it('takes the highest applied version as current, whatever the row order', () => {
    const state = computeState(files(2, 10, 9), history([applied(10), applied(2), applied(9)]));
    expect(state.currentVersion).toBe(10);
  });

  it('keeps pending scripts above the current version in order and not out of order, with gaps', () => {
    const state = computeState(files(1, 5, 20), history([applied(1)]));
    expect(versions(state.pending)).toEqual([5, 20]);
    expect(state.outOfOrder).toEqual([]);
  });

  it('reports a changed file as drifted, with both checksums', () => {
    const edited = file(2, 'DEFINE TABLE t2 SCHEMAFULL;');
    const state = computeState([file(1), edited], history([applied(1), applied(2)]));
    expect(state.drifted).toEqual([
      { version: 2, name: 'm2', file: edited.file, stored: file(2).checksum, current: edited.checksum },
    ]);
    expect(state.unverified).toEqual([]);
    expect(state.pending).toEqual([]);
  });

  it('reports a row without checksum whose file exists as unverified, not drifted', () => {
    const adopted = adoptedRow(1);
    const state = computeState(files(1, 2), history([adopted, applied(2)]));
    expect(state.unverified).toEqual([adopted]);
    expect(state.drifted).toEqual([]);
  });

  it('reports an applied row with no file as missing, not drifted or unverified', () => {
    const gone = applied(2);
    const goneAdopted = adoptedRow(3);
    const state = computeState(files(1, 4), history([applied(1), gone, goneAdopted]));
    expect(state.missing).toEqual([gone, goneAdopted]);
    expect(state.drifted).toEqual([]);
    expect(state.unverified).toEqual([]);
  });

  it('reports applied rows above the newest file as future, not missing', () => {
    const state = computeState(files(1, 2), history([applied(1), applied(2), applied(3)]));
    expect(versions(state.future)).toEqual([3]);
    expect(state.missing).toEqual([]);
    const { errors, warnings } = findProblems(state, strict);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/newer than this app's folder: 3/)]);
  });

  it('does not count a failed migration as pending', () => {
    const state = computeState(files(1, 2, 3), history([applied(1)], [failedRecord(2)]));
    expect(versions(state.pending)).toEqual([3]);
    expect(versions(state.failed)).toEqual([2]);
    expect(state.currentVersion).toBe(1);
  });

  it('passes the history through', () => {
    const snapshot = history([applied(1)], [failedRecord(2)]);
    const state = computeState(files(1, 2), snapshot);
    expect(state.applied).toBe(snapshot.applied);
    expect(state.failed).toBe(snapshot.failed);
  });
});

describe('findProblems', () => {
  const clean = (): MigrationState => computeState(files(1, 2), history([applied(1)]));

  it('finds nothing in a clean state', () => {
    expect(findProblems(clean(), strict)).toEqual({ errors: [], warnings: [] });
  });

  it('makes drift an error when validating checksums', () => {
    const state = computeState([file(1, 'changed;')], history([applied(1)]));
    const { errors, warnings } = findProblems(state, strict);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ChecksumMismatchError);
    expect((errors[0] as ChecksumMismatchError).mismatches).toEqual(state.drifted);
    expect(warnings).toEqual([]);
  });

  it('makes drift a warning when not validating checksums', () => {
    const state = computeState([file(1, 'changed;')], history([applied(1)]));
    const { errors, warnings } = findProblems(state, { ...strict, validateChecksums: false });
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file(1, 'changed;').checksum);
  });

  it('makes a missing file an error unless allowMissing', () => {
    const state = computeState(files(1, 3), history([applied(1), applied(2), applied(3)]));
    const strictResult = findProblems(state, strict);
    expect(strictResult.errors.map((e) => e.constructor)).toEqual([MissingMigrationFileError]);
    expect(strictResult.warnings).toEqual([]);

    const lenient = findProblems(state, { ...strict, allowMissing: true });
    expect(lenient.errors).toEqual([]);
    expect(lenient.warnings).toHaveLength(1);
    expect(lenient.warnings[0]).toMatch(/no file.*2 \(m2\)/);
  });

  it('makes an out-of-order pending migration an error unless allowOutOfOrder', () => {
    const state = computeState(files(1, 2, 3), history([applied(1), applied(3)]));
    const strictResult = findProblems(state, strict);
    expect(strictResult.errors).toHaveLength(1);
    const error = strictResult.errors[0] as OutOfOrderMigrationError;
    expect(error).toBeInstanceOf(OutOfOrderMigrationError);
    expect(versions(error.pending)).toEqual([2]);
    expect(error.highestApplied).toBe(3);

    expect(findProblems(state, { ...strict, allowOutOfOrder: true })).toEqual({ errors: [], warnings: [] });
  });

  it('always warns about unverified rows, naming them and the fix', () => {
    const state = computeState(files(1, 2, 3), history([adoptedRow(1), adoptedRow(2), applied(3)]));
    const { errors, warnings } = findProblems(state, strict);
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/2 applied migration\(s\) have no stored checksum.*: 1, 2\./);
    expect(warnings[0]).toMatch(/repair/);
  });

  it('puts the failed-migration error first, then drift, missing and order', () => {
    const state = computeState(
      [file(1, 'changed;'), file(2), file(4), file(5)],
      history([applied(1), applied(3), applied(5)], [failedRecord(4)]),
    );
    // 2 is pending below 5; 3 has no file; 1 drifted; 4 failed.
    const { errors } = findProblems(state, strict);
    expect(errors.map((e) => e.constructor)).toEqual([
      FailedMigrationPendingError,
      ChecksumMismatchError,
      MissingMigrationFileError,
      OutOfOrderMigrationError,
    ]);
    expect(versions((errors[0] as FailedMigrationPendingError).failed)).toEqual([4]);
  });

  it('reports failed records whatever the options', () => {
    const state = computeState(files(1, 2), history([applied(1)], [failedRecord(2)]));
    const lenient = { validateChecksums: false, allowMissing: true, allowOutOfOrder: true };
    expect(findProblems(state, lenient).errors.map((e) => e.constructor)).toEqual([FailedMigrationPendingError]);
  });
});

describe('isCurrent: a target a start over many leaves alone without opening its session', () => {
  const lenient = { validateChecksums: false, allowMissing: true, allowOutOfOrder: true };

  it('is current when every file is applied, with its checksum, and nothing else is recorded', () => {
    expect(isCurrent({ up: files(1, 2), repeatable: [] }, history([applied(1), applied(2)]), strict)).toBe(true);
    expect(isCurrent({ up: [], repeatable: [] }, history([]), strict)).toBe(true);
  });

  it('is not current with anything to do, a problem or a warning, whatever the options make of it', () => {
    const changed = { ...applied(2), checksum: 'changed' };
    const cases: [string, HistorySnapshot][] = [
      ['pending', history([applied(1)])],
      ['failed part-way', history([applied(1)], [failedRecord(2)])],
      ['in progress', history([applied(1), applied(2)], [{ ...failedRecord(2), inProgress: true }])],
      ['resumable', history([applied(1)], [{ ...failedRecord(2), resumeAfter: 2 }])],
      ['drifted (a warning when checksums are not validated)', history([applied(1), changed])],
      ['unverified (a warning)', history([applied(1), adoptedRow(2)])],
      ['missing file (a warning when allowed)', history([applied(1), applied(2), applied(3)])],
      ['newer than the folder (a warning)', history([applied(1), applied(2), applied(9)])],
    ];
    const folders: Record<string, MigrationFile[]> = { 'missing file (a warning when allowed)': files(2, 3) };
    for (const [what, snapshot] of cases) {
      const up = folders[what] ?? files(1, 2);
      expect([
        what,
        isCurrent({ up, repeatable: [] }, snapshot, strict),
        isCurrent({ up, repeatable: [] }, snapshot, lenient),
      ]).toEqual([what, false, false]);
    }
  });
});
