import path from 'node:path';
import type { QueryResponse, Surreal } from 'surrealdb';
import {
  MigrationError,
  MigrationLockError,
  MigrationsStoppedError,
  MissingDownMigrationError,
  type MigrationDirection,
  type MigrationFailureContext,
} from './errors.js';
import type { HistoryStore } from './history-store.js';
import type { MigrationEvents } from './migration-events.js';
import type { MigrationFile } from './migration-files.js';
import type { MigrationLock } from './migration-lock.js';
import { computeState, findProblems, type MigrationState } from './migration-plan.js';
import type { MigrationLogger, ResolvedMigrationsOptions } from './options.js';
import { errorLocation, isConflictOrExists, isNotExecuted, isRetryableConflict } from './surreal-errors.js';
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

  /**
   * The discovered files compared with the history, read with one query.
   * @internal
   */
  async readState(): Promise<MigrationState> {
    return computeState(this.#ctx.files().up, await this.#ctx.history.read());
  }

  /**
   * Asks a run in progress to stop after the current migration, and waits until it has (its
   * transaction committed or rolled back, the lock released). A run waiting for the lock stops
   * waiting. The stopped run rejects with `MigrationsStoppedError` if work was left; from then on
   * the runner starts no further migration.
   */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    this.#ctx.lock.interruptWait();
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
          const selected = select(current);
          const results: MigrationResult[] = [];
          for (const migration of selected) {
            this.#ensureRunning(selected.length - results.length);
            this.#ensureLeaseHeld(migration);
            results.push(await this.applyUp(migration));
          }
          return results;
        },
        [],
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
          const steps = this.#downPlan(current, select(current));
          const results: MigrationResult[] = [];
          for (const step of steps) {
            this.#ensureRunning(steps.length - results.length);
            this.#ensureLeaseHeld(step.down);
            results.push(await this.applyDown(step.version, step.name, step.down));
          }
          return results;
        },
        [],
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
   * Runs `work` holding the lock, waiting for it as migrations do: for operator commands
   * (baseline, resolve, repair) that write the history.
   * @internal
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const stopped = Symbol('stopped');
    return this.#track(async () => {
      const result = await this.#exclusive<T | typeof stopped>(async () => 1, work, stopped);
      // Only a stop ends the wait of a command that always has work to do.
      if (result === stopped) throw new MigrationsStoppedError(1);
      return result;
    });
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
      refuseStatements(migration, 'up', statements);
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
      throw requestError(span.migration, 'up', error, span.firstLine - 1);
    }
    const failure = locateFailure(responses, index, true);
    if (!failure) {
      const expected = index + ((await this.#serverAnswersTransactions()) ? 2 : 0);
      if (responses.length >= expected) return;
      // A RETURN in a block ended the request: what followed it was never verified.
      const ran = responses.length - (expected - index);
      const span = [...spans].reverse().find((s) => ran >= s.firstIndex) ?? spans[0]!;
      const statement = span.statements[ran - span.firstIndex - 1];
      throw scriptError(span.migration, 'up', {
        statement: statement?.text,
        line: statement?.line,
        column: statement?.column,
        reason:
          'the dry run ended early here: a RETURN outside a function or a (subquery) ends the whole request, ' +
          'so the statements after it were never run',
      });
    }
    const span = [...spans].reverse().find((s) => failure.index >= s.firstIndex);
    if (!span) throw failure.error;
    throw statementError(span.migration, 'up', failure.error, span.statements[failure.index - span.firstIndex]);
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
  async #exclusive<T>(remaining: () => Promise<number>, work: () => Promise<T>, nothingToDo: T): Promise<T> {
    const { lock, history, events } = this.#ctx;
    await history.ensureDefined();
    const acquired = await lock.acquire(remaining, events);
    if (!acquired) {
      // The wait ended: another replica did the work, or a stop interrupted it.
      if (this.#stopRequested) this.#ensureRunning(await remaining());
      return nothingToDo;
    }
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
    const promise = this.#active
      .catch(() => {})
      .then(() => {
        this.#ensureRunning(undefined);
        return run();
      });
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
          expectedFile: expectedDownFile(this.#ctx.options.directory, s.version, up),
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
    refuseStatements(script, direction, statements);
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
        if (errorLocation(error)) throw requestError(script, direction, error, 1);
        // No answer (a dropped connection, a conflict reported for the whole request): the
        // transaction may or may not have committed. The history says which.
        const applied = await this.#isApplied(version).catch(() => undefined);
        if (applied !== undefined && applied === (direction === 'up')) return direction === 'up';
        if (applied !== undefined && isRetryableConflict(error) && attempt < CONFLICT_RETRIES) continue;
        throw requestError(
          script,
          direction,
          error,
          1,
          undefined,
          applied === undefined
            ? `The request got no answer, and the history could not be read: check \`surreal-migrate status\` before running it again.`
            : undefined,
        );
      }
      const failure = locateFailure(responses, innerCount);
      if (!failure) {
        if (bookkeepingAnswered(responses, innerCount, version)) return false;
        // The request ended before its history statement: a RETURN at the top level of a block
        // ends the whole request, and SurrealDB then commits what ran before it.
        return this.#recordPartial(script, direction, statements, responses);
      }
      if (direction === 'up' && (failure.index === innerCount - 1 || isConflictOrExists(failure.error))) {
        // The history record's fixed id is the fence: a second apply of the same version fails
        // its commit and keeps nothing. Read the history to tell "applied by another" from a
        // real failure.
        if (await this.#isApplied(version)) return true;
        if (isRetryableConflict(failure.error) && failure.index !== innerCount - 1 && attempt < CONFLICT_RETRIES) {
          continue;
        }
      }
      throw statementError(script, direction, failure.error, statements[failure.index - 1]);
    }
  }

  /**
   * The request ended early and committed part of the script without its bookkeeping: record it
   * as failed, so start-up refuses until an operator resolves it, and say so.
   */
  async #recordPartial(
    script: MigrationFile,
    direction: MigrationDirection,
    statements: readonly SurqlStatement[],
    responses: readonly QueryResponse[],
  ): Promise<never> {
    // Answered: BEGIN and COMMIT (SurrealDB 3 only), our LET, and the script's statements up to the
    // one that ended the request. The count is short, so it cannot tell the server's version.
    const answersTransaction = await this.#serverAnswersTransactions();
    const ran = Math.max(0, Math.min(statements.length, responses.length - (answersTransaction ? 2 : 0) - 1));
    const last = statements[ran - 1];
    const reason =
      'the request ended early, before its history statement: a RETURN outside a function or a ' +
      '(subquery) ends the whole request, and SurrealDB commits the statements before it';
    await this.#recordFailed(script, direction, ran, statements.length, reason);
    throw scriptError(
      script,
      direction,
      {
        statement: last?.text,
        line: last?.line,
        column: last?.column,
        reason,
      },
      `SurrealDB committed what ran: ${appliedSoFar(ran, statements.length)}. Remove the RETURN, fix the ` +
        `database by hand, then call manager.resolve(${script.version}, 'applied' | 'rolled-back').`,
    );
  }

  /**
   * A `-- migrate:no-transaction` file: each statement is its own request. If one fails, the
   * attempt is recorded in `<table>_failed` and start-up refuses until an operator resolves it.
   */
  async #runStatementByStatement(script: MigrationFile, direction: MigrationDirection): Promise<boolean> {
    const { db, history } = this.#ctx;
    const statements = surqlStatements(script.text);
    refuseStatements(script, direction, statements);
    const started = Date.now();
    for (const [index, statement] of statements.entries()) {
      this.#ensureLeaseHeld(script);
      let failure: Error | undefined;
      let located: MigrationError | undefined;
      try {
        const [response] = await db.query(statement.text).responses();
        if (response && !response.success) failure = response.error;
      } catch (error) {
        located = requestError(script, direction, error, 0, statement);
        failure = error as Error;
      }
      if (!failure) continue;
      const reason = located?.reason ?? failure.message;
      await this.#recordFailed(script, direction, index, statements.length, reason);
      throw scriptError(
        script,
        direction,
        {
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
    let failure: Error | undefined;
    try {
      const [response] = await db
        .query(`LET $__sbl_started = $__sbl_began; ${bookkeeping.sql}`, {
          ...bookkeeping.vars,
          __sbl_began: new Date(started),
        })
        .responses(1);
      if (response && !response.success) failure = response.error;
    } catch (error) {
      failure = error as Error;
    }
    if (!failure) return false;
    if (direction === 'up' && isConflictOrExists(failure) && (await this.#isApplied(script.version))) return true;
    // Every statement ran, but the history does not say so: the operator must settle it.
    const reason = `every statement ran, but the history could not be updated: ${failure.message}`;
    await this.#recordFailed(script, direction, statements.length, statements.length, reason);
    throw scriptError(
      script,
      direction,
      { reason, cause: failure },
      `Check the database, then call manager.resolve(${script.version}, 'applied' | 'rolled-back').`,
    );
  }

  /** Records a failed attempt; a failure to record it must not hide the migration's own error. */
  async #recordFailed(
    script: MigrationFile,
    direction: MigrationDirection,
    statementsApplied: number,
    statementCount: number,
    reason: string,
  ): Promise<void> {
    try {
      await this.#ctx.history.recordFailed({
        version: script.version,
        name: script.name,
        file: script.file,
        checksum: script.checksum,
        statementsApplied,
        statementCount,
        error: `${direction}: ${reason}`,
      });
    } catch (error) {
      this.#ctx.logger.error(
        `Could not record the failed attempt of migration ${script.version} in the history: ${(error as Error).message}`,
      );
    }
  }

  /** After `stop()`, no further migration starts. */
  #ensureRunning(remaining: number | undefined): void {
    if (this.#stopRequested && remaining !== 0) throw new MigrationsStoppedError(remaining);
  }

  /** A holder whose lease was taken over must stop: another process now runs the migrations. */
  #ensureLeaseHeld(migration: Pick<MigrationFile, 'version' | 'file'>): void {
    if (this.#ctx.lock.lost) {
      throw new MigrationLockError(undefined, 0, {
        lost: true,
        detail: `before migration ${migration.version} (${migration.file})`,
      });
    }
  }

  /** SurrealDB 3 answers BEGIN and COMMIT with a response of their own; 2 does not. */
  async #serverAnswersTransactions(): Promise<boolean> {
    const { version } = await this.#ctx.db.version();
    return Number(/(\d+)\./.exec(version)?.[1] ?? 3) >= 3;
  }

  async #isApplied(version: number): Promise<boolean> {
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
  error: unknown,
  prefixLines: number,
  statement?: SurqlStatement,
  hint?: string,
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
    } else if (l - prefixLines >= 1) {
      // An error found at the end of the script (a statement left unfinished) is reported on the
      // request's own line after it: clamp it to the file's last line.
      const lastLine = script.text.split('\n').length;
      line = Math.min(l - prefixLines, lastLine);
      column = l - prefixLines > lastLine ? undefined : c;
    }
  }
  const statementAt = statement ?? (line === undefined ? undefined : statementAtLine(script.text, line));
  return scriptError(
    script,
    direction,
    {
      statement: statementAt?.text,
      line,
      column,
      reason: message.split('\n')[0] ?? message,
      cause: error,
    },
    hint,
  );
}

