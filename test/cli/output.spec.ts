import { CliOutput, formatDuration, type CliStream } from '../../src/cli/output.js';

function stream(isTTY: boolean): CliStream & { text: string } {
  const s = {
    text: '',
    isTTY,
    write(chunk: string, callback?: (error?: Error | null) => void) {
      s.text += chunk;
      callback?.();
      return true;
    },
  };
  return s;
}

function output(options: { tty?: boolean; json?: boolean; verbose?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const stdout = stream(options.tty ?? false);
  const stderr = stream(options.tty ?? false);
  const out = new CliOutput({
    stdout,
    stderr,
    env: options.env ?? {},
    json: options.json ?? false,
    verbose: options.verbose ?? false,
  });
  return { out, stdout, stderr };
}

const ESC = '\u001b[';

describe('CliOutput', () => {
  it('colors and marks rows only on a terminal without NO_COLOR', () => {
    const tty = output({ tty: true });
    tty.out.print(tty.out.mark('applied'));
    expect(tty.stdout.text).toContain(ESC);
    expect(tty.stdout.text).toContain('✔');

    const noColor = output({ tty: true, env: { NO_COLOR: '1' } });
    noColor.out.print(noColor.out.mark('applied'));
    expect(noColor.stdout.text).toBe('applied    \n');

    const piped = output();
    piped.out.print(`${piped.out.mark('failed')}|${piped.out.blankMark()}|${piped.out.dim('x')}`);
    expect(piped.stdout.text).toBe('failed     |           |x\n');
  });

  it('in --json mode writes only the document to stdout, everything else to stderr', () => {
    const { out, stdout, stderr } = output({ json: true, verbose: true });
    out.print('human line');
    out.error(new Error('reported in the document'));
    out.logger().log('progress');
    out.logger().warn('careful');
    let flushed = false;
    out.finish({ ok: true, when: new Date(0) }, () => (flushed = true));
    expect(flushed).toBe(true);
    expect(JSON.parse(stdout.text)).toEqual({ ok: true, when: '1970-01-01T00:00:00.000Z' });
    expect(stderr.text).toBe('progress\nwarning: careful\n');
  });

  it('routes the manager logger: warnings always, progress and errors only with --verbose', () => {
    const quiet = output();
    quiet.out.logger().log('Applied migration 1');
    quiet.out.logger().error('Migration 2 failed');
    quiet.out.logger().warn('Ignored 1 file');
    expect(quiet.stdout.text).toBe('');
    expect(quiet.stderr.text).toBe('warning: Ignored 1 file\n');

    const verbose = output({ verbose: true });
    verbose.out.logger().log('Applied migration 1');
    verbose.out.logger().error('Migration 2 failed');
    expect(verbose.stderr.text).toBe('Applied migration 1\nMigration 2 failed\n');
  });

  it('masks secrets in everything it writes', () => {
    const human = output();
    human.out.addSecrets(['hunter2pw']);
    human.out.print('url ws://root:hunter2pw@db');
    human.out.error(new Error('auth failed for hunter2pw'));
    expect(human.stdout.text + human.stderr.text).not.toContain('hunter2pw');
    expect(human.stdout.text).toBe('url ws://***@db\n');

    const json = output({ json: true });
    json.out.addSecrets(['hunter2pw']);
    json.out.finish({ ok: false, error: { message: 'hunter2pw' } }, () => {});
    expect(json.stdout.text).not.toContain('hunter2pw');
  });

  it('masks a secret with a quote or a backslash in JSON output too', () => {
    const json = output({ json: true });
    json.out.addSecrets(['pa"ss\\word']);
    json.out.finish({ ok: false, error: { message: 'sign-in failed with pa"ss\\word' } }, () => {});
    expect(json.stdout.text).not.toMatch(/pa|word/);
    expect(JSON.parse(json.stdout.text).error.message).toBe('sign-in failed with ***');
  });

  it('formats durations for people', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
  });
});
