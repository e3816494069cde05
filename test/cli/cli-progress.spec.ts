/* eslint-disable no-control-regex -- the terminal's escapes are what these tests read */
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SURREALDB } from '../support/engine.js';
import { CLI, cliProject, runCli, type CliProject, type CliRun } from './cli-harness.js';
import { dataLossText } from '../support/lint-report.js';

/**
 * The progress line of lint, drift, diff and the commands over many targets: never when stderr is
 * piped (with or without --json), and on a terminal (a pseudo-terminal from util-linux's `script`)
 * drawn in place and erased before the results.
 */

/** The offline commands judge by the suite's engine: `--surrealdb 2` on SurrealDB 2. */
const JUDGE = SURREALDB === 2 ? ['--surrealdb', '2'] : [];
/** Each CLI run on SurrealDB 2 loads its wasm engine anew: a test of many runs needs longer there. */
const MANY_RUNS = SURREALDB === 2 ? 240_000 : 90_000;

const MIGRATIONS = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\n',
  '0001_a.down.surql': 'REMOVE TABLE a;\n',
  '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;\n',
  '0002_b.down.surql': 'REMOVE TABLE b;\n',
  '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;\n',
  '0003_c.down.surql': 'REMOVE TABLE c;\n',
};

/** An environment that would show the line on a terminal. */
const TERMINAL_ENV = { CI: '', TERM: 'xterm' };

/** What the progress line writes: a carriage return, a clear to the end of the line, or its text. */
function progressTraces(stderr: string): string[] {
  return [
    ...(stderr.includes('\r') ? ['\\r'] : []),
    ...(stderr.includes('\u001b[K') ? ['clear to end of line'] : []),
    ...(stderr.match(/\b\d+\/\d+ · \d+\.\d s/g) ?? []),
  ];
}

/** `script` from util-linux, which runs a command on a pseudo-terminal. */
const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const ttyIt: jest.It = HAS_SCRIPT
  ? it
  : (((name: string, ...rest: unknown[]) =>
      (it.skip as (...args: unknown[]) => void)(
        `${name} [skipped: no \`script\` (util-linux) to run the CLI on a pseudo-terminal]`,
        ...rest,
      )) as unknown as jest.It);

/** Runs the CLI on a pseudo-terminal: stdout and stderr are the terminal, and what it shows comes back. */
function runOnTerminal(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd,
      env: { ...process.env, SHELL: '/bin/sh', ...TERMINAL_ENV, NO_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> });
    });
  });
}

describe('surreal-migrate progress', () => {
  let project: CliProject;
  beforeAll(async () => {
    project = await cliProject(MIGRATIONS);
    await writeFile(
      path.join(project.root, 'desired.surql'),
      'DEFINE TABLE a SCHEMALESS;\nDEFINE TABLE b SCHEMALESS;\nDEFINE TABLE c SCHEMALESS;\nDEFINE TABLE d SCHEMALESS;\n',
    );
    await writeFile(
      path.join(project.root, 'tenants.json'),
      JSON.stringify([
        { namespace: 'tenants', database: 'acme' },
        { namespace: 'tenants', database: 'globex' },
      ]),
    );
  });
  afterAll(() => project.dispose());

  it(
    'shows none when stderr is piped, with or without --json: lint, up and drift over targets, drift, diff',
    async () => {
      const targets = ['--targets', 'tenants.json'];
      const runs: [string, string[]][] = [
        ['lint', ['lint', ...JUDGE]],
        ['up --targets', ['up', ...targets]],
        ['drift --targets', ['drift', ...targets]],
        ['up', ['up']],
        ['drift', ['drift']],
        ['diff', ['diff', ...JUDGE, '--to', 'desired.surql', '--dry-run']],
      ];
      for (const [name, args] of runs) {
        for (const json of [[], ['--json']]) {
          // Over targets, only the URL (and its sign-in): each target names its namespace and database.
          // Neither CI nor a dumb terminal: only the pipe keeps the line away.
          const run = args.includes('--targets')
            ? await runCli(project.root, [...args, ...json], {
                SURREAL_URL: project.url,
                ...project.credentials,
                ...TERMINAL_ENV,
              })
            : await project.run([...args, ...json], TERMINAL_ENV);
          expect({ name, json, code: run.code, traces: progressTraces(run.stderr) }).toEqual({
            name,
            json,
            code: 0,
            traces: [],
          });
        }
      }
      // The commands did their work: the diff found the table to add, the tenants are current.
      const diff = await project.run(['diff', ...JUDGE, '--to', 'desired.surql', '--dry-run', '--json']);
      expect(diff.json().changes).toEqual([expect.objectContaining({ change: 'added', kind: 'table', name: 'd' })]);
      const status = await runCli(project.root, ['status', ...targets, '--check'], {
        SURREAL_URL: project.url,
        ...project.credentials,
      });
      expect(status.code).toBe(0);
    },
    MANY_RUNS,
  );

  ttyIt('draws the line in place on a terminal, and erases it before the results', async () => {
    const run = await runOnTerminal(project.root, ['lint', ...JUDGE], {});
    expect(run.code).toBe(0);
    const shown = run.stdout;
    // The first state at once, the last one always; each drawing ends by clearing the rest of the row.
    expect(shown).toMatch(/^\rlint 0\/3 · \d+\.\d s · migrations\/0001_a\.surql\u001b\[K/);
    expect(shown).toMatch(/\rlint 3\/3 · \d+\.\d s\u001b\[K/);
    // Erased before the results, and never drawn after them (the terminal ends lines with \r\n).
    const results = [
      ...['a', 'b', 'c'].flatMap((t, i) => dataLossText(`migrations/000${i + 1}_${t}.down.surql`, 1, t)),
      '0 error(s), 3 warning(s); 3 up script(s) applied, 3 down script(s) proven.',
      '',
    ].join('\r\n');
    expect(shown.endsWith(`\r\u001b[K${results}`)).toBe(true);
    expect(shown.slice(0, -results.length).replace(/\r[^\r\n]*\u001b\[K/g, '')).toBe('');

    // --json on the same terminal: the document, and no line.
    const json = await runOnTerminal(project.root, ['lint', ...JUDGE, '--json'], {});
    expect(json.code).toBe(0);
    expect(progressTraces(json.stdout.replace(/\r\n/g, '\n'))).toEqual([]);
    // CI set: no line either.
    const ci = await runOnTerminal(project.root, ['lint', ...JUDGE], { CI: 'true' });
    expect(ci.stdout).toBe(results);
  });
});
