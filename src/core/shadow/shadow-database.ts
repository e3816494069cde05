/**
 * The shadow database: a folder (or a prefix of it) applied to a private database, one version at
 * a time, by the production runner (its history, lock and runner core, as `compose.ts` builds
 * them): so a failure in the shadow is the failure `up` would meet (its file, line, column and
 * SurrealDB's message); the shadow only lets a run carry on past a failure, so that one pass
 * finds every problem. Nothing here touches the user's database.
 */
import { randomUUID } from 'node:crypto';
import type { Surreal } from 'surrealdb';
import { openConnection, serverMajor, type MigrationConnection } from '../db/connection.js';
import { emptyEngine } from '../db/embedded-engine.js';
import { quoteIdent } from '../support/identifiers.js';
import { asLibraryError } from '../db/surreal-errors.js';
import { MigrationError } from '../support/run-errors.js';
import { RepeatableError } from '../support/repeatable-errors.js';
import { MigrationEvents } from '../events/migration-events.js';
import { discoverMigrations, type MigrationFile } from '../files/migration-files.js';
import { type MigrationLogger, type ResolvedMigrationsOptions } from '../options/options.js';
import { redactUrl } from '../options/urls.js';
import { resolveOptions } from '../options/resolve-options.js';
import { parseOnServer } from '../execution/parse-check.js';
import { composeRunner, type RunnerParts } from '../runner/compose.js';
import type { HeldSteps } from '../runner/runner-core.js';
import type { RunnerFiles } from '../runner/runner-context.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { DEFAULT_SHADOW, readSchema, type DatabaseSchema, type ShadowSource } from './shadow.js';

/**
 * A private database with a folder's migrations, applied one version at a time by the production
 * runner: in memory in this process, or in a namespace of its own on the user's server.
 */
export class ShadowDatabase {
  readonly #connection: MigrationConnection;
  readonly #runner: RunnerParts;
  /** The events of the shadow's runs. */
  readonly #events: MigrationEvents;
  readonly #options: ResolvedMigrationsOptions;
  readonly #files: RunnerFiles;
  /** The scratch namespace on a server, removed on close; undefined for an embedded engine. */
  readonly #scratch: string | undefined;
  /** While {@link hold} runs: the steps under the lock it holds. */
  #held: HeldSteps | undefined;
  #closed = false;

  /** The major version of the engine that judges the folder (the server's, for a server shadow). */
  readonly major: number;

  private constructor(opened: OpenedShadow, scratch: string | undefined, major: number) {
    this.#connection = opened.connection;
    this.#runner = opened.runner;
    this.#events = opened.events;
    this.#options = opened.options;
    this.#files = opened.files;
    this.#scratch = scratch;
    this.major = major;
  }

  /**
   * Opens a new, empty shadow for the migrations in `directory`. `logger` hears the connection's
   * and the runner's messages.
   */
  static async open(
    directory: string,
    source: ShadowSource = DEFAULT_SHADOW,
    logger: MigrationLogger | false = false,
  ): Promise<ShadowDatabase> {
    const scratch = source.server ? `sbl_shadow_${randomUUID().replace(/-/g, '')}` : undefined;
    const names = source.names ?? { namespace: 'shadow', database: 'shadow' };
    const options = resolveOptions({
      ...(source.server
        ? { url: source.server.url, auth: source.server.auth, namespace: scratch, database: names.database }
        : { url: 'mem://', surrealdb: source.surrealdb, ...names }),
      directory,
      logger,
      // The shadow carries on past a failure: later versions may then be applied before it.
      allowOutOfOrder: true,
      validateChecksums: false,
      lock: { ttlMs: 60_000 },
      // Nothing of the user's lives here: what a migration deletes is the shadow's own.
      acceptDataLoss: true,
      checkData: false,
    });
    const opened = await openShadow(options);
    try {
      const major = source.server ? await serverMajor(opened.connection.db) : source.surrealdb;
      return new ShadowDatabase(opened, scratch, major);
    } catch (error) {
      await closeShadow(opened);
      throw error;
    }
  }

  get db(): Surreal {
    return this.#connection.db;
  }

  /** The shadow's history table: its tables are the tool's own, never part of a schema. */
  get historyTable(): string {
    return this.#options.table;
  }

  get up(): readonly MigrationFile[] {
    return this.#files.up;
  }

  get down(): readonly MigrationFile[] {
    return this.#files.down;
  }

  get repeatable(): readonly RepeatableFile[] {
    return this.#files.repeatable;
  }

  /** Parses a script on the server without running it: its syntax error, if any. */
  async parse(file: MigrationFile, direction: 'up' | 'down'): Promise<MigrationError | undefined> {
    return parseOnServer(this.db, file, direction).then(
      () => undefined,
      (error: unknown) => asMigrationError(error),
    );
  }

  /**
   * Runs `work` with the shadow's lock held once: its {@link applyUp} and {@link applyDown} then
   * send only each migration's own request, as a replay does, rather than take the lock each time.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    return this.#runner.core.hold(async (steps) => {
      this.#held = steps;
      try {
        return await work();
      } finally {
        this.#held = undefined;
      }
    });
  }

  /**
   * Applies one version (not applied yet); its failure, if any. A failed no-transaction file is set
   * aside, so the shadow goes on.
   */
  async applyUp(version: number): Promise<MigrationError | undefined> {
    try {
      const held = this.#held;
      const up = this.#files.up.find((m) => m.version === version);
      if (held && up) await held.up(up);
      else await this.#runner.core.migrateUp((state) => state.pending.filter((m) => m.version === version));
      return undefined;
    } catch (error) {
      await this.#setAside(version, 'rolled-back');
      return asMigrationError(error);
    }
  }

