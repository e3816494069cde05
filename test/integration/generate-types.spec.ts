/**
 * `generateTypes`: the TypeScript module of the tables a folder produces, built on a shadow of
 * the suite's engine (or on a shadow server, whose version decides), and nothing else touched.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { generateTypes, MigrationArgumentError, MigrationError, type SurrealDbMajor } from '../../src/index.js';
import { schemaTypes } from '../../src/core/analysis/schema-types.js';
import { readSchema } from '../../src/core/shadow/shadow.js';
import { repoRoot } from '../support/child.js';
import { memClient, SURREALDB } from '../support/engine.js';
import { extractSnippets } from '../support/readme-snippets.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { connectWs, RELAY_AUTH, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';

const UP = [
  'DEFINE TABLE account SCHEMAFULL;\nDEFINE FIELD name ON account TYPE string;\nDEFINE FIELD tags ON account TYPE set<string>;\n',
  'DEFINE TABLE likes TYPE RELATION IN account OUT account SCHEMAFULL;\nDEFINE FIELD since ON likes TYPE datetime DEFAULT time::now();\n',
];
const FOLDER = {
  '0001_account.surql': UP[0]!,
  '0001_account.down.surql': 'REMOVE TABLE account;\n',
  '0002_likes.surql': UP[1]!,
  '0002_likes.down.surql': 'REMOVE TABLE likes;\n',
};

/** The other major version than the suite's. */
const OTHER: SurrealDbMajor = SURREALDB === 3 ? 2 : 3;

describe(`generateTypes (SurrealDB ${SURREALDB})`, () => {
  let folder: TempMigrations | undefined;
  afterEach(async () => {
    await folder?.dispose();
    folder = undefined;
  });

  it('gives the module of the schema the folder produces, for the engine that built it, the same every call', async () => {
    folder = await tempMigrations(FOLDER);
    const text = await generateTypes({ directory: folder.dir, surrealdb: SURREALDB });
    // The same scripts applied by hand to a database of the same engine: the same schema, the same module.
    const db = await memClient({ namespace: 'n', database: 'd' });
    try {
      for (const up of UP) await db.query(up).collect();
      expect(text).toBe(schemaTypes(await readSchema(db, '_sbl_migrations'), SURREALDB));
    } finally {
      await db.close();
    }
    expect(text.split('\n')[0]).toContain(`a SurrealDB ${SURREALDB} schema`);
    expect(text).toContain(SURREALDB === 3 ? '  tags: Set<string>;\n' : '  tags: string[];\n');
    expect(text).toContain('export type LikesCreate = {');
    expect(text).not.toContain('_sbl_migrations');
    expect(await generateTypes({ directory: folder.dir, surrealdb: SURREALDB })).toBe(text);
  });

  it('rejects a version it has no engine for, by option, and a folder whose migration fails, by file and line', async () => {
    folder = await tempMigrations(FOLDER);
    const bad = generateTypes({ directory: folder.dir, surrealdb: 4 as SurrealDbMajor });
    await expect(bad).rejects.toThrow(MigrationArgumentError);
    await expect(bad).rejects.toThrow('types: surrealdb is 2 or 3 (the SurrealDB major version), not 4.');
    await folder.write(
      '0003_broken.surql',
      'DEFINE TABLE ok SCHEMALESS;\nDEFINE FIELD x ON account TYPE nosuchkind;\n',
    );
    const failed = generateTypes({ directory: folder.dir, surrealdb: SURREALDB });
    await expect(failed).rejects.toThrow(MigrationError);
    await expect(failed).rejects.toThrow(/0003_broken\.surql:2/);
  });

  it('gives the module docs/types.md shows for its example migration', async () => {
    const markdown = await readFile(path.join(repoRoot, 'docs/types.md'), 'utf8');
    const migration = /^```surql\n([^]*?)^```$/m.exec(markdown)?.[1];
    const shown = extractSnippets(markdown).find((s) => s.module === 'db-types.ts')?.code;
    expect([typeof migration, typeof shown]).toEqual(['string', 'string']);
    folder = await tempMigrations({ '0001_example.surql': migration! });
    const text = await generateTypes({ directory: folder.dir, surrealdb: SURREALDB });
    // The guide shows SurrealDB 3's module; SurrealDB 2's differs in the header's two lines only.
    const lines = text.split('\n');
    expect(lines[0]).toContain(`a SurrealDB ${SURREALDB} schema`);
    expect(SURREALDB === 3 ? lines : lines.slice(2)).toEqual(`${shown!}\n`.split('\n').slice(SURREALDB === 3 ? 0 : 2));
  });

  describe('on a shadow server', () => {
    let relay: WsRelay;
    let db: Surreal;
    beforeAll(async () => {
      relay = await startWsRelay({ path: 'mem://', ...RELAY_ROOT });
      db = await connectWs(relay.url, {}, { auth: RELAY_AUTH });
    });
    afterAll(async () => {
      await db?.close();
      await relay?.close();
    });

    it("writes for the server's version, whatever `surrealdb` says, and leaves no namespace behind", async () => {
      folder = await tempMigrations(FOLDER);
      const namespaces = async () =>
        Object.keys(((await db.query('INFO FOR ROOT').collect())[0] as { namespaces: object }).namespaces);
      const before = await namespaces();
      const text = await generateTypes({
        directory: folder.dir,
        surrealdb: OTHER,
        shadow: { url: relay.url, auth: RELAY_AUTH },
      });
      expect(text).toBe(await generateTypes({ directory: folder.dir, surrealdb: SURREALDB }));
      expect(await namespaces()).toEqual(before);
    });
  });
});
