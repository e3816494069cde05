/**
 * The progress line of long commands (lint, drift, diff, a command over many targets): one line on
 * stderr that updates in place, `lint 12/300 · 3.4 s · migrations/0013_orders.surql`. Shown only on
 * a terminal that can take it (see {@link showsProgress}); erased before anything else is written,
 * and at the end, so that no trace of it is left in the output.
 */
import type { MigrationProgress } from '../core/events/progress.js';

/** A stream the CLI writes to (as output.ts's CliStream): where the line is drawn, or output it guards. */
export interface ProgressStream {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  isTTY?: boolean;
  /** The terminal's width; 80 when unknown. */
  columns?: number;
}

/** A redraw of the elapsed time and of what a throttled update left undrawn, every `intervalMs`. */
export type ProgressTimer = (redraw: () => void, intervalMs: number) => { cancel(): void };

export interface ProgressLineOptions {
  /** Milliseconds now; `Date.now` unless a test drives the clock. */
  now?: () => number;
  /** At most one drawing every this many milliseconds (the final state always drawn). @default 100 */
  intervalMs?: number;
  /** What redraws the line while nothing reports (an unref'd `setInterval` unless a test gives one). */
  timer?: ProgressTimer;
}

/** Carriage return to the start of the line; then, after the text, clear to the end of the line. */
const CR = '\r';
const CLEAR_TO_END = '\u001b[K';
const DEFAULT_WIDTH = 80;

/**
 * Whether a command shows the progress line: stderr is a terminal (`isTTY`), the output is not
 * `--json`, and the environment does not say otherwise: `CI` set (a CI log keeps every redraw),
 * or `TERM=dumb` (a terminal that cannot clear a line). `NO_COLOR` does not hide it: the line has
 * no color.
 */
export function showsProgress(stderr: { isTTY?: boolean }, json: boolean, env: NodeJS.ProcessEnv): boolean {
  return stderr.isTTY === true && !json && !env.CI && env.TERM !== 'dumb';
}

/** The progress line on a terminal; see the file's comment. */
export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #timer: ProgressTimer;
  readonly #started: number;
  #ticking: { cancel(): void } | undefined;
  /** The latest state, drawn or not, and its label. */
  #latest: { label: string; progress: MigrationProgress } | undefined;
  /** When the line was last drawn; undefined before the first drawing. */
  #drawnAt: number | undefined;
  /** The line is on the screen now. */
  #shown = false;
  #ended = false;

  constructor(stream: ProgressStream, options: ProgressLineOptions = {}) {
    this.#stream = stream;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#timer = options.timer ?? intervalTimer;
    this.#started = this.#now();
  }

  /**
   * The work called `label` reached `progress`: drawn at once the first time, when all is done,
   * or when `intervalMs` has passed since the last drawing; otherwise kept for the next one.
   */
  update(label: string, progress: MigrationProgress): void {
    if (this.#ended) return;
    this.#latest = { label, progress: { ...progress } };
    this.#ticking ??= this.#timer(() => this.#redraw(), this.#intervalMs);
    const now = this.#now();
    const final = progress.done >= progress.total;
    if (this.#drawnAt === undefined || final || now - this.#drawnAt >= this.#intervalMs) this.#draw(now);
  }

  /** Takes the line off the screen (before other output is written); the next update draws it again. */
  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#stream.write(`${CR}${CLEAR_TO_END}`);
  }

  /** The line erased for good: no update draws it again. */
  end(): void {
    this.#ended = true;
    this.#ticking?.cancel();
    this.#ticking = undefined;
    this.clear();
  }

  /**
   * `stream` (stdout or stderr) whose every write first takes the line off the screen, so that
   * output and the line never share a row. While the work is under way the line comes back after a
   * write that ends a line (at once when `intervalMs` has passed since it was drawn, else on the
   * timer); once everything is done, output (the results) leaves it off.
   */
  guard(stream: ProgressStream): ProgressStream {
    return {
      isTTY: stream.isTTY,
      write: (chunk, callback) => {
        const shown = this.#shown;
        this.clear();
        const written = stream.write(chunk, callback);
        const now = this.#now();
        if (shown && this.#underWay() && chunk.endsWith('\n') && now - this.#drawnAt! >= this.#intervalMs) {
          this.#draw(now);
        }
        return written;
      },
    };
  }

  /**
   * The timer's redraw: the elapsed time moves on, and a throttled state is shown, no sooner than
   * `intervalMs` after the last drawing; a line that output took off the screen comes back only while
   * the work is under way.
   */
  #redraw(): void {
    const now = this.#now();
    if (this.#shown ? now - this.#drawnAt! >= this.#intervalMs : this.#underWay()) this.#draw(now);
  }

  /** Some of the work is not done yet. */
  #underWay(): boolean {
    const latest = this.#latest?.progress;
    return latest !== undefined && latest.done < latest.total;
  }

  #draw(now: number): void {
    const latest = this.#latest;
    if (!latest || this.#ended) return;
    this.#drawnAt = now;
    this.#shown = true;
    const width = this.#stream.columns || DEFAULT_WIDTH;
    this.#stream.write(
      `${CR}${fit(progressText(latest.label, latest.progress, now - this.#started), width)}${CLEAR_TO_END}`,
    );
  }
}

/** `lint 12/300 · 3.4 s · migrations/0013_orders.surql`: what the line says, before it is fitted. */
export function progressText(label: string, progress: MigrationProgress, elapsedMs: number): string {
  const parts = [`${label} ${progress.done}/${progress.total}`, formatElapsed(elapsedMs)];
  if (progress.current) parts.push(oneLine(progress.current));
  return parts.join(' · ');
}

/** `0.4 s`, `59.9 s`, `1 min 05 s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/**
 * The text cut to fit in one row of `width` columns, with room left in the last column (a
 * character written there makes some terminals wrap): at most `width - 1` characters, the last of
 * them `…` when cut. Counted in code points, so a pair of surrogates is never split.
 */
export function fit(text: string, width: number): string {
  const room = Math.max(1, width - 1);
  const chars = [...text];
  return chars.length <= room ? text : `${chars.slice(0, room - 1).join('')}…`;
}

/** A name with control characters (a newline, an escape) shown as `?`: it cannot move the cursor. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** An unref'd interval: it never keeps the process alive. */
function intervalTimer(redraw: () => void, intervalMs: number): { cancel(): void } {
  const handle = setInterval(redraw, intervalMs);
  handle.unref();
  return { cancel: () => clearInterval(handle) };
}
