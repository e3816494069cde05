import type { CliStream } from '../../src/cli/output.js';
import {
  fit,
  formatElapsed,
  progressText,
  ProgressLine,
  showsProgress,
  type ProgressTimer,
} from '../../src/cli/progress.js';

/**
 * The progress line, byte for byte, on a fake terminal: a clock and a timer the test drives, so
 * that throttling is checked without waiting.
 */

const CR = '\r';
const CLEAR = '\u001b[K';
const ERASE = `${CR}${CLEAR}`;

/** A terminal's stderr: every write kept apart. */
function terminal(columns: number | undefined = 60) {
  const writes: string[] = [];
  return {
    writes,
    isTTY: true,
    columns,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  };
}

/** A clock the test sets, and a timer the test fires. */
function driven() {
  const clock = { now: 1_000 };
  const timer: { redraw?: () => void; intervalMs?: number; cancelled: number } = { cancelled: 0 };
  const schedule: ProgressTimer = (redraw, intervalMs) => {
    timer.redraw = redraw;
    timer.intervalMs = intervalMs;
    return { cancel: () => void timer.cancelled++ };
  };
  return { clock, timer, options: { now: () => clock.now, timer: schedule } };
}

describe('the progress line', () => {
  it('draws a carriage return, the line and a clear to its end; the first update at once', () => {
    const stderr = terminal();
    const { clock, options } = driven();
    const line = new ProgressLine(stderr, options);
    clock.now += 250;
    line.update('lint', { done: 0, total: 3, current: 'migrations/0001_a.surql' });
    expect(stderr.writes).toEqual([`${CR}lint 0/3 · 0.3 s · migrations/0001_a.surql${CLEAR}`]);
  });

  it('draws at most once per interval; the final state at once; the timer shows what was held back', () => {
    const stderr = terminal();
    const { clock, timer, options } = driven();
    const line = new ProgressLine(stderr, options);
    line.update('drift', { done: 0, total: 4, current: 'a.surql' });
    expect(timer.intervalMs).toBe(100);
    clock.now += 40;
    line.update('drift', { done: 1, total: 4, current: 'b.surql' });
    clock.now += 40;
    line.update('drift', { done: 2, total: 4, current: 'c.surql' });
    // Nothing drawn within 100 ms of the first drawing.
    expect(stderr.writes).toEqual([`${CR}drift 0/4 · 0.0 s · a.surql${CLEAR}`]);
    // The timer draws the latest state, and the time moves on; but not within 100 ms of a drawing.
    clock.now += 30;
    timer.redraw!();
    expect(stderr.writes.at(-1)).toBe(`${CR}drift 2/4 · 0.1 s · c.surql${CLEAR}`);
    timer.redraw!();
    expect(stderr.writes).toHaveLength(2);
    // 100 ms after that drawing, an update draws again.
    clock.now += 99;
    line.update('drift', { done: 3, total: 4, current: 'd.surql' });
    expect(stderr.writes).toHaveLength(2);
    clock.now += 1;
    line.update('drift', { done: 3, total: 4, current: 'd.surql' });
    expect(stderr.writes.at(-1)).toBe(`${CR}drift 3/4 · 0.2 s · d.surql${CLEAR}`);
    // The final state is drawn however soon it comes.
    clock.now += 5;
    line.update('drift', { done: 4, total: 4 });
    expect(stderr.writes.at(-1)).toBe(`${CR}drift 4/4 · 0.2 s${CLEAR}`);
    expect(stderr.writes).toHaveLength(4);
  });

  it('ends erased: once, and no update or timer draws it again', () => {
    const stderr = terminal();
    const { timer, options } = driven();
    const line = new ProgressLine(stderr, options);
    line.update('up', { done: 1, total: 2, current: 'tenants/a' });
    line.end();
    line.end();
    line.update('up', { done: 2, total: 2 });
    timer.redraw!();
    expect(stderr.writes).toEqual([`${CR}up 1/2 · 0.0 s · tenants/a${CLEAR}`, ERASE]);
    expect(timer.cancelled).toBe(1);
  });

  it('writes nothing at the end when it never drew', () => {
    const stderr = terminal();
    const line = new ProgressLine(stderr, driven().options);
    line.end();
    expect(stderr.writes).toEqual([]);
  });

  it("is cut to the terminal's width, leaving its last column free, with … where it was cut", () => {
    const stderr = terminal(25);
    const line = new ProgressLine(stderr, driven().options);
    line.update('lint', { done: 12, total: 300, current: 'migrations/0013_orders.surql' });
    expect(stderr.writes).toEqual([`${CR}lint 12/300 · 0.0 s · m…${CLEAR}`]);
    expect([...'lint 12/300 · 0.0 s · m…']).toHaveLength(24);
  });

  it('takes 80 columns when the terminal does not say', () => {
    for (const columns of [undefined, 0]) {
      const stderr = Object.assign(terminal(), { columns });
      new ProgressLine(stderr, driven().options).update('lint', { done: 0, total: 1, current: 'x'.repeat(200) });
      expect(stderr.writes[0]!.length).toBe(CR.length + 79 + CLEAR.length);
    }
  });

  it('erases itself before other output, and comes back after a whole line', () => {
    const stderr = terminal();
    const stdoutWrites: string[] = [];
    const stdout: CliStream = { write: (chunk) => stdoutWrites.push(chunk) > 0, isTTY: true };
    const { clock, timer, options } = driven();
    const line = new ProgressLine(stderr, options);
    const guardedOut = line.guard(stdout);
    const guardedErr = line.guard(stderr);
    // Before anything is drawn, writes pass through untouched.
    guardedOut.write('before\n');
    expect(stderr.writes).toEqual([]);
    line.update('up', { done: 0, total: 2 });
    clock.now += 100;
    guardedOut.write('tenants/a\n');
    expect(stdoutWrites).toEqual(['before\n', 'tenants/a\n']);
    expect(stderr.writes).toEqual([`${CR}up 0/2 · 0.0 s${CLEAR}`, ERASE, `${CR}up 0/2 · 0.1 s${CLEAR}`]);
    // Within 100 ms of a drawing, the line stays off until the timer brings it back.
    clock.now += 60;
    guardedOut.write('tenants/b\n');
    expect(stderr.writes.slice(3)).toEqual([ERASE]);
    timer.redraw!();
    expect(stderr.writes.slice(4)).toEqual([`${CR}up 0/2 · 0.2 s${CLEAR}`]);
    // A partial line is left alone until its end: no redraw in the middle of it.
    clock.now += 100;
    guardedErr.write('warning: ');
    expect(stderr.writes.slice(5)).toEqual([ERASE, 'warning: ']);
    guardedErr.write('careful\n');
    expect(stderr.writes.slice(7)).toEqual(['careful\n']);
    line.end();
    expect(stderr.writes.slice(8)).toEqual([]);
    expect(stdoutWrites).toHaveLength(3);
  });

  it('stays off the screen once output follows the end of the work (the results)', () => {
    const stderr = terminal();
    const stdoutWrites: string[] = [];
    const { clock, timer, options } = driven();
    const line = new ProgressLine(stderr, options);
    const stdout = line.guard({ write: (chunk) => stdoutWrites.push(chunk) > 0 });
    line.update('lint', { done: 1, total: 1 });
    stdout.write('0 error(s)\n');
    clock.now += 500;
    timer.redraw!();
    line.end();
    expect(stderr.writes).toEqual([`${CR}lint 1/1 · 0.0 s${CLEAR}`, ERASE]);
    expect(stdoutWrites).toEqual(['0 error(s)\n']);
  });

  it('comes back on the timer while the work is under way, after output took it off', () => {
    const stderr = terminal();
    const { clock, timer, options } = driven();
    const line = new ProgressLine(stderr, options);
    const guarded = line.guard(stderr);
    line.update('up', { done: 1, total: 3, current: 'tenants/a' });
    guarded.write('partial ');
    clock.now += 10;
    timer.redraw!();
    expect(stderr.writes).toEqual([
      `${CR}up 1/3 · 0.0 s · tenants/a${CLEAR}`,
      ERASE,
      'partial ',
      `${CR}up 1/3 · 0.0 s · tenants/a${CLEAR}`,
    ]);
  });

  it('shows a name with control characters without them', () => {
    expect(progressText('lint', { done: 0, total: 1, current: 'a\u001b[2Jb\nc.surql' }, 0)).toBe(
      'lint 0/1 · 0.0 s · a?[2Jb?c.surql',
    );
  });

  it('says the elapsed time in seconds, then minutes', () => {
    expect([0, 49, 50, 59_949, 60_000, 125_400].map(formatElapsed)).toEqual([
      '0.0 s',
      '0.0 s',
      '0.1 s',
      '59.9 s',
      '1 min 00 s',
      '2 min 05 s',
    ]);
  });

  it('never splits a character made of two code units', () => {
    expect(fit('ab😀😀😀', 5)).toBe('ab😀…');
    expect(fit('ab😀', 5)).toBe('ab😀');
  });

  it('is shown on a terminal only: not with --json, in CI, on a dumb terminal, or when stderr is piped', () => {
    const tty = { isTTY: true };
    expect(showsProgress(tty, false, {})).toBe(true);
    expect(showsProgress(tty, false, { NO_COLOR: '1' })).toBe(true);
    expect(showsProgress(tty, false, { TERM: 'xterm-256color' })).toBe(true);
    expect(showsProgress(tty, true, {})).toBe(false);
    expect(showsProgress(tty, false, { CI: 'true' })).toBe(false);
    expect(showsProgress(tty, false, { TERM: 'dumb' })).toBe(false);
    expect(showsProgress({ isTTY: false }, false, {})).toBe(false);
    expect(showsProgress({}, false, {})).toBe(false);
  });
});
