/**
 * Prisma's way: the shadow in a scratch namespace of the user's own server (`shadow: { url }`,
 * `--shadow-url`). The server judges the folder, so the analysis speaks exactly its version; the
 * scratch namespace has a unique name, and is removed afterwards, on failure too; nothing else on
 * the server is touched. Over the relay, which requires a root sign-in, on the run's engine.
 */
import { lintOtherThanDataLoss } from '../support/lint-report.js';
import { startCli } from '../support/cli-process.js';
import { SURREALDB } from '../support/engine.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { connectWs, startWsRelay, type WsRelay } from '../support/ws-relay.js';
import type { Surreal } from 'surrealdb';

const ROOT = { username: 'root', password: 'root' };

describe(`a shadow on the user's server (SurrealDB ${SURREALDB})`, () => {
  let relay: WsRelay;
  let db: Surreal;
  let folder: TempMigrations | undefined;

  beforeAll(async () => {
    relay = await startWsRelay({ path: 'mem://', user: ROOT.username, pass: ROOT.password });
    db = await connectWs(relay.url);
    await db.signin(ROOT);
    // Someone else's data on the same server: the shadow must leave it alone.
    await db.query('USE NS app DB app; DEFINE TABLE person SCHEMALESS; CREATE person:ada SET name = "Ada";');
  });

  afterAll(async () => {
    await db?.close();
    await relay?.close();
  });

  afterEach(async () => {
    await folder?.dispose();
    folder = undefined;
  });

  /** The server's namespaces; the app's data, read back. */
  async function server(): Promise<{ namespaces: string[]; people: unknown[] }> {
    const [root, , people] = await db.query<[{ namespaces: Record<string, string> }, unknown, unknown[]]>(
      'INFO FOR ROOT; USE NS app DB app; SELECT VALUE name FROM person;',
    );
    return { namespaces: Object.keys(root.namespaces).sort(), people };
  }

  it('lints the folder there, as that server judges it, and removes its scratch namespace', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0001_a.down.surql': 'REMOVE TABLE a;',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\nDEFINE FIELD n ON b TYPE int;',
      // Leaves the field behind: irreversible.
      '0002_b.down.surql': 'REMOVE TABLE c;',
    });
    const before = await server();
    const report = await lintOtherThanDataLoss({ directory: folder.dir, shadow: { url: relay.url, auth: ROOT } });
    expect(report.checked).toBe(2);
    expect(report.reversible).toBe(1);
    expect(report.problems.map((p) => [p.kind, p.file.split('/').pop()])).toEqual(
      expect.arrayContaining([['down-failed', '0002_b.down.surql']]),
    );
    expect(await server()).toEqual(before);
  });

  it('speaks the server’s version: SurrealDB 2 syntax passes on 2, and on 3 fails with the upgrade hint', async () => {
    folder = await tempMigrations({
      '0001_check.surql':
        'DEFINE TABLE person SCHEMALESS;\nDEFINE FIELD name ON person TYPE string ASSERT type::is::string($value);',
      '0001_check.down.surql': 'REMOVE TABLE person;',
    });
    // `surrealdb` says which embedded engine would judge; a server judges by its own version.
    const report = await lintOtherThanDataLoss({
      directory: folder.dir,
      surrealdb: 3,
      shadow: { url: relay.url, auth: ROOT },
    });
    if (SURREALDB === 2) {
      expect(report.problems).toEqual([]);
    } else {
      expect(report.problems).toEqual([
        expect.objectContaining({ kind: 'syntax', hint: expect.stringMatching(/`type::is::x` is `type::is_x`/) }),
      ]);
    }
  });

  it('the CLI: a failing schema build still removes the namespace, and the password is never printed', async () => {
    folder = await tempMigrations({ '0001_bad.surql': 'DEFINE TABLE a SCHEMALESS;\nTHROW "no";' });
    const before = await server();
    const credentialed = relay.url.replace('ws://', `ws://${ROOT.username}:${ROOT.password}@`);
    const cli = startCli(['schema', '--dir', folder.dir, '--shadow-url', credentialed], { cwd: folder.dir });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/0001_bad\.surql:2/);
    expect(cli.stderr()).toMatch(/no/);
    expect(`${cli.stdout()}${cli.stderr()}`).not.toContain(`${ROOT.username}:${ROOT.password}@`);
    expect(await server()).toEqual(before);
  });

  it('refuses a shadow URL that is not a server, naming the option', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const cli = startCli(['lint', '--dir', folder.dir, '--shadow-url', 'mem://'], { cwd: folder.dir });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/`shadow\.url`/);
    expect(cli.stderr()).toMatch(/--shadow-url or SURREAL_SHADOW_URL/);
  });
});
