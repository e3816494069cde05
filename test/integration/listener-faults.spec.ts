import path from 'node:path';
import { MigrationError, MigrationManager, type MigrationEventName } from '../../src/index.js';
import { startNode, supportDir } from '../support/child.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { THREE_TABLES } from '../support/schema-fixtures.js';

/*
 * Listeners that throw or reject with anything at all, on the real MigrationManager: the run goes
 * on, every migration is applied, the lock is released, and each fault is logged as a warning.
 */

const EVENTS: MigrationEventName[] = [
  'migrating',
  'migrated',
  'failed',
  'rollingBack',
  'rolledBack',
  'lockWaiting',
  'lockAcquired',
];

/** The thrown values, with how the warning describes each (after "a listener threw"/"rejected with"). */
const THROWN: [label: string, value: unknown, described: string | undefined][] = [
  ['undefined', undefined, 'undefined'],
  ['null', null, 'null'],
  ['a string', 'metrics down', 'the string "metrics down"'],
  ['a number', 42, 'the number 42'],
  ['an object without message', { code: 'E_LISTENER' }, 'an object: {"code":"E_LISTENER"}'],
  // An Error is reported as it is.
  ['an Error', new Error('listener bug'), undefined],
];

const PREFIX = 'A migration event listener threw: ';

/** The warnings expected for `count` events, each with a throwing and a rejecting listener. */
function expectedWarnings(described: string | undefined, count: number, sync = true): string[] {
  const one = (how: string) => PREFIX + (described === undefined ? 'listener bug' : `a listener ${how} ${described}`);
  return [...(sync ? Array<string>(count).fill(one('threw')) : []), ...Array<string>(count).fill(one('rejected with'))];
}

/** One turn of the event loop: Node reports unhandled rejections before it ends. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('event listeners that throw, on the embedded engine', () => {
  let folder: TempMigrations;
  let manager: MigrationManager | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await manager?.close();
    manager = undefined;
    await folder?.dispose();
  });

  /**
   * A manager whose every event has a throwing option handler (unless `syncToo` is false) and a
   * rejecting async listener; `seen` records the events emitted.
   */
  async function faultyManager(value: unknown, files: Record<string, string>, syncToo = true) {
    folder = await tempMigrations(files);
    const warnings: string[] = [];
    const seen: string[] = [];
    const logger = { log: () => undefined, error: () => undefined, warn: (message: string) => warnings.push(message) };
    const on = Object.fromEntries(
      EVENTS.map((name) => [
        name,
        () => {
          throw value;
        },
      ]),
    );
    const created = (manager = await MigrationManager.create({
      ...memOptions(folder.dir),
      logger,
      ...(syncToo ? { on } : {}),
    }));
    for (const name of EVENTS) {
      created.events.on(name, () => seen.push(name));
      created.events.on(name, async () => {
        await Promise.resolve();
        throw value;
      });
    }
    return { manager: created, warnings, seen };
  }

  const THREE = THREE_TABLES;

  it.each(THROWN)(
    'applies and rolls back every migration when listeners throw %s',
    async (_label, value, described) => {
      const { manager: m, warnings, seen } = await faultyManager(value, THREE);

      const applied = await m.runMigrationUp();
      expect(applied.map((r) => r.version)).toEqual([1, 2, 3]);
      expect(await m.getCurrentVersion()).toBe(3);
      expect(await m.lockHolder()).toBeUndefined();

      const rolledBack = await m.rollback({ steps: 2 });
      expect(rolledBack.map((r) => r.version)).toEqual([3, 2]);
      expect(await m.getCurrentVersion()).toBe(1);
      expect(await m.lockHolder()).toBeUndefined();

      await nextTurn();
      expect(unhandled).toEqual([]);
      expect(seen).toEqual([
        ...['lockAcquired', 'migrating', 'migrated', 'migrating', 'migrated', 'migrating', 'migrated'],
        ...['lockAcquired', 'rollingBack', 'rolledBack', 'rollingBack', 'rolledBack'],
      ]);
      // One warning for the throwing handler and one for the rejecting listener, per event.
      expect([...warnings].sort()).toEqual(expectedWarnings(described, seen.length).sort());
    },
  );

  it.each(THROWN)(
    'rejects with the MigrationError, not the listener fault, when listeners throw %s',
    async (_label, value, described) => {
      const {
        manager: m,
        warnings,
        seen,
      } = await faultyManager(value, {
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
        '0002_b.surql': 'THROW "b fails";',
      });

      const error = await m.runMigrationUp().then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).message).toMatch(/b fails/);
      expect(await m.getCurrentVersion()).toBe(1);
      expect(await m.lockHolder()).toBeUndefined();
      await nextTurn();
      expect(unhandled).toEqual([]);
      expect(seen).toEqual(['lockAcquired', 'migrating', 'migrated', 'migrating', 'failed']);
      expect([...warnings].sort()).toEqual(expectedWarnings(described, seen.length).sort());
    },
  );

  it('keeps an async listener rejecting with null mid-run from becoming an unhandled rejection', async () => {
    const { manager: m, warnings, seen } = await faultyManager(null, THREE, false);

    const applied = await m.runMigrationUp();

    expect(applied.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(await m.lockHolder()).toBeUndefined();
    await nextTurn();
    expect(unhandled).toEqual([]);
    expect(seen).toHaveLength(7);
    expect(warnings).toEqual(expectedWarnings('null', seen.length, false));
  });

  // Jest reports an unhandled rejection as a test failure; in a process of its own it is fatal.
  // Needs `npm run build`: the child runs the built library.
  it('lets a process whose listeners throw undefined and reject with null finish its run and exit 0', async () => {
    folder = await tempMigrations(THREE);
    const child = startNode(path.join(supportDir, 'listener-fault-child.mjs'), [folder.dir]);

    const code = await child.exited;

    expect({ code, stderr: child.stderr() }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(child.stdout().trim().split('\n').pop()!) as {
      ok: boolean;
      applied: number[];
      lockHolder: unknown;
      warnings: string[];
    };
    expect(report).toMatchObject({ ok: true, applied: [1, 2, 3], lockHolder: null });
    // lockAcquired, then migrating and migrated three times: a throw and a rejection each.
    expect(report.warnings).toHaveLength(14);
    expect(new Set(report.warnings)).toEqual(
      new Set([`${PREFIX}a listener threw undefined`, `${PREFIX}a listener rejected with null`]),
    );
  });
});
