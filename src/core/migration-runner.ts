import type { QueryResponse, Surreal } from 'surrealdb';
import { MigrationError, MissingDownMigrationError, type MigrationDirection } from './errors.js';
import type { HistoryStore } from './history-store.js';
import type { MigrationEvents } from './migration-events.js';
import type { MigrationFile } from './migration-files.js';
import type { MigrationLock } from './migration-lock.js';
import { computeState, findProblems, type MigrationState } from './migration-plan.js';
import type { MigrationLogger, ResolvedMigrationsOptions } from './options.js';
import { errorLocation, isConflictOrExists, isNotExecuted } from './surreal-errors.js';
import { surqlStatements, type SurqlStatement } from './surql-splitter.js';

/** One migration run up or down. */
export interface MigrationResult {
  version: number;
  name: string;
  file: string;
  direction: MigrationDirection;
  durationMs: number;
  /** Up only: another replica applied it first; this one applied nothing. */
  byAnother: boolean;
}

/** What the runner shares with the manager. Internal. */
export interface RunnerContext {
  readonly db: Surreal;
  readonly options: ResolvedMigrationsOptions;
  readonly history: HistoryStore;
  readonly lock: MigrationLock;
  readonly events: MigrationEvents;
  readonly logger: MigrationLogger;
  /** The discovered scripts; `refresh()` replaces them. */
  files(): { up: readonly MigrationFile[]; down: readonly MigrationFile[] };
}

/** Transactional migrations that lose to a write conflict are tried again this many times. */
const CONFLICT_RETRIES = 3;

/**
 * Runs migrations, one at a time and each atomically: an up is its script and its history record
 * in one transaction, sent as one request; a down is its script and the record's deletion.
 *
 * Every entry point reads the history with one query and returns at once when there is nothing to
 * do; only when there is work does it take the lock, and then it reads the history again.
 *
 * @example
 * ```ts
 * const runner = app.get(MigrationRunner);
 * await runner.runOneDown(); // roll back the latest applied migration
 * ```
 */
export class MigrationRunner {
  readonly #ctx: RunnerContext;
  #stopRequested = false;
  #active: Promise<unknown> = Promise.resolve();

  constructor(context: RunnerContext) {
    this.#ctx = context;
  }

  /** Applies every pending migration in version order. */
  runAll(): Promise<MigrationResult[]> {
    return this.migrateUp((state) => state.pending);
  }

  /** Applies the next pending migration, if any. */
  async runOneUp(): Promise<MigrationResult | undefined> {
    const [result] = await this.migrateUp((state) => state.pending.slice(0, 1));
    return result;
  }

  /** Rolls back the latest applied migration, if any. */
  async runOneDown(): Promise<MigrationResult | undefined> {
    const [result] = await this.migrateDown((state) => state.applied.slice(-1).map((r) => r.version));
    return result;
  }

  /** The discovered files compared with the history, read with one query. */
  async readState(): Promise<MigrationState> {
    return computeState(this.#ctx.files().up, await this.#ctx.history.read());
  }

  /**
   * Asks a run in progress to stop after the current migration, and waits until it has (its
   * transaction committed or rolled back, the lock released).
   */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    await this.#active.catch(() => {});
  }

