// Run by testing-kit-exit.spec.ts: uses the kit and ends without process.exit().
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMigratedDatabase } from '../../../dist/testing/index.js';

const dir = await mkdtemp(path.join(tmpdir(), 'sbl-plain-exit-'));
await writeFile(
  path.join(dir, '0001_a.surql'),
  'DEFINE TABLE a SCHEMAFULL;\nDEFINE FIELD v ON a TYPE int;\nDEFINE INDEX av ON a FIELDS v;',
);
await writeFile(path.join(dir, '0002_b.surql'), 'CREATE a:1 SET v = 1;');
const first = await createMigratedDatabase({ directory: dir });
const second = await createMigratedDatabase({ directory: dir });
const versions = [await first.manager.getCurrentVersion(), await second.manager.getCurrentVersion()];
await first.dispose();
await second.dispose();
await rm(dir, { recursive: true, force: true });
console.log('done', ...versions);
