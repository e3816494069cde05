import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { MigrationManager } from '../../src/index.js';
import { lastJson, startNode, supportDir } from '../support/child.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { connectWs, RELAY_AUTH, RELAY_ROOT, startWsRelay } from '../support/ws-relay.js';
import { memClient } from '../support/engine.js';

/**
 * Repeatable definitions under many replicas: each changed file is applied once, under the lock
 * the versions take, and the record's fence keeps a second apply of the same text from landing.
 * The repeatable here counts its runs (an UPSERT that adds one), so a second apply would show.
 */

const fleetChild = path.join(supportDir, 'fleet-child.mjs');

const VERSIONS = {
  '0001_hits.surql': 'DEFINE TABLE hits SCHEMALESS;',
  '0002_person.surql': 'DEFINE TABLE person SCHEMALESS;',
};
const counting = (label: string) =>
  `DEFINE FUNCTION OVERWRITE fn::label() { RETURN '${label}' };\nUPSERT hits:runs SET n += 1;\n`;

let folder: TempMigrations;

async function writeRepeatable(text: string): Promise<void> {
  await mkdir(path.join(folder.dir, 'repeatable'), { recursive: true });
  await writeFile(path.join(folder.dir, 'repeatable', 'label.surql'), text);
}

async function runs(db: Surreal): Promise<number | undefined> {
  const [n] = await db.query<[number | undefined]>('SELECT VALUE n FROM ONLY hits:runs');
  return n;
}

afterEach(() => folder?.dispose());

describe('repeatable definitions and replicas', () => {
  it('6 processes against one ws:// server apply a changed repeatable once, each time it changes', async () => {
    folder = await tempMigrations(VERSIONS);
    await writeRepeatable(counting('first'));
    const relay = await startWsRelay({ path: 'mem://', ...RELAY_ROOT });
    const race = async () => {
      const children = Array.from({ length: 6 }, () =>
        startNode(fleetChild, [relay.url, folder.dir, JSON.stringify({ auth: RELAY_AUTH, lock: { retryMs: 20 } })]),
      );
      const codes = await Promise.all(children.map((c) => c.exited));
      expect({ codes, out: children.filter((_, i) => codes[i] !== 0).map((c) => c.stdout() + c.stderr()) }).toEqual({
        codes: [0, 0, 0, 0, 0, 0],
        out: [],
      });
      return children.map((c) => lastJson<{ ok: boolean }>(c).ok);
    };
    try {
      expect(await race()).toEqual([true, true, true, true, true, true]);
      const db = await connectWs(relay.url, { namespace: 'test', database: 'test' }, { auth: RELAY_AUTH });
      try {
        expect(await runs(db)).toBe(1);
        await writeRepeatable(counting('second'));
        await race();
        expect(await runs(db)).toBe(2);
        const [label] = await db.query<[string]>('RETURN fn::label()');
        expect(label).toBe('second');
        // Unchanged: no replica sends it again.
        await race();
        expect(await runs(db)).toBe(2);
      } finally {
        await db.close();
      }
    } finally {
      await relay.close();
    }
  });

  it('the fence: when another process records the same text first, this apply keeps nothing', async () => {
    folder = await tempMigrations(VERSIONS);
    await writeRepeatable(counting('only'));
    const db = await memClient({ namespace: 'fence', database: 'fence' });
    // Another replica (whose lease this one took over) commits the same text just before this
    // replica's request reaches the server.
    let raced = false;
    const client = new Proxy(db, {
      get(target, property, receiver) {
        if (property === 'query') {
          return (sql: string, vars?: Record<string, unknown>) => {
            if (!raced && typeof sql === 'string' && sql.includes('__sbl_rid') && vars) {
              raced = true;
              const another = { rid: vars.__sbl_rid, name: vars.__sbl_name, sum: vars.__sbl_checksum };
              return {
                responses: async () => {
                  await target
                    .query('UPSERT $rid CONTENT { name: $name, checksum: $sum, applied_by: "another" }', another)
                    .responses();
                  return target.query(sql, vars).responses();
                },
              };
            }
            return target.query(sql, vars);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      const manager = await MigrationManager.create({ client, directory: folder.dir, logger: false });
      await manager.runMigrationUp();
      await manager.close();
      expect(raced).toBe(true);
      // The script's UPSERT did not land: the fence rolled the whole transaction back.
      expect(await runs(db)).toBeUndefined();
      const [by] = await db.query<[string]>('SELECT VALUE applied_by FROM ONLY _sbl_migrations_repeatable:label');
      expect(by).toBe('another');
    } finally {
      await db.close();
    }
  });
});