  /**
   * Applies the migrations that `select` picks from the state, under the lock. Refuses, before
   * changing anything, when the state has a problem the options make fatal.
   * @internal
   */
  migrateUp(select: (state: MigrationState) => readonly MigrationFile[]): Promise<MigrationResult[]> {
    return this.#track(async () => {
      const state = await this.readState();
      this.#check(state, true);
      if (select(state).length === 0) return [];
      return this.#exclusive(
        async () => select(await this.#readVersionsState()).length,
        async () => {
          const current = await this.readState();
          this.#check(current, false);
          const results: MigrationResult[] = [];
          for (const migration of select(current)) {
            if (this.#stopRequested) break;
            results.push(await this.applyUp(migration));
          }
          return results;
        },
      );
    });
  }

  /**
   * Rolls back the versions that `select` picks, newest first, under the lock. Refuses before
   * any change when a needed down script is missing.
   * @internal
   */
  migrateDown(select: (state: MigrationState) => readonly number[]): Promise<MigrationResult[]> {
    return this.#track(async () => {
      const state = await this.readState();
      if (this.#downPlan(state, select(state)).length === 0) return [];
      return this.#exclusive(
        async () => select(await this.#readVersionsState()).length,
        async () => {
          const current = await this.readState();
          const results: MigrationResult[] = [];
          for (const step of this.#downPlan(current, select(current))) {
            if (this.#stopRequested) break;
            results.push(await this.applyDown(step.version, step.name, step.down));
          }
          return results;
        },
      );
    });
  }

  /**
   * Applies one migration atomically (or statement by statement for a no-transaction file).
   * @internal
   */
  async applyUp(migration: MigrationFile): Promise<MigrationResult> {
    const { events } = this.#ctx;
    const { version, name, file } = migration;
    events.emit('migrating', { version, name, file });
    const started = performance.now();
    try {
      const byAnother = migration.noTransaction
        ? await this.#runStatementByStatement(migration, 'up')
        : await this.#runTransactional(migration, 'up', version);
      const result = this.#result(migration, 'up', started, byAnother);
      events.emit('migrated', { version, name, file, durationMs: result.durationMs, byAnother });
      return result;
    } catch (error) {
      events.emit('failed', { version, name, file, direction: 'up', error: error as Error });
      throw error;
    }
  }

  /**
   * Rolls back one migration atomically with its down script.
   * @internal
   */
  async applyDown(version: number, name: string, down: MigrationFile): Promise<MigrationResult> {
    const { events } = this.#ctx;
    const file = down.file;
    events.emit('rollingBack', { version, name, file });
    const started = performance.now();
    try {
      if (down.noTransaction) await this.#runStatementByStatement(down, 'down');
      else await this.#runTransactional(down, 'down', version);
      const result = this.#result({ version, name, file }, 'down', started, false);
      events.emit('rolledBack', { version, name, file, durationMs: result.durationMs });
      return result;
    } catch (error) {
      events.emit('failed', { version, name, file, direction: 'down', error: error as Error });
      throw error;
    }
  }

  /**
   * Runs transactional migrations in order inside one transaction that is then cancelled, so each
   * sees the ones before it and nothing is kept. Throws {@link MigrationError} for the first
   * failure, located in its file.
   * @internal
   */
  async dryRun(migrations: readonly MigrationFile[]): Promise<void> {
    if (migrations.length === 0) return;
    // Each script starts on a line of its own; `firstLine` is where, in the request.
    const parts = ['BEGIN TRANSACTION;'];
    const spans: { migration: MigrationFile; statements: SurqlStatement[]; firstLine: number; firstIndex: number }[] =
      [];
    let line = 2;
    let index = 0;
    for (const migration of migrations) {
      const statements = surqlStatements(migration.text);
      refuseTransactionStatements(migration, 'up', statements);
      spans.push({ migration, statements, firstLine: line, firstIndex: index });
      parts.push(`${migration.text}\n;`);
      line += migration.text.split('\n').length + 1;
      index += statements.length;
    }
    parts.push('CANCEL TRANSACTION;');
    let responses: QueryResponse[];
    try {
      responses = await this.#ctx.db.query(parts.join('\n')).responses();
    } catch (error) {
      const at = errorLocation(error);
      const span = [...spans].reverse().find((s) => at && at.line >= s.firstLine) ?? spans[0]!;
      throw requestError(span.migration, 'up', span.migration.version, error, span.firstLine - 1);
    }
    const failure = locateFailure(responses, index, true);
    if (!failure) return;
    const span = [...spans].reverse().find((s) => failure.index >= s.firstIndex);
    if (!span) throw failure.error;
    throw statementError(
      span.migration,
      'up',
      span.migration.version,
      failure.error,
      span.statements[failure.index - span.firstIndex],
    );
  }

  /**
   * The state from the applied versions alone (the smallest query): enough for a waiting replica
   * to see how much work is left. The full state is read once the lock is held.
   */
  async #readVersionsState(): Promise<MigrationState> {
    const versions = await this.#ctx.history.readVersions();
    const applied = versions
      .sort((a, b) => a - b)
      .map((version) => ({
        version,
        name: undefined,
        checksum: undefined,
        appliedAt: undefined,
        durationMs: undefined,
      }));
    return computeState(this.#ctx.files().up, { applied, failed: [] });
  }

  /** Runs `work` holding the lock; `undefined` from the wait means another replica did it all. */
  async #exclusive(
    remaining: () => Promise<number>,
    work: () => Promise<MigrationResult[]>,
  ): Promise<MigrationResult[]> {
    const { lock, history, events } = this.#ctx;
    await history.ensureDefined();
    const acquired = await lock.acquire(remaining, events);
    if (!acquired) return [];
    try {
      return await work();
    } finally {
      await lock
        .release()
        .catch((error: unknown) =>
          this.#ctx.logger.warn(`Could not release the migration lock: ${(error as Error).message}`),
        );
    }
  }

  #track<T>(run: () => Promise<T>): Promise<T> {
    this.#stopRequested = false;
    const promise = this.#active.catch(() => {}).then(run);
    this.#active = promise;
    return promise;
  }

  #check(state: MigrationState, logWarnings: boolean): void {
    const { errors, warnings } = findProblems(state, this.#ctx.options);
    if (logWarnings) warnings.forEach((w) => this.#ctx.logger.warn(w));
    if (errors[0]) throw errors[0];
  }

  #downPlan(state: MigrationState, versions: readonly number[]) {
    const { up, down } = this.#ctx.files();
    const downs = new Map(down.map((d) => [d.version, d]));
    const names = new Map(up.map((u) => [u.version, u.name]));
    const recorded = new Map(state.applied.map((r) => [r.version, r.name]));
    const steps = [...versions]
      .sort((a, b) => b - a)
      .map((version) => ({
        version,
        name: recorded.get(version) ?? names.get(version) ?? '',
        down: downs.get(version),
      }));
    const missing = steps.filter((s) => !s.down);
    if (missing.length > 0) {
      throw new MissingDownMigrationError(
        missing.map((s) => ({
          version: s.version,
          name: s.name,
          expectedFile: expectedDownFile(this.#ctx.options.directory, s.version, s.name, up),
        })),
      );
    }
    return steps as { version: number; name: string; down: MigrationFile }[];
  }

  #result(
    migration: Pick<MigrationFile, 'version' | 'name' | 'file'>,
    direction: MigrationDirection,
    started: number,
    byAnother: boolean,
  ): MigrationResult {
    const { version, name, file } = migration;
    return { version, name, file, direction, durationMs: Math.round(performance.now() - started), byAnother };
  }

  /**
   * `BEGIN; LET $__sbl_started = time::now();\n<script>\n;\n<history statement>; COMMIT;` as one
   * request. The prefix is one line, so line N of the request is line N - 1 of the file.
   * Returns true when another replica had already applied the version (up only).
   */
  async #runTransactional(script: MigrationFile, direction: MigrationDirection, version: number): Promise<boolean> {
    const { db, history } = this.#ctx;
    const statements = surqlStatements(script.text);
    refuseTransactionStatements(script, direction, statements);
    const bookkeeping =
      direction === 'up'
        ? history.recordStatement({ version, name: script.name, checksum: script.checksum })
        : history.deleteStatement(version);
    const sql = `BEGIN TRANSACTION; LET $__sbl_started = time::now();\n${script.text}\n;\n${bookkeeping.sql};\nCOMMIT TRANSACTION;`;
    const innerCount = statements.length + 2;

    for (let attempt = 0; ; attempt++) {
      let responses: QueryResponse[];
      try {
        responses = await db.query(sql, bookkeeping.vars).responses();
      } catch (error) {
        if (direction === 'up' && isConflictOrExists(error)) {
          if (await this.#appliedByAnother(version)) return true;
          if (attempt < CONFLICT_RETRIES) continue;
        }
        throw requestError(script, direction, version, error, 1);
      }
      const failure = locateFailure(responses, innerCount);
      if (!failure) return false;
      if (direction === 'up' && (failure.index === innerCount - 1 || isConflictOrExists(failure.error))) {
        // The history record's fixed id is the fence: a second apply of the same version fails
        // its commit and keeps nothing. Read the history to tell "applied by another" from a
        // real failure.
        if (await this.#appliedByAnother(version)) return true;
        if (isConflictOrExists(failure.error) && failure.index !== innerCount - 1 && attempt < CONFLICT_RETRIES)
          continue;
      }
      throw statementError(script, direction, version, failure.error, statements[failure.index - 1]);
    }
  }

  /**
   * A `-- migrate:no-transaction` file: each statement is its own request. If one fails, the
   * attempt is recorded in `<table>_failed` and start-up refuses until an operator resolves it.
   */
  async #runStatementByStatement(script: MigrationFile, direction: MigrationDirection): Promise<boolean> {
    const { db, history } = this.#ctx;
    const statements = surqlStatements(script.text);
    refuseTransactionStatements(script, direction, statements);
    const started = Date.now();
    for (const [index, statement] of statements.entries()) {
      let failure: Error | undefined;
      let located: MigrationError | undefined;
      try {
        const [response] = await db.query(statement.text).responses();
        if (response && !response.success) failure = response.error;
      } catch (error) {
        located = requestError(script, direction, script.version, error, 0, statement);
        failure = error as Error;
      }
      if (!failure) continue;
      const reason = located?.reason ?? failure.message;
      await history.recordFailed({
        version: script.version,
        name: script.name,
        file: script.file,
        checksum: script.checksum,
        statementsApplied: index,
        statementCount: statements.length,
        error: `${direction}: ${reason}`,
      });
      throw new MigrationError(
        {
          version: script.version,
          name: script.name,
          file: script.file,
          direction,
          statement: statement.text,
          line: located?.line ?? statement.line,
          column: located?.column ?? statement.column,
          reason,
          cause: failure,
        },
        `This file runs outside a transaction: ${appliedSoFar(index, statements.length)}. Fix the ` +
          `database by hand, then call manager.resolve(${script.version}, 'applied' | ` +
          `'rolled-back') (CLI: surreal-migrate resolve ${script.version} --applied|--rolled-back).`,
      );
    }
    const bookkeeping =
      direction === 'up'
        ? history.recordStatement({ version: script.version, name: script.name, checksum: script.checksum })
        : history.deleteStatement(script.version);
    const [response] = await db
      .query(`LET $__sbl_started = $__sbl_began; ${bookkeeping.sql}`, {
        ...bookkeeping.vars,
        __sbl_began: new Date(started),
      })
      .responses(1);
    if (response && !response.success) {
      if (direction === 'up' && isConflictOrExists(response.error) && (await this.#appliedByAnother(script.version))) {
        return true;
      }
      throw response.error;
    }
    return false;
  }

  async #appliedByAnother(version: number): Promise<boolean> {
    return (await this.#ctx.history.readVersions()).includes(version);
  }
}

