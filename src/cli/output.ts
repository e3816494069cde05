import { Redactor } from '../core/support/secrets.js';
import { cliAdvice } from './advice.js';
import { MigrationsError } from '../core/support/errors.js';
import type { MigrationLogger } from '../core/options/options.js';
import { CliError, CliUsageError } from './cli-errors.js';
import type { MigrationProgressListener } from '../core/events/progress.js';
import type { ProgressLine } from './progress.js';

/** The part of a stream the CLI writes to (process.stdout, or a test double). */
export interface CliStream {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  isTTY?: boolean;
  /** A terminal's width. */
  columns?: number;
}

/** Row markers: a word always, a colored symbol in front of it on a terminal. */
export type Mark =
  'applied' | 'rolled back' | 'pending' | 'changed' | 'missing' | 'failed' | 'unverified' | 'ok' | 'skipped';

const MARKS: Record<Mark, { symbol: string; color: Color }> = {
  applied: { symbol: '✔', color: 'green' },
  'rolled back': { symbol: '↩', color: 'green' },
  ok: { symbol: '✔', color: 'green' },
  pending: { symbol: '•', color: 'yellow' },
  unverified: { symbol: '?', color: 'yellow' },
  skipped: { symbol: '-', color: 'yellow' },
  changed: { symbol: '!', color: 'red' },
  missing: { symbol: '✘', color: 'red' },
  failed: { symbol: '✘', color: 'red' },
};
const MARK_WIDTH = Math.max(...Object.keys(MARKS).map((m) => m.length));

