/* global beforeAll, afterAll, test, expect */
// Run by testing-kit-exit.spec.ts in a Jest of its own (no setupFiles): importing the kit is enough
// for the SDK's sessions to work under Jest's mixed realms, and the run still ends by itself.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMigratedTenants } from '../../../dist/testing/index.js';

let dir;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sbl-jest-tenants-'));
  await writeFile(
    path.join(dir, '0001_items.surql'),
    'DEFINE TABLE item SCHEMAFULL;\nDEFINE FIELD label ON item TYPE string;\nDEFINE INDEX item_label ON item FIELDS label UNIQUE;',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('several migrated tenants, each a database of its own', async () => {
  const kit = await createMigratedTenants({ directory: dir, tenants: ['acme', 'globex'] });
  try {
    const [acme, globex] = kit.tenants;
    await acme.db.query("CREATE item:1 SET label = 'a'").collect();
    const [inAcme] = await acme.db.query('SELECT VALUE label FROM item').collect();
    const [inGlobex] = await globex.db.query('SELECT VALUE label FROM item').collect();
    expect(inAcme).toEqual(['a']);
    expect(inGlobex).toEqual([]);
    expect(kit.applied.map((r) => `${r.target.database}:${r.version}`).sort()).toEqual(['acme:1', 'globex:1']);
  } finally {
    await kit.dispose();
  }
});
