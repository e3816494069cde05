/* global beforeAll, afterAll, test, expect */
// Run by testing-kit-exit.spec.ts in a Jest without forceExit, against the built library.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMigratedDatabase } from '../../../dist/testing/index.js';

let dir;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sbl-jest-exit-'));
  // Indexes: an engine that defined one keeps the process alive until the kit empties it.
  await writeFile(
    path.join(dir, '0001_items.surql'),
    'DEFINE TABLE item SCHEMAFULL;\nDEFINE FIELD label ON item TYPE string;\nDEFINE INDEX item_label ON item FIELDS label UNIQUE;',
  );
  await writeFile(path.join(dir, '0002_seed.surql'), "CREATE item:seed SET label = 'seed';");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('a copy, disposed', async () => {
  const testDb = await createMigratedDatabase({ directory: dir });
  expect(await testDb.manager.getCurrentVersion()).toBe(2);
  await testDb.dispose();
});

test('a copy whose client the test closes itself, after defining an index of its own', async () => {
  const testDb = await createMigratedDatabase({ directory: dir });
  await testDb.db.query('DEFINE INDEX item_extra ON item FIELDS label');
  await testDb.db.close();
});

test('a replay (template: false), signed in as a namespace user when disposed', async () => {
  const testDb = await createMigratedDatabase({ directory: dir, template: false });
  await testDb.db.query("DEFINE USER tester ON NAMESPACE PASSWORD 'pw' ROLES VIEWER");
  await testDb.db.signin({ namespace: 'test', username: 'tester', password: 'pw' });
  await testDb.dispose();
});
