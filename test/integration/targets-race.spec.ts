import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lastJson, startNode, supportDir, type Child } from '../support/child.js';
import { CONNECTED_BARRIER, startCli, type CliProcess } from '../support/cli-process.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { connectWs, RELAY_AUTH, RELAY_ENV, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';

const tenantsChild = path.join(supportDir, 'tenants-child.mjs');

/** Four migrations whose effects are not idempotent: each run adds a row to `effect`. */
const counted: Record<string, string> = {
  '0001_effects.surql': 'DEFINE TABLE effect SCHEMALESS;\nCREATE effect SET m = 1;',
  '0002_a.surql': 'DEFINE TABLE a SCHEMALESS;\nCREATE effect SET m = 2;',
  '0003_b.surql': 'DEFINE TABLE b SCHEMALESS;\nCREATE effect SET m = 3;',
  '0004_c.surql': 'DEFINE TABLE c SCHEMALESS;\nCREATE effect SET m = 4;',
};
const VERSIONS = [1, 2, 3, 4];
const NAMESPACE = 'tenants';
const TENANTS = Array.from({ length: 50 }, (_, i) => ({
  namespace: NAMESPACE,
  database: `t${String(i + 1).padStart(2, '0')}`,
}));

interface Applied {
  namespace: string;
  database: string;
  version: number;
  byAnother: boolean;
}

/** What tenants-child.mjs prints last. */
interface Report {
  ok: boolean;
  targets?: number;
  migrated: Applied[];
  results?: Applied[];
  code?: string;
  message?: string;
}

/** What `surreal-migrate up --targets … --json` prints: one entry per target. */
interface CliUpDocument {
  ok: boolean;
  command: string;
  summary: Record<string, number>;
  targets: {
    namespace: string;
    database: string;
    state: string;
    ok: boolean;
    currentVersion: number;
    applied: { version: number; byAnother: boolean }[];
  }[];
}

const report = (child: Child) => lastJson<Report>(child);

/** Per tenant: its history's versions, each migration's effect count, its tables, and lock records left. */
async function tenantOutcomes(relay: WsRelay) {
  const db = await connectWs(relay.url, {}, { auth: RELAY_AUTH });
  try {
    const outcomes: Record<
      string,
      { versions: number[]; effects: Record<number, number>; tables: string[]; locks: number }
    > = {};
    for (const tenant of TENANTS) {
      await db.use(tenant);
      const [versions, effects, locks, info] = await db.query<
        [number[], { m: number; n: number }[], unknown[], { tables: Record<string, string> }]
      >(
        'SELECT VALUE version FROM _sbl_migrations ORDER BY version; ' +
          'SELECT m, count() AS n FROM effect GROUP BY m; SELECT * FROM _sbl_migrations_lock; INFO FOR DB',
      );
      outcomes[tenant.database] = {
        versions,
        effects: Object.fromEntries(effects.map((e) => [e.m, e.n])),
        tables: Object.keys(info.tables).sort(),
        locks: locks.length,
      };
    }
    return outcomes;
  } finally {
    await db.close();
  }
}

const everyTenantCurrent = Object.fromEntries(
  TENANTS.map((t) => [
    t.database,
    {
      versions: VERSIONS,
      effects: { 1: 1, 2: 1, 3: 1, 4: 1 },
      tables: ['_sbl_migrations', '_sbl_migrations_failed', '_sbl_migrations_lock', 'a', 'b', 'c', 'effect'],
      locks: 0,
    },
  ]),
);

/**
 * How long one connection attempt may take. The relay serving the embedded SurrealDB 2 answers one
 * request at a time, for every connection of every replica (a target's own, on SurrealDB 2): a
 * connection may wait its turn longer than the default 3 s on a busy machine.
 */
const CONNECT = { timeoutMs: 30_000 };

/**
 * Starts the replicas (each signed in as the relay's root user), waits until each is connected with
 * its targets resolved, then releases them together.
 */
async function race(kind: 'manager' | 'nest', count: number, relay: WsRelay, dir: string, options: object) {
  const children = Array.from({ length: count }, () =>
    startNode(tenantsChild, [kind, relay.url, dir, JSON.stringify({ auth: RELAY_AUTH, connect: CONNECT, ...options })]),
  );
  try {
    await Promise.all(children.map((c) => c.waitFor('READY')));
  } catch (error) {
    children.forEach((c) => c.kill('SIGKILL'));
    throw error;
  }
  children.forEach((c) => c.kill('SIGUSR2'));
  const codes = await Promise.all(children.map((c) => c.exited));
  expect({ codes, failed: children.filter((_, i) => codes[i] !== 0).map((c) => c.stdout() + c.stderr()) }).toEqual({
    codes: children.map(() => 0),
    failed: [],
  });
  return children.map(report);
}

/** Every (tenant, version) that a process applied itself, as `database:version`, sorted. */
function appliedHere(reports: Report[], pick: (r: Report) => Applied[]): string[] {
  return reports
    .flatMap((r) => pick(r).filter((a) => !a.byAnother))
    .map((a) => `${a.namespace}/${a.database}:${a.version}`)
    .sort();
}

