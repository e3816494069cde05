/**
 * One pass of lint over a folder, on its shadow database: each up applied in version order, going on
 * past a failure; each down proven by applying it after its up and comparing the schema with the one
 * before the up, then the up applied again, so that the next migration meets the schema it was
 * written for; every file parsed on its own; a few made-up rows tried under each up; then the
 * repeatable definitions, each applied twice (lint-repeatables.ts).
 *
 * As fast as the work allows, and finding what a plain pass finds:
 * - the shadow's lock is held once for the pass ({@link ShadowDatabase.hold}), so each step is one
 *   request, as in a replay;
 * - a file that applied parses: only the files that failed or never ran are parsed on their own;
 * - after each step the schema is read again only where the step's scripts reach (schema-refresh.ts);
 * - the made-up rows are tried in a scratch database of their own, beside the pass, one up after
 *   another (lint-samples.ts), and their warnings put in the place the up's turn gives them.
 */
import type { MigrationError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { compareSchemas, describeObject, type DatabaseSchema, type ShadowSource } from '../shadow/shadow.js';
import { refreshSchema } from '../shadow/schema-refresh.js';
import { ShadowDatabase } from '../shadow/shadow-database.js';
import { serverMessage } from '../db/surreal-errors.js';
import { RowSampler, type SampleFailure } from './lint-samples.js';
import { lintRepeatables } from './lint-repeatables.js';
import type { MigrationProgress } from '../events/progress.js';
import { problemOf, staticProblems, type LintProblem, type LintProblemKind, type LintReport } from './lint-problems.js';

/** What the pass does next after one migration: go on with the shadow, or replay a new one first. */
type Next = 'continue' | 'rebuild';

export class LintPass {
  readonly #first: ShadowDatabase;
  readonly #directory: string;
  readonly #source: ShadowSource;
  readonly #progress: (progress: MigrationProgress) => void;
  #shadow: ShadowDatabase;
  #sampler: RowSampler | undefined;
  /** The made-up rows' checks, one after another on the sampler's own session. */
  #sampling: Promise<unknown> = Promise.resolve();
  readonly #downs: ReadonlyMap<number, MigrationFile>;
  /** In the order they are reported; a sample's warning is known once its check is done. */
  readonly #problems: (LintProblem | Promise<LintProblem | undefined>)[] = [];
  /** Syntax problems by file; reported first, ups then downs, in version order. */
  readonly #syntax = new Map<string, LintProblem>();
  /** Files known to parse: they applied, or were parsed. */
  readonly #parses = new Set<string>();
  readonly #foreseen: LintProblem[];
  #failedBefore: MigrationFile | undefined;
  readonly #applied: number[] = [];
  #checked = 0;
  #reversible = 0;
  #before: DatabaseSchema = [];

  private constructor(
    shadow: ShadowDatabase,
    directory: string,
    source: ShadowSource,
    progress: (progress: MigrationProgress) => void,
  ) {
    this.#progress = progress;
    this.#first = shadow;
    this.#shadow = shadow;
    this.#directory = directory;
    this.#source = source;
    this.#downs = new Map(shadow.down.map((d) => [d.version, d]));
    this.#foreseen = staticProblems(shadow.up, shadow.down, shadow.major);
  }

  /** Lints the folder of `shadow` (freshly opened and empty). */
  static async run(
    shadow: ShadowDatabase,
    directory: string,
    source: ShadowSource,
    progress: (progress: MigrationProgress) => void = () => {},
  ): Promise<LintReport> {
    return new LintPass(shadow, directory, source, progress).#run();
  }

  async #run(): Promise<LintReport> {
    const ups = this.#first.up;
    try {
      this.#sampler = await RowSampler.open(this.#shadow.db, this.#shadow.major, !this.#source.server);
      this.#before = await this.#shadow.schema();
      let next = 0;
      while (next < ups.length) {
        const then = await this.#shadow.hold(async () => {
          while (next < ups.length) {
            const up = ups[next++]!;
            this.#progress({ done: next - 1, total: ups.length, current: up.file });
            if ((await this.#migration(up)) === 'rebuild') return 'rebuild';
          }
          return 'continue';
        });
        if (then === 'rebuild') await this.#rebuild();
      }
      this.#progress({ done: ups.length, total: ups.length });
      // The repeatable definitions, after every version, as a run applies them.
      this.#problems.push(...(await lintRepeatables(this.#shadow, this.#before)));
      // Every file not known to parse is parsed on its own, so that every parse error is listed.
      for (const up of ups) await this.#unparsable(up, 'up');
      for (const down of this.#first.down) await this.#unparsable(down, 'down');
      await this.#sampling;
    } finally {
      await this.#closeSampler();
      if (this.#shadow !== this.#first) await this.#shadow.close();
    }
    const files = [...ups, ...this.#first.down];
    const problems = [
      ...files.flatMap((f) => this.#syntax.get(f.file) ?? []),
      ...this.#foreseen,
      ...(await Promise.all(this.#problems)).filter((p): p is LintProblem => p !== undefined),
    ];
    return {
      ok: !problems.some((p) => p.severity === 'error'),
      problems,
      checked: this.#checked,
      reversible: this.#reversible,
    };
  }

  /** One migration: its up, its sample, its down proven and its up again. */
  async #migration(up: MigrationFile): Promise<Next> {
    const shadow = this.#shadow;
    const down = this.#downs.get(up.version);
    const error = await shadow.applyUp(up.version);
    if (error) {
      if (await this.#unparsable(up, 'up')) {
        this.#failedBefore ??= up;
        return 'continue';
      }
      this.#checked++;
      if (!this.#listed(up, error)) this.#problems.push(this.#note(this.#problemOf('execution', up, error)));
      this.#failedBefore ??= up;
      // A no-transaction file keeps what ran before its failure.
      if (up.noTransaction) this.#before = await shadow.schema();
      return 'continue';
    }
    this.#parses.add(up.file);
    this.#checked++;
    this.#applied.push(up.version);
    this.#sample(up, this.#before);
    if (!down) {
      this.#problems.push({
        kind: 'missing-down',
        severity: 'warning',
        file: up.file,
        version: up.version,
        line: undefined,
        column: undefined,
        message: `no down script: ${up.file} cannot be rolled back`,
        hint: undefined,
      });
      this.#before = await this.#refresh(this.#before, [up.text]);
      return 'continue';
    }
    const downError = await shadow.applyDown(up.version);
    if (downError) {
      const unparsable = await this.#unparsable(down, 'down');
      if (!unparsable && !this.#listed(down, downError))
        this.#problems.push(this.#problemOf('down-failed', down, downError));
      if (!unparsable && down.noTransaction) return 'rebuild';
      this.#before = await this.#refresh(this.#before, [up.text]);
      return 'continue';
    }
    this.#parses.add(down.file);
    const afterDown = await this.#refresh(this.#before, [up.text, down.text]);
    const changes = changesBetween(this.#before, afterDown);
    for (const change of changes) {
      const what = describeObject(change);
      this.#problems.push(
        this.#note({
          kind: 'irreversible',
          severity: 'error',
          file: down.file,
          version: up.version,
          line: undefined,
          column: undefined,
          message:
            change.change === 'added'
              ? `${what} is left behind by ${down.file} (${change.after})`
              : change.change === 'removed'
                ? `${what} is lost: ${down.file} removes it, but ${up.file} did not define it (${change.before})`
                : `${what} is changed by the pair: before ${change.before}, after ${change.after}`,
          hint: undefined,
        }),
      );
    }
    // Up again, so that the next migration meets the schema it was written for.
    const again = await shadow.applyUp(up.version);
    if (again) {
      this.#problems.push({
        ...this.#problemOf('irreversible', up, again),
        message: `${up.file} fails when applied again after ${down.file}: ${serverMessage(again.reason)}`,
      });
    }
    if (changes.length > 0 || again) return 'rebuild';
    this.#reversible++;
    this.#before = await this.#refresh(afterDown, [up.text]);
    return 'continue';
  }

  /** After a pair that did not undo itself, the shadow is not what a replay gives: a new one, replayed. */
  async #rebuild(): Promise<void> {
    await this.#closeSampler();
    await this.#shadow.close();
    this.#shadow = await ShadowDatabase.open(this.#directory, this.#source);
    this.#sampler = await RowSampler.open(this.#shadow.db, this.#shadow.major, !this.#source.server);
    const shadow = this.#shadow;
    await shadow.hold(async () => {
      for (const version of this.#applied) await shadow.applyUp(version);
    });
    this.#before = await shadow.schema();
  }

  /** Whether `file` does not parse on its own (then its syntax problem is listed); parsed once at most. */
  async #unparsable(file: MigrationFile, direction: 'up' | 'down'): Promise<boolean> {
    if (this.#parses.has(file.file)) return false;
    if (this.#syntax.has(file.file)) return true;
    const error = await this.#shadow.parse(file, direction);
    if (!error) {
      this.#parses.add(file.file);
      return false;
    }
    this.#syntax.set(file.file, this.#problemOf('syntax', file, error));
    return true;
  }

  /** The up tried over made-up rows, beside the pass; its warning, if any, takes this place in the report. */
  #sample(up: MigrationFile, before: DatabaseSchema): void {
    const sampler = this.#sampler;
    if (!sampler) return;
    const checked = this.#sampling.then(() => sampler.check(up, before));
    this.#sampling = checked.catch(() => undefined);
    this.#problems.push(checked.then((sampled) => sampled && this.#sampleProblem(up, sampled)));
  }

  #sampleProblem(up: MigrationFile, sampled: SampleFailure): LintProblem | undefined {
    // What the static pass explains already is not said again as a guess.
    if (this.#foreseen.some((p) => p.file === up.file && p.line === sampled.line)) return undefined;
    return {
      kind: 'data-dependent',
      severity: 'warning',
      file: up.file,
      version: up.version,
      line: sampled.line,
      column: sampled.column,
      message:
        `${up.file} fails over a few made-up rows in ${sampled.tables.map((t) => `\`${t}\``).join(', ')} ` +
        `(an empty table passes it): ${sampled.message}`,
      hint: 'The rows are made up: check whether the real data meets it.',
    };
  }

  async #closeSampler(): Promise<void> {
    await this.#sampling;
    await this.#sampler?.close();
    this.#sampler = undefined;
  }

  /** The shadow's schema after `scripts` ran over `before`. */
  #refresh(before: DatabaseSchema, scripts: readonly string[]): Promise<DatabaseSchema> {
    return refreshSchema(this.#shadow.db, this.#shadow.historyTable, before, scripts);
  }

  /** A refusal the static pass already listed (the runner refuses the same names). */
  #listed(file: MigrationFile, error: MigrationError): boolean {
    return this.#foreseen.some((p) => p.file === file.file && p.line === error.line && p.message === error.reason);
  }

  #note(problem: LintProblem): LintProblem {
    if (this.#failedBefore) {
      problem.message += ` (${this.#failedBefore.file} failed before it, so this may follow from that)`;
    }
    return problem;
  }

  /** Upgrade hints explain SurrealDB 3's refusals of SurrealDB 2's syntax: only when judging for 3. */
  #problemOf(kind: LintProblemKind, file: MigrationFile, error: MigrationError): LintProblem {
    return problemOf(kind, file, error, this.#first.major >= 3);
  }
}

/** {@link compareSchemas}, where the objects a refreshed schema carried over (the same object in both) are skipped. */
function changesBetween(before: DatabaseSchema, after: DatabaseSchema): ReturnType<typeof compareSchemas> {
  const inAfter = new Set(after);
  const inBefore = new Set(before);
  return compareSchemas(
    before.filter((o) => !inAfter.has(o)),
    after.filter((o) => !inBefore.has(o)),
  );
}