  /**
   * Applies the folder's `versions` not applied yet, in order, then its repeatable definitions, as
   * one run; the first failure is thrown. `starting` hears of each migration as it starts.
   */
  async applyAll(versions?: ReadonlySet<number>, starting?: (file: string) => void): Promise<void> {
    const unsubscribe = starting ? this.#events.on('migrating', ({ file }) => starting(file)) : () => {};
    try {
      // The repeatable definitions after the versions, as a run to the latest applies them: the
      // schema of the folder, and of the versions a database holds (drift), includes them.
      await this.#runner.core.migrateUp(
        (state) => (versions ? state.pending.filter((m) => versions.has(m.version)) : state.pending),
        {},
        { repeatables: true },
      );
    } finally {
      unsubscribe();
    }
  }

  /**
   * Applies one repeatable definition, within {@link hold}; its failure, if any. `again`: its
   * record is forgotten first, so that the same text is sent a second time (lint proves a
   * repeatable runs twice to the same effect).
   */
  async applyRepeatable(file: RepeatableFile, again = false): Promise<RepeatableError | undefined> {
    const held = this.#held;
    if (!held) throw new Error('applyRepeatable runs within hold()');
    try {
      if (again) await this.#runner.history.forgetRepeatables([file.name]);
      await held.repeatable(file);
      return undefined;
    } catch (error) {
      if (error instanceof RepeatableError) return error;
      throw error;
    }
  }

  /** Rolls one applied version back with its down script; its failure, if any. */
  async applyDown(version: number): Promise<MigrationError | undefined> {
    try {
      const held = this.#held;
      const up = this.#files.up.find((m) => m.version === version);
      const down = this.#files.down.find((m) => m.version === version);
      if (held && up && down) await held.down(version, up.name, down);
      else await this.#runner.core.migrateDown(() => [version]);
      return undefined;
    } catch (error) {
      await this.#setAside(version, 'applied');
      return asMigrationError(error);
    }
  }

  /** The shadow's schema, without the tool's own tables. */
  schema(): Promise<DatabaseSchema> {
    return readSchema(this.db, this.#options.table);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#scratch !== undefined) {
        // On a server only the scratch namespace is the shadow's: nothing else is touched.
        await this.db.query(`REMOVE NAMESPACE IF EXISTS ${quoteIdent(this.#scratch)}`).responses();
      } else {
        // An engine that ran DEFINE INDEX keeps an index builder, and with it the Node process,
        // alive after close(); emptying it ends that (a migration may have used another
        // namespace). The shadow's engine is private: nothing else lives there.
        await emptyEngine(this.db);
      }
    } finally {
      await closeShadow({ connection: this.#connection, runner: this.#runner });
    }
  }

  /**
   * A no-transaction file that failed leaves a record that would block the next runs: settled as
   * the shadow now stands (an up as not applied, a down as still applied), as `resolve` would.
   */
  async #setAside(version: number, outcome: 'applied' | 'rolled-back'): Promise<void> {
    const { core, history } = this.#runner;
    const failed = await core.readState().then(
      (state) => state.failed,
      (error: unknown) => {
        throw this.#options.redactor.error(asLibraryError(error, redactUrl(this.#options.url!)));
      },
    );
    if (!failed.some((f) => f.version === version)) return;
    const settle = async () => {
      const record = (await core.readState()).failed.find((f) => f.version === version);
      if (!record) return;
      if (outcome === 'rolled-back') return history.recordRolledBack(version);
      const file = this.#files.up.find((m) => m.version === version);
      await history.recordApplied(
        [{ version, name: file?.name ?? record.name, checksum: file?.checksum ?? record.checksum ?? '' }],
        'resolve',
      );
    };
    // Under the lock: the one held already, or taken for this.
    if (this.#held) {
      await settle();
      await this.#held.refresh();
    } else {
      await core.exclusive(settle);
    }
  }
}

/** A shadow's connection and runner, and what they were opened with. */
interface OpenedShadow {
  connection: MigrationConnection;
  runner: RunnerParts;
  events: MigrationEvents;
  options: ResolvedMigrationsOptions;
  files: RunnerFiles;
}

/** Reads the folder (first: a broken folder is reported without waiting for a database), connects, builds the runner. */
async function openShadow(options: ResolvedMigrationsOptions): Promise<OpenedShadow> {
  try {
    const discovered = await discoverMigrations(options.directory);
    const files = {
      up: Object.freeze([...discovered.up]),
      down: Object.freeze([...discovered.down]),
      repeatable: Object.freeze([...discovered.repeatable]),
    };
    const connection = await openConnection(options, options.logger);
    const events = new MigrationEvents();
    const runner = composeRunner({
      db: connection.db,
      connection: connection.db,
      where: redactUrl(options.url!),
      options,
      events,
      files: () => files,
    });
    return { connection, runner, events, options, files };
  } catch (error) {
    throw options.redactor.error(error);
  }
}

/** Lets a run in progress end, then closes the connection. */
async function closeShadow(opened: Pick<OpenedShadow, 'connection' | 'runner'>): Promise<void> {
  await opened.runner.core.stop();
  await opened.connection.close();
}

function asMigrationError(error: unknown): MigrationError {
  if (error instanceof MigrationError) return error;
  throw error;
}
