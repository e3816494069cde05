import type { MigrationManager } from '../../src/index.js';
import { isUndecodableAnswer } from '../../src/core/db/surreal-errors.js';
import { memClient } from '../support/engine.js';
import { memManagers, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { RELAY_AUTH, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';

/**
 * A statement whose answer the client cannot decode (a record holding a regex, which has no CBOR
 * form) ran on the server: a failed statement answers with its error as text, which always
 * decodes. So the runner records it as applied, in a no-transaction file as in a transaction.
 */

/** Statements whose answer holds a regex, each of a different kind, then one with a plain answer. */
const REGEX_ANSWERS = [
  'CREATE pattern:a SET rule = <regex> "^a+$"',
  'UPSERT pattern:b SET rule = <regex> "b.*"',
  'UPDATE pattern:a SET note = "x"',
  'SELECT rule FROM pattern:b',
  'SELECT * FROM pattern',
];

const files = (noTransaction: boolean): Record<string, string> => ({
  '0001_patterns.surql': `${noTransaction ? '-- migrate:no-transaction\n' : ''}DEFINE TABLE pattern SCHEMALESS;\n${REGEX_ANSWERS.map((s) => `${s};`).join('\n')}\nCREATE pattern:z SET rule = NONE;\n`,
  '0002_after.surql': 'DEFINE TABLE after SCHEMALESS;\n',
});

async function settled(manager: MigrationManager) {
  const status = await manager.status();
  const [info] = await manager.db.query<[{ tables: Record<string, string> }]>('INFO FOR DB');
  const [ids] =
    'pattern' in info.tables
      ? await manager.db.query<[string[]]>('RETURN array::sort((SELECT VALUE meta::id(id) FROM pattern))')
      : [[]];
  return {
    applied: status.applied.map((a) => a.version),
    failed: status.failed,
    pending: status.pending.map((p) => p.version),
    ids,
  };
}

describe('an answer the client cannot decode', () => {
  let folder: TempMigrations;
  const managers = memManagers(() => folder);
  afterEach(async () => {
    await managers.closeAll();
    await folder?.dispose();
  });

  it('is what both engines give for a regex, and no other error is taken for one', async () => {
    const db = await memClient({ namespace: 'n', database: 'd' });
    try {
      const caught = await db.query('RETURN <regex> "a"').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(caught).toBeDefined();
      expect(isUndecodableAnswer(caught)).toBe(true);
      expect(isUndecodableAnswer(new Error('The table does not exist'))).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('a statement that fails, whatever its message says, still fails the no-transaction file', async () => {
    folder = await tempMigrations({
      '0001_throws.surql':
        '-- migrate:no-transaction\nCREATE pattern:a SET rule = <regex> "a";\nTHROW "Unsupported value type: Regex";\nCREATE pattern:b;\n',
    });
    const manager = await managers.open();
    await expect(manager.runMigrationUp()).rejects.toThrow(/0001_throws\.surql:3:1[\s\S]*statement 1 of 3 was applied/);
    const after = await settled(manager);
    expect(after).toMatchObject({ applied: [], pending: [], ids: ['a'] });
    expect(after.failed.map((f) => f.version)).toEqual([1]);
  });

  it.each([
    ['a no-transaction file', true],
    ['a transactional file', false],
  ])('in %s: every statement ran once, and the file is recorded as applied', async (_what, noTransaction) => {
    folder = await tempMigrations(files(noTransaction));
    const manager = await managers.open();
    const applied = await manager.runMigrationUp();
    expect(applied.map((a) => a.version)).toEqual([1, 2]);
    expect(await settled(manager)).toEqual({ applied: [1, 2], failed: [], pending: [], ids: ['a', 'b', 'z'] });
    // Nothing is left to settle: a second run has nothing to do.
    expect(await manager.runMigrationUp()).toEqual([]);
  });

  it.each([
    ['a no-transaction file', true],
    ['a transactional file', false],
  ])('in %s: a dry run passes and leaves nothing', async (_what, noTransaction) => {
    folder = await tempMigrations(files(noTransaction));
    const manager = await managers.open();
    await expect(manager.dryRun()).resolves.toBeDefined();
    expect(await settled(manager)).toEqual({ applied: [], failed: [], pending: [1, 2], ids: [] });
  });

  describe('over a server', () => {
    let relay: WsRelay;
    beforeAll(async () => {
      relay = await startWsRelay({ path: 'mem://', user: RELAY_ROOT.user, pass: RELAY_ROOT.pass });
    });
    afterAll(() => relay?.close());

    it('a no-transaction file whose statements answer with a regex is applied, once', async () => {
      folder = await tempMigrations(files(true));
      const manager = await managers.open({ url: relay.url, auth: RELAY_AUTH, namespace: 'regex', database: 'ws' });
      expect((await manager.runMigrationUp()).map((a) => a.version)).toEqual([1, 2]);
      expect(await settled(manager)).toEqual({ applied: [1, 2], failed: [], pending: [], ids: ['a', 'b', 'z'] });
    });
  });
});
