import path from 'node:path';
import { lintMigrations } from '../../src/core/analysis/lint.js';
import { SURREALDB } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/** Issue 22, item 2: lint flags each statement that deletes data wholesale, as a warning, before anything runs. */
describe('lint: data-loss warnings', () => {
  let folder: TempMigrations;
  afterEach(() => folder.dispose());

  it('warns of each one, in ups and downs, at its line; a file that allows it is not warned about', async () => {
    folder = await tempMigrations({
      '0001_people.surql': 'DEFINE TABLE person SCHEMALESS;\nDEFINE TABLE tmp SCHEMALESS;\n',
      '0001_people.down.surql': 'REMOVE TABLE tmp;\nREMOVE TABLE person;\n',
      '0002_clear.surql': 'DEFINE TABLE log SCHEMALESS;\nDELETE FROM tmp RETURN NONE;\nDELETE person WHERE false;\n',
      '0002_clear.down.surql': 'REMOVE TABLE log;\n',
      '0003_gone.surql': '-- migrate:allow-data-loss\nREMOVE TABLE tmp;\n',
    });
    const report = await lintMigrations({ directory: folder.dir, surrealdb: SURREALDB });
    const losses = report.problems
      .filter((p) => p.kind === 'data-loss')
      .map((p) => [
        path.basename(p.file),
        p.line,
        p.column,
        p.severity,
        p.message.replace(/^.*? (removes|deletes)/, '$1'),
      ]);
    expect(losses).toEqual([
      ['0002_clear.surql', 2, 1, 'warning', 'deletes every row of table tmp: a run refuses it where it holds rows'],
      ['0001_people.down.surql', 1, 1, 'warning', 'removes table tmp: a run refuses it where it holds rows'],
      ['0001_people.down.surql', 2, 1, 'warning', 'removes table person: a run refuses it where it holds rows'],
      ['0002_clear.down.surql', 1, 1, 'warning', 'removes table log: a run refuses it where it holds rows'],
    ]);
    // Warnings only: the folder is ok.
    expect(report.ok).toBe(true);
  });
});