/**
 * Where the run failed: `index` counts the request's statements after BEGIN. When no statement
 * carries a real error but some were not executed (a failed commit), the first of those is
 * returned, unless `cancelled` says the request ends with CANCEL, where that is the success case.
 */
function locateFailure(
  responses: QueryResponse[],
  innerCount: number,
  cancelled = false,
): { index: number; error: Error } | undefined {
  // SurrealDB 3 answers BEGIN (and COMMIT); SurrealDB 2 does not.
  const offset = responses.length > innerCount ? 1 : 0;
  let fallback: { index: number; error: Error } | undefined;
  for (const [i, response] of responses.entries()) {
    if (response.success) continue;
    const located = { index: i - offset, error: response.error };
    if (!isNotExecuted(response.error)) return located;
    fallback ??= located;
  }
  return cancelled ? undefined : fallback;
}

/**
 * An error that rejected the whole request: a parse error (located in the file: the request's
 * line minus `prefixLines`, or relative to `statement` for a single statement), or a transport
 * failure.
 */
function requestError(
  script: MigrationFile,
  direction: MigrationDirection,
  version: number,
  error: unknown,
  prefixLines: number,
  statement?: SurqlStatement,
): MigrationError {
  const message = error instanceof Error ? error.message : String(error);
  const at = errorLocation(error);
  let line: number | undefined;
  let column: number | undefined;
  if (at) {
    const { line: l, column: c } = at;
    if (statement) {
      line = statement.line + l - 1;
      column = l === 1 ? statement.column + c - 1 : c;
    } else if (l - prefixLines >= 1 && l - prefixLines <= script.text.split('\n').length) {
      line = l - prefixLines;
      column = c;
    }
  }
  const statementAt = statement ?? (line === undefined ? undefined : statementAtLine(script.text, line));
  return new MigrationError({
    version,
    name: script.name,
    file: script.file,
    direction,
    statement: statementAt?.text,
    line,
    column,
    reason: message.split('\n')[0] ?? message,
    cause: error,
  });
}

