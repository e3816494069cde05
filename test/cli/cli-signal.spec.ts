import { startNode } from '../support/child.js';
import { CLI, cliProject, type CliProject } from './cli-harness.js';

describe('surreal-migrate up, interrupted', () => {
  let project: CliProject;
  afterEach(() => project.dispose());

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s lets the current migration commit, applies no more, releases the lock, exits %i',
    async (signal, code) => {
      project = await cliProject({
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
        '0002_slow.surql': 'DEFINE TABLE slow SCHEMALESS;\nSLEEP 1500ms;\nCREATE slow:done;',
        '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
      });
      const cli = startNode(CLI, ['up'], { cwd: project.root, env: project.env });
      await cli.waitFor(/0001_a\.surql in/);
      cli.kill(signal);
      expect(await cli.exited).toBe(code);
      expect(cli.stderr()).toMatch(new RegExp(`${signal}: stopping after the current migration`));
      expect(cli.stdout()).toMatch(/0002_slow\.surql in/);

      await project.withDb(async (db) => {
        const [versions] = await db.query<[number[]]>('SELECT VALUE version FROM _sbl_migrations ORDER BY version');
        expect(versions).toEqual([1, 2]);
        const [done] = await db.query<[unknown[]]>('SELECT * FROM slow');
        expect(done).toHaveLength(1);
        const [lock] = await db.query<[unknown[]]>('SELECT * FROM _sbl_migrations_lock');
        expect(lock).toEqual([]);
      });
    },
  );
});
