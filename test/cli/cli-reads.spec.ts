import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Surreal } from 'surrealdb';
import { ENGINE } from '../support/engine.js';
import {
  connectWs,
  RELAY_AUTH,
  RELAY_ROOT,
  startWsRelay,
  type WsRelay,
  namespacesAndDatabases,
} from '../support/ws-relay.js';
import { cliProject, type CliProject } from './cli-harness.js';

/**
 * The CLI's reads create nothing (issue 19, item 7): `status --all-databases --ns saaas` (a typo)
 * used to define the namespace `saaas` on SurrealDB 3, through the connection's own `use`. Every
 * read command, of one database or of many, against a server signed in as root, leaves the
 * server's namespaces and databases as they were; `up` still creates its database.
 */
const MIGRATIONS = {
  '0001_users.surql': 'DEFINE TABLE user SCHEMAFULL;\nDEFINE PARAM $since VALUE time::now();\n',
  '0001_users.down.surql': 'REMOVE TABLE user;\nREMOVE PARAM $since;\n',
  '0002_posts.surql': 'DEFINE TABLE post SCHEMALESS;\n',
  '0002_posts.down.surql': 'REMOVE TABLE post;\n',
};

/** A CLI run's time: each run on SurrealDB 2 loads its wasm engine anew. */
const MANY_RUNS = ENGINE === 'v2' ? 240_000 : 90_000;

describe(`surreal-migrate reads of what does not exist create nothing (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let relay: WsRelay;
  let observer: Surreal;
  let project: CliProject;

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://', engine: ENGINE, ...RELAY_ROOT });
    observer = await connectWs(relay.url, {}, { auth: { ...RELAY_AUTH } });
    await observer.query('DEFINE NAMESPACE acme; USE NS acme; DEFINE DATABASE live;').responses();
    project = await cliProject(MIGRATIONS, { url: relay.url, namespace: 'acme', signIn: true });
  });
  afterAll(async () => {
    await project?.dispose();
    await observer?.close();
    await relay?.close();
  });

  const serverLists = () => namespacesAndDatabases(observer);

  it.each([
    ['a namespace that does not exist', ['--ns', 'saaas', '--db', 'live']],
    ['a database that does not exist', ['--ns', 'acme', '--db', 'typo']],
  ])(
    'every read command of %s answers "nothing applied" and creates nothing',
    async (_, where) => {
      const before = await serverLists();
      const status = await project.run(['status', ...where, '--json']);
      expect(status.code).toBe(0);
      expect(status.json()).toMatchObject({ ok: true, currentVersion: 0, applied: [], empty: true });
      expect(status.json().pending).toHaveLength(2);
      const text = await project.run(['status', ...where]);
      expect(text.stderr).toMatch(/is empty: it has no tables\./);
      if (ENGINE === 'v3') expect(text.stderr).toContain('It does not exist yet, and reading it created nothing');
      expect((await project.run(['status', '--check', ...where])).code).toBe(4);
      const plan = await project.run(['plan', ...where, '--json']);
      expect(plan.json().migrations.map((m: { version: number }) => m.version)).toEqual([1, 2]);
      expect((await project.run(['plan', '--down', ...where, '--json'])).json().migrations).toEqual([]);
      const dryRun = await project.run(['dry-run', ...where, '--json']);
      expect(dryRun.code).toBe(0);
      expect(dryRun.json()).toMatchObject({ notVerifiable: [], absent: true });
      expect((await project.run(['dry-run', ...where])).stdout).toContain(
        'Dry run: 2 migration(s) ran and were rolled back (on an empty shadow database: this one does not exist).',
      );
      expect((await project.run(['validate', ...where])).code).toBe(0);
      expect((await project.run(['validate', '--require-current', ...where])).code).toBe(1);
      const drift = await project.run(['drift', ...where, '--json']);
      expect(drift.json()).toMatchObject({ ok: true, drift: [], computed: [] });
      expect((await project.run(['validate', '--drift', ...where])).code).toBe(0);
      expect(await serverLists()).toEqual(before);
    },
    MANY_RUNS,
  );

  it(
    'over many targets: --all-databases of a namespace that does not exist, and a targets file of missing ones',
    async () => {
      const before = await serverLists();
      for (const command of ['status', 'validate', 'drift']) {
        const run = await project.run([command, '--all-databases', '--ns', 'saaas', '--json']);
        expect(run.code).toBe(0);
        expect(run.json()).toMatchObject({ targets: [], summary: { total: 0 } });
        expect(run.stderr).toContain('No targets: the namespace saaas has no database');
      }
      const file = path.join(project.root, 'targets.json');
      await writeFile(
        file,
        JSON.stringify([
          { namespace: 'acme', database: 'live' },
          { namespace: 'acme', database: 'typo' },
          { namespace: 'saaas', database: 'one' },
        ]),
      );
      const status = await project.run(['status', '--targets', file, '--json']);
      expect(
        status.json().targets.map((t: { currentVersion: number; pending: unknown[] }) => t.pending.length),
      ).toEqual([2, 2, 2]);
      const drift = await project.run(['drift', '--targets', file, '--json']);
      expect(drift.code).toBe(0);
      expect((await project.run(['validate', '--drift', '--targets', file])).code).toBe(0);
      expect(await serverLists()).toEqual(before);
    },
    MANY_RUNS,
  );

  it(
    'after which `up` creates the database, and drift right after it is none (its computed param reported once)',
    async () => {
      const up = await project.run(['up', '--ns', 'fresh', '--db', 'app']);
      expect(up.code).toBe(0);
      expect((await serverLists()).fresh).toEqual(['app']);
      const drift = await project.run(['drift', '--ns', 'fresh', '--db', 'app']);
      expect(drift.code).toBe(0);
      expect(drift.stdout).toBe(
        'computed param $since: computed at definition: value not compared\n' +
          'No drift: the schema is what the applied migrations make it.\n',
      );
      const json = await project.run(['validate', '--drift', '--ns', 'fresh', '--db', 'app', '--json']);
      expect(json.code).toBe(0);
      const doc = await project.run(['drift', '--ns', 'fresh', '--db', 'app', '--json']);
      expect(doc.json().computed).toEqual([
        {
          kind: 'param',
          table: null,
          name: 'since',
          clauses: ['value'],
          message: 'param $since: computed at definition: value not compared',
        },
      ]);
    },
    MANY_RUNS,
  );
});