type Color = 'green' | 'yellow' | 'red' | 'dim' | 'bold';
const SGR: Record<Color, [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/**
 * Everything the CLI prints goes through here: in `--json` mode stdout receives exactly one JSON
 * document and everything else goes to stderr; on a terminal (without `NO_COLOR`) rows get colors
 * and symbols. Known secrets are masked in every line written.
 */
export class CliOutput {
  readonly json: boolean;
  readonly #stdout: CliStream;
  readonly #stderr: CliStream;
  #color: boolean;
  #errColor: boolean;
  readonly #verbose: boolean;
  #redactor = new Redactor([]);
  /** The progress line, when one is shown (see progress.ts); never for one target of many. */
  readonly #progress: ProgressLine | undefined;

  constructor(options: {
    stdout: CliStream;
    stderr: CliStream;
    env: NodeJS.ProcessEnv;
    json: boolean;
    verbose: boolean;
    progress?: ProgressLine;
  }) {
    this.json = options.json;
    this.#progress = options.progress;
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.#verbose = options.verbose;
    const noColor = Boolean(options.env.NO_COLOR);
    this.#color = !noColor && options.stdout.isTTY === true;
    this.#errColor = !noColor && options.stderr.isTTY === true;
  }

  /**
   * Values (passwords) masked as `***` wherever they would be printed, in every spelling an output
   * gives them (as JSON escapes them, URL-encoded); credentials left in any URL-shaped text too.
   */
  addSecrets(secrets: readonly string[]): void {
    this.#redactor = this.#redactor.with(secrets);
  }

  /**
   * The output of one target of many: the same mode, colors and secrets, its lines written to
   * `stdout` (a {@link TargetGroups} group) and its messages to stderr after `[name] `.
   */
  forTarget(name: string, stdout: CliStream): CliOutput {
    const stderr = this.#stderr;
    const prefixed: CliStream = {
      isTTY: stderr.isTTY,
      write: (chunk, callback) => stderr.write(chunk.replace(/^(?=.)/gm, `[${name}] `), callback),
    };
    const copy = new CliOutput({ stdout, stderr: prefixed, env: {}, json: this.json, verbose: this.#verbose });
    copy.#color = this.#color;
    copy.#errColor = this.#errColor;
    copy.#redactor = this.#redactor;
    return copy;
  }

  /**
   * The listener of a long step's progress, drawn on the progress line as `label`; undefined when
   * no line is shown (not a terminal, `--json`, one target of many).
   */
  progress(label: string): MigrationProgressListener | undefined {
    const line = this.#progress;
    return line && ((progress) => line.update(label, progress));
  }

  /** Erases the progress line for good (the process is about to exit). */
  endProgress(): void {
    this.#progress?.end();
  }

  /** A line of human output on stdout; nothing in `--json` mode. */
  print(line = ''): void {
    if (!this.json) this.#stdout.write(`${this.#mask(line)}\n`);
  }

  /** A message for the operator on stderr, in both modes. */
  note(line: string): void {
    this.#stderr.write(`${this.#mask(line)}\n`);
  }

  warn(message: string): void {
    this.note(`${this.#paint(this.#errColor, 'yellow', 'warning:')} ${cliAdvice(message)}`);
  }

  /** Writes the JSON document (in `--json` mode) and calls back once it is flushed. */
  finish(document: object, done: () => void): void {
    if (!this.json) {
      this.#stdout.write('', () => done());
      return;
    }
    // Masked before and after stringifying: a secret that JSON escapes twice (a quote in a
    // statement that quotes it) is found in the values, and anything else in the text.
    const text = JSON.stringify(this.#redactor.value(JSON.parse(JSON.stringify(document, jsonValue))), null, 2);
    this.#stdout.write(`${this.#mask(text)}\n`, () => done());
  }

  /** Reports a failure on stderr (human mode); the JSON document carries it otherwise. */
  error(error: unknown): void {
    if (this.json) return;
    const message = cliAdvice(error instanceof Error ? error.message : String(error));
    this.note(`${this.#paint(this.#errColor, 'red', 'error:')} ${message}`);
  }

  /** `✔ applied` on a terminal, `applied` padded to a column otherwise. */
  mark(mark: Mark): string {
    if (!this.#color) return mark.padEnd(MARK_WIDTH);
    const { symbol, color } = MARKS[mark];
    return this.#paint(true, color, `${symbol} ${mark.padEnd(MARK_WIDTH)}`);
  }

  /** Blank space as wide as {@link mark}, for unmarked rows in a marked list. */
  blankMark(): string {
    return ' '.repeat(MARK_WIDTH + (this.#color ? 2 : 0));
  }

  red(text: string): string {
    return this.#paint(this.#color, 'red', text);
  }

  dim(text: string): string {
    return this.#paint(this.#color, 'dim', text);
  }

  bold(text: string): string {
    return this.#paint(this.#color, 'bold', text);
  }

  /**
   * The logger handed to the manager: warnings always reach stderr, progress and error messages
   * only with `--verbose` (the CLI prints each migration and the final error itself).
   */
  logger(): MigrationLogger {
    return {
      log: (message) => {
        if (this.#verbose) this.note(message);
      },
      warn: (message) => this.warn(message),
      error: (message) => {
        if (this.#verbose) this.note(message);
      },
    };
  }

  #paint(enabled: boolean, color: Color, text: string): string {
    if (!enabled) return text;
    const [open, close] = SGR[color];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  #mask(text: string): string {
    return this.#redactor.text(text);
  }
}

/**
 * Human output of a run over many targets, grouped: a header line naming each target, then its
 * lines indented, in the targets' order. The target at the head of the list prints as it goes;
 * the lines of those running behind it are kept until it is their turn.
 */
export class TargetGroups {
  readonly #out: CliOutput;
  readonly #groups: { name: string; lines: string[]; finished: boolean }[];
  #head = 0;
  #headShown = false;

  constructor(out: CliOutput, names: readonly string[]) {
    this.#out = out;
    this.#groups = names.map((name) => ({ name, lines: [], finished: false }));
  }

  /** The output of target `index`, for it to print its usual lines to. */
  output(index: number): CliOutput {
    const stream: CliStream = {
      write: (chunk, callback) => {
        for (const line of chunk.replace(/\n$/, '').split('\n')) this.#line(index, line);
        callback?.();
        return true;
      },
    };
    return this.#out.forTarget(this.#groups[index]!.name, stream);
  }

  /** A line of target `index`'s group, from the run itself (its error, or why it did not start). */
  print(index: number, line: string): void {
    for (const part of line.split('\n')) this.#line(index, part);
  }

  /** Target `index` is done: the groups after it may print. */
  finish(index: number): void {
    this.#groups[index]!.finished = true;
    while (this.#head < this.#groups.length && this.#groups[this.#head]!.finished) {
      this.#showHead();
      this.#head += 1;
      this.#headShown = false;
    }
    if (this.#head < this.#groups.length && this.#groups[this.#head]!.lines.length > 0) this.#showHead();
  }

  #line(index: number, line: string): void {
    const text = line === '' ? '' : `  ${line}`;
    if (index !== this.#head) {
      this.#groups[index]!.lines.push(text);
      return;
    }
    this.#showHead();
    this.#out.print(text);
  }

  /** The head group's header and the lines it kept, once. */
  #showHead(): void {
    const group = this.#groups[this.#head];
    if (!group || this.#headShown) return;
    this.#headShown = true;
    this.#out.print(this.#out.bold(group.name));
    for (const line of group.lines.splice(0)) this.#out.print(line);
  }
}

/** The `error` member of a failed command's JSON document: code, message and the error's context. */
export function errorDocument(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { code: 'UNEXPECTED_ERROR', message: String(error) };
  const code =
    error instanceof MigrationsError || error instanceof CliUsageError || error instanceof CliError
      ? error.code
      : 'UNEXPECTED_ERROR';
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'name' && key !== 'code' && key !== 'stack' && key !== 'cause' && value !== undefined) {
      context[key] = value;
    }
  }
  const cause = error.cause instanceof Error ? { cause: error.cause.message } : {};
  return { code, message: cliAdvice(error.message), ...context, ...cause };
}

/** Milliseconds for people: `12 ms`, `3.4 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function jsonValue(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  return value;
}