const everyPair = TENANTS.flatMap((t) => VERSIONS.map((v) => `${t.namespace}/${t.database}:${v}`)).sort();

describe('replicas racing over many targets', () => {
  let folder: TempMigrations;
  let relay: WsRelay;
  beforeEach(async () => {
    folder = await tempMigrations(counted);
    // It requires the root sign-in, as `surreal start --user root --pass root` does.
    relay = await startWsRelay({ path: 'mem://', ...RELAY_ROOT });
  });
  afterEach(async () => {
    await relay.close();
    await folder.dispose();
  });

  it('three processes over the same 50 new tenant databases apply each migration once per tenant', async () => {
    const reports = await race('manager', 3, relay, folder.dir, { namespace: NAMESPACE, targets: TENANTS });

    // Each (tenant, version) was applied by exactly one process; the others found it applied.
    expect(appliedHere(reports, (r) => r.results!)).toEqual(everyPair);
    expect(appliedHere(reports, (r) => r.migrated)).toEqual(everyPair);
    for (const r of reports) {
      expect(r.targets).toBe(50);
      // What a process returned is what its events said (results in the targets' order).
      const sorted = (list: Applied[]) => list.map((a) => JSON.stringify(a)).sort();
      expect(sorted(r.results!)).toEqual(sorted(r.migrated));
    }
    expect(await tenantOutcomes(relay)).toEqual(everyTenantCurrent);
  });

  it('three `surreal-migrate up --targets` processes over the same 50 new tenants apply each migration once per tenant', async () => {
    const root = path.dirname(folder.dir);
    await writeFile(path.join(root, 'tenants.json'), JSON.stringify(TENANTS));
    const args = ['up', '--targets', 'tenants.json', '--url', relay.url, '--dir', folder.dir, '--json'];
    args.push('--connect-timeout', String(CONNECT.timeoutMs));
    const clis: CliProcess[] = Array.from({ length: 3 }, () =>
      startCli(args, { cwd: root, env: RELAY_ENV, preload: [CONNECTED_BARRIER] }),
    );
    let codes: (number | string)[];
    try {
      // Each is connected with its 50 targets read: release them together.
      await Promise.all(clis.map((c) => c.waitForStderr(/^barrier:ready$/m)));
      clis.forEach((c) => c.release());
      codes = await Promise.all(clis.map((c) => c.exited));
    } finally {
      clis.forEach((c) => c.kill());
    }
    expect({ codes, failed: clis.filter((_, i) => codes[i] !== 0).map((c) => c.stdout() + c.stderr()) }).toEqual({
      codes: [0, 0, 0],
      failed: [],
    });

    const docs = clis.map((c) => JSON.parse(c.stdout()) as CliUpDocument);
    for (const doc of docs) {
      expect(doc).toMatchObject({ ok: true, command: 'up', summary: { total: 50, ok: 50, failed: 0, notStarted: 0 } });
      expect(doc.targets.map((t) => [t.namespace, t.database, t.state, t.ok, t.currentVersion])).toEqual(
        TENANTS.map((t) => [t.namespace, t.database, 'done', true, 4]),
      );
    }
    // Each (tenant, version) is in exactly one process's `applied` as its own; a process that
    // lists it too has it as applied by another replica (or leaves it out: it found nothing left).
    const own = docs.flatMap((doc) =>
      doc.targets.flatMap((t) =>
        t.applied.filter((a) => !a.byAnother).map((a) => `${t.namespace}/${t.database}:${a.version}`),
      ),
    );
    expect(own.sort()).toEqual(everyPair);
    // And no process lists a version of a tenant twice.
    for (const doc of docs) {
      for (const t of doc.targets) expect(new Set(t.applied.map((a) => a.version)).size).toBe(t.applied.length);
    }
    expect(await tenantOutcomes(relay)).toEqual(everyTenantCurrent);
  });

  it('two Nest apps booting over the same 50 tenants (allDatabases) both start, and each migration runs once per tenant', async () => {
    // The tenants' databases exist, as after their sign-ups; nothing else is in them.
    const db = await connectWs(relay.url, {}, { auth: RELAY_AUTH });
    try {
      await db.use({ namespace: NAMESPACE, database: TENANTS[0]!.database });
      await db.query(TENANTS.map((t) => `DEFINE DATABASE IF NOT EXISTS ${t.database};`).join(' '));
    } finally {
      await db.close();
    }

    const reports = await race('nest', 2, relay, folder.dir, { namespace: NAMESPACE, allDatabases: NAMESPACE });

    for (const r of reports) expect(r).toMatchObject({ ok: true, targets: 50 });
    expect(appliedHere(reports, (r) => r.migrated)).toEqual(everyPair);
    expect(await tenantOutcomes(relay)).toEqual(everyTenantCurrent);
  });
});