/** A failing statement's error, located at the statement's start in the file. */
function statementError(
  script: MigrationFile,
  direction: MigrationDirection,
  version: number,
  error: Error,
  statement: SurqlStatement | undefined,
): MigrationError {
  return new MigrationError({
    version,
    name: script.name,
    file: script.file,
    direction,
    statement: statement?.text,
    line: statement?.line,
    column: statement?.column,
    reason: error.message,
    cause: error,
  });
}

function statementAtLine(text: string, line: number): SurqlStatement | undefined {
  let found: SurqlStatement | undefined;
  for (const statement of surqlStatements(text)) {
    if (statement.line > line) break;
    found = statement;
  }
  return found;
}

/** The runner owns the transaction; a script that opens or ends one would break atomicity. */
function refuseTransactionStatements(
  script: MigrationFile,
  direction: MigrationDirection,
  statements: readonly SurqlStatement[],
): void {
  const bad = statements.find((s) => s.keyword === 'BEGIN' || s.keyword === 'COMMIT' || s.keyword === 'CANCEL');
  if (!bad) return;
  throw new MigrationError(
    {
      version: script.version,
      name: script.name,
      file: script.file,
      direction,
      statement: bad.text,
      line: bad.line,
      column: bad.column,
      reason: `${bad.keyword} is not allowed in a migration script`,
    },
    script.noTransaction
      ? 'Remove it: a no-transaction file runs each statement on its own.'
      : 'Remove it: each migration already runs in its own transaction, with its history record. ' +
          'For statements that cannot run in a transaction, add a leading `-- migrate:no-transaction` line.',
  );
}

function appliedSoFar(applied: number, total: number): string {
  if (applied === 0) return `no statement of ${total} was applied`;
  if (applied === 1) return `statement 1 of ${total} was applied and remains`;
  return `statements 1-${applied} of ${total} were applied and remain`;
}

function expectedDownFile(directory: string, version: number, name: string, up: readonly MigrationFile[]): string {
  const upFile = up.find((u) => u.version === version);
  if (!upFile) return `${directory}/${version}_down.surql`;
  const base = upFile.path.split(/[\\/]/).pop() ?? '';
  const ext = base.endsWith('.surrealql') ? 'surrealql' : 'surql';
  const stem = base.slice(0, -(ext.length + 1));
  const display = upFile.file.slice(0, upFile.file.length - base.length);
  return /^\d+$/.test(stem) ? `${display}${stem}_down.${ext}` : `${display}${stem}.down.${ext}`;
}
