import { RowSampler } from '../../src/core/analysis/lint-samples.js';
import { ShadowDatabase } from '../../src/core/shadow/shadow-database.js';
import { SURREALDB } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/** Lint's made-up rows: each check in a scratch database of its own, removed by the next check, the last one on close. */
describe('the made-up rows leave no scratch database behind', () => {
  let folder: TempMigrations;
  afterEach(() => folder.dispose());

  it('removes each scratch database, the last one when the sampler closes', async () => {
    folder = await tempMigrations({
      '0001_post.surql': 'DEFINE TABLE post SCHEMAFULL;\nDEFINE FIELD views ON post TYPE int;\n',
      '0002_slug.surql': 'DEFINE FIELD slug ON post TYPE string;\nUPDATE post SET views += 1;\n',
      '0003_tag.surql': 'DEFINE FIELD tag ON post TYPE option<string>;\nUPDATE post SET tag = "x";\n',
    });
    const shadow = await ShadowDatabase.open(folder.dir, { surrealdb: SURREALDB });
    const databases = async () =>
      Object.keys(
        (await shadow.db.query<[{ databases: Record<string, string> }]>('INFO FOR NS').collect())[0].databases,
      );
    try {
      const sampler = (await RowSampler.open(shadow.db, SURREALDB, true))!;
      expect(await shadow.applyUp(1)).toBeUndefined();
      // 0002 fails over the made-up rows (the new required field): the check tells, in a scratch database.
      expect(await sampler.check(shadow.up[1]!, await shadow.schema())).toMatchObject({ line: 2, tables: ['post'] });
      expect(await shadow.applyUp(2)).toBeUndefined();
      expect(await sampler.check(shadow.up[2]!, await shadow.schema())).toBeUndefined();
      expect((await databases()).sort()).toEqual(['sbl_sample_1', 'shadow']);
      await sampler.close();
      expect(await databases()).toEqual(['shadow']);
    } finally {
      await shadow.close();
    }
  });
});
