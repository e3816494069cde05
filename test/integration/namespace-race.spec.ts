import type { Surreal } from 'surrealdb';
import { useRetrying, useTargetInTurn } from '../../src/core/db/server-lists.js';
import { MigrationManager, type MigrationTarget } from '../../src/index.js';
import { describeOn, memClient, SURREALDB } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';

/**
 * Many targets' sessions opening at once in a namespace that does not exist yet. On SurrealDB
 * 3.0.2, sessions whose `use` defines the same new namespace at once can each commit it, and a
 * database defined under the namespace that lost is gone: its `use` succeeded, and its next read
 * is refused ("Couldn't write to a read only transaction"). The CI run of the fleet kit met it
 * (`createMigratedTenants` over three tenants in a new namespace). A target's first `use` of a
 * namespace now runs alone (`useTargetInTurn`).
 */

const SESSIONS = 16;
const ROUNDS = 150;

/**
 * How many of `SESSIONS` sessions per round, each `use`-ing its own database of a new namespace, lost
 * it, over `rounds` rounds (or until the first loss, with `untilLost`).
 */
async function lostDatabases(
  db: Surreal,
  prefix: string,
  use: (
    session: Awaited<ReturnType<Surreal['newSession']>>,
    where: { namespace: string; database: string },
  ) => Promise<void>,
  { rounds = ROUNDS, untilLost = false }: { rounds?: number; untilLost?: boolean } = {},
): Promise<number> {
  let lost = 0;
  for (let round = 0; round < rounds && !(untilLost && lost > 0); round++) {
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const session = await db.newSession();
        try {
          await use(session, { namespace: `${prefix}${round}`, database: `d${i}` });
          const [info] = await session
            .query<[{ tables: Record<string, unknown> }]>('INFO FOR DB')
            .collect()
            .catch(() => [undefined]);
          if (info === undefined) lost++;
        } finally {
          await session.closeSession();
        }
      }),
    );
  }
  return lost;
}

describeOn(['v3'], 'sessions are SurrealDB 3')('the first use of a new namespace by many sessions at once', () => {
  let db: Surreal;
  beforeAll(async () => {
    db = await memClient();
  });
  afterAll(async () => {
    await db.close();
  });

  it(`loses databases when the sessions define the namespace side by side (the race, present on ${SURREALDB === 3 ? 'this engine' : 'SurrealDB 3.0.2'})`, async () => {
    // The control: this setup provokes the race, so the next test can fail. If an engine upgrade
    // fixes the race, this fails, and the guard can be weighed again.
    // Up to 2 000 rounds, stopping at the first loss (measured: about one round in seven loses one).
    expect(await lostDatabases(db, 'plain', useRetrying, { rounds: 2000, untilLost: true })).toBeGreaterThan(0);
  });

  it('loses none when the first use of each namespace runs alone (useTargetInTurn)', async () => {
    expect(await lostDatabases(db, 'turn', (session, where) => useTargetInTurn(db, session, where))).toBe(0);
  });

  describe('a manager over many targets in a new namespace', () => {
    let folder: TempMigrations;
    beforeAll(async () => {
      folder = await tempMigrations({
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
        '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
      });
    });
    afterAll(() => folder.dispose());

    it('migrates every target, round after round', async () => {
      const failures: string[] = [];
      for (let round = 0; round < 100; round++) {
        const targets: MigrationTarget[] = Array.from({ length: SESSIONS }, (_, i) => ({
          namespace: `fleet${round}`,
          database: `t${i}`,
        }));
        const manager = await MigrationManager.create({
          client: db,
          namespace: `fleet${round}`,
          targets,
          concurrency: SESSIONS,
          directory: folder.dir,
          logger: false,
        });
        try {
          await manager.runMigrationUp().catch((error: unknown) => failures.push(String(error)));
          const status = await manager.status();
          expect(status.targets.map((t) => t.currentVersion)).toEqual(targets.map(() => 2));
        } finally {
          await manager.close();
        }
      }
      expect(failures).toEqual([]);
    });
  });
});