/** A MigrationError about `script`; the version, name and file come from it. */
function scriptError(
  script: MigrationFile,
  direction: MigrationDirection,
  details: Omit<MigrationFailureContext, 'version' | 'name' | 'file' | 'direction'>,
  hint?: string,
): MigrationError {
  return new MigrationError(
    { version: script.version, name: script.name, file: script.file, direction, ...details },
    hint,
  );
}

/** A failing statement's error, located at the statement's start in the file. */
function statementError(
  script: MigrationFile,
  direction: MigrationDirection,
  error: Error,
  statement: SurqlStatement | undefined,
): MigrationError {
  return scriptError(script, direction, {
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

/**
 * Statements a migration must not contain, refused with their line before anything runs:
 * - BEGIN, COMMIT, CANCEL: the runner owns the transaction;
 * - USE: the history record would land in another namespace or database;
 * - RETURN at the top level: it ends the whole request, and SurrealDB commits what ran before it,
 *   without the history record;
 * - LET in a no-transaction file: each statement is its own request, so the variable would be
 *   gone by the next one.
 */
function refuseStatements(
  script: MigrationFile,
  direction: MigrationDirection,
  statements: readonly SurqlStatement[],
): void {
  for (const statement of statements) {
    const hint = refusal(statement.keyword, script.noTransaction);
    if (!hint) continue;
    throw scriptError(
      script,
      direction,
      {
        statement: statement.text,
        line: statement.line,
        column: statement.column,
        reason: `${statement.keyword} is not allowed in a ${script.noTransaction ? 'no-transaction ' : ''}migration script`,
      },
      hint,
    );
  }
}

function refusal(keyword: string, noTransaction: boolean): string | undefined {
  switch (keyword) {
    case 'BEGIN':
    case 'COMMIT':
    case 'CANCEL':
      return noTransaction
        ? 'Remove it: a no-transaction file runs each statement on its own.'
        : 'Remove it: each migration already runs in its own transaction, with its history record. ' +
            'For statements that cannot run in a transaction, add a leading `-- migrate:no-transaction` line.';
    case 'USE':
      return 'Remove it: a migration runs in the namespace and database the migrations are configured for.';
    case 'RETURN':
      return (
        'Remove it: a RETURN at the top level ends the whole request, and SurrealDB would commit the ' +
        'statements before it without the history record. RETURN inside DEFINE FUNCTION or a (subquery) is fine.'
      );
    case 'LET':
      return noTransaction
        ? 'A no-transaction file runs each statement as its own request, so a variable does not reach the ' +
            'next statement. Inline the value, or move the statements that need it into a transactional migration.'
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Whether the request reached its bookkeeping statement: its answer holds the history row (the
 * created one, or the deleted one). Without it, the request ended early.
 */
function bookkeepingAnswered(responses: readonly QueryResponse[], innerCount: number, version: number): boolean {
  const offset = responses.length > innerCount ? 1 : 0;
  const answer = responses[offset + innerCount - 1];
  if (!answer?.success) return false;
  const rows = Array.isArray(answer.result) ? (answer.result as { version?: unknown }[]) : [];
  return rows.some((row) => Number(row?.version) === version);
}

function appliedSoFar(applied: number, total: number): string {
  if (applied === 0) return `no statement of ${total} was applied`;
  if (applied === 1) return `statement 1 of ${total} was applied and remains`;
  return `statements 1-${applied} of ${total} were applied and remain`;
}

/** The down script a rollback would need, named in its up script's style. */
function expectedDownFile(directory: string, version: number, up: readonly MigrationFile[]): string {
  const upFile = up.find((u) => u.version === version);
  if (!upFile) return path.join(directory, `${version}_down.surql`);
  const ext = path.extname(upFile.file);
  const stem = path.basename(upFile.file, ext);
  // Open Notebook's `1.surrealql` pairs with `1_down.surrealql`; named files with `<name>.down.surql`.
  return path.join(path.dirname(upFile.file), /^\d+$/.test(stem) ? `${stem}_down${ext}` : `${stem}.down${ext}`);
}
