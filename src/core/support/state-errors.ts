/**
 * Errors of what the folder, the history or the schema hold: a run stops before it applies anything
 * (or, for a part-way failure, before it goes on) until someone fixes it.
 */
import { MigrationsError } from './errors.js';

/** One problem found while reading the migrations folder. */
export interface DiscoveryProblem {
  /** Paths relative to the working directory. */
  files: string[];
  problem: string;
}

/**
 * The migrations folder holds something that cannot be run safely. Nothing was applied. Also
 * thrown for another file or folder the product reads as discovery does (`what` names it: a
 * desired schema, a targets file), when it holds an entry that is not a regular file.
 */
export class MigrationDiscoveryError extends MigrationsError {
  readonly code = 'DISCOVERY_FAILED';

  constructor(
    readonly directory: string,
    readonly problems: readonly DiscoveryProblem[],
    options?: { cause?: unknown; what?: string },
  ) {
    super(
      `Cannot load ${options?.what ?? 'migrations'} from ${directory}:\n` +
        problems.map((p) => `  - ${p.files.join(', ')}: ${p.problem}`).join('\n'),
      options,
    );
  }
}

/** `mode: 'validate'` found migrations that are not applied. */
export class PendingMigrationsError extends MigrationsError {
  readonly code = 'PENDING_MIGRATIONS';

  constructor(readonly pending: readonly { version: number; name: string; file: string }[]) {
    super(
      `${pending.length} migration(s) pending: ${pending
        .map((p) => p.file)
        .join(', ')}. This app starts in mode 'validate' and applies nothing: run the migrations ` +
        `first (for example \`npx surreal-migrate up\` in the deploy job), or start with mode 'apply'.`,
    );
  }
}

/** One applied migration whose file no longer matches what was applied. */
export interface ChecksumMismatch {
  version: number;
  name: string;
  file: string;
  stored: string;
  current: string;
}

/** An applied migration's file was edited after it was applied. */
export class ChecksumMismatchError extends MigrationsError {
  readonly code = 'CHECKSUM_MISMATCH';

  constructor(readonly mismatches: readonly ChecksumMismatch[]) {
    super(
      `Applied migration(s) changed on disk:\n` +
        mismatches.map((m) => `  - ${m.version} ${m.file}: applied ${m.stored}, now ${m.current}`).join('\n') +
        `\n  Restore the applied text and add a new migration for the change. If the edit is ` +
        `harmless (comments, formatting), accept it with manager.repair({ changed: true }) or ` +
        `\`surreal-migrate repair --changed\`.`,
    );
  }
}

/** Applied migrations whose files are gone. */
export class MissingMigrationFileError extends MigrationsError {
  readonly code = 'MISSING_FILE';

  constructor(readonly missing: readonly { version: number; name: string | undefined }[]) {
    super(
      `Applied migration(s) have no file in the migrations folder: ${missing
        .map((m) => `${m.version}${m.name ? ` (${m.name})` : ''}`)
        .join(', ')}. Restore the file(s), or set allowMissing: true to only warn.`,
    );
  }
}

/** A pending migration is older than the newest applied one. */
export class OutOfOrderMigrationError extends MigrationsError {
  readonly code = 'OUT_OF_ORDER';

  constructor(
    readonly pending: readonly { version: number; file: string }[],
    readonly highestApplied: number,
  ) {
    super(
      `Pending migration(s) ${pending
        .map((p) => `${p.version} (${p.file})`)
        .join(', ')} are older than the newest applied version ${highestApplied}. ` +
        `Renumber them above ${highestApplied}, or set allowOutOfOrder: true to apply them anyway.`,
    );
  }
}

/** A no-transaction migration failed part-way and its record still stands. */
export class FailedMigrationPendingError extends MigrationsError {
  readonly code = 'FAILED_MIGRATION_PENDING';

  constructor(
    readonly failed: readonly {
      version: number;
      name: string;
      file: string;
      statementsApplied: number;
      error: string;
    }[],
  ) {
    super(
      `Migration(s) failed part-way outside a transaction and need an operator:\n` +
        failed
          .map((f) => `  - ${f.version} ${f.file}: ${f.statementsApplied} statement(s) applied, then: ${f.error}`)
          .join('\n') +
        `\n  Fix the database by hand, then call manager.resolve(version, 'applied') if the ` +
        `migration is now complete, manager.resolve(version, 'rolled-back') if its effects are ` +
        `undone, or manager.resolve(version, 'resume', { after: n }) to run the rest after statement n ` +
        `(CLI: surreal-migrate resolve <version> --applied|--rolled-back|--resume-after <n>).`,
    );
  }
}

/** History rows whose `version` cannot be read as a whole number. Nothing was applied. */
export class UnreadableHistoryError extends MigrationsError {
  readonly code = 'UNREADABLE_HISTORY';

  constructor(
    readonly table: string,
    /** The rows at fault: their record id, and the version they hold (undefined when none). */
    readonly rows: readonly { id: string; version: unknown }[],
  ) {
    super(
      `The history table ${table} has row(s) whose version cannot be read as a whole number: ` +
        rows
          .map(
            (r) =>
              `${r.id} (${r.version === undefined || r.version === null ? 'no version' : `version ${JSON.stringify(r.version)}`})`,
          )
          .join(', ') +
        `. Nothing was applied. Give them their version by hand, or remove them with \`surreal-migrate repair\` ` +
        `(manager.repair()).`,
    );
  }
}

/**
 * `diff` found an object removed and another of the same kind added in the same table (or two
 * tables): that could be a rename, which REMOVE and DEFINE would not do. Nothing was written.
 */
export class PossibleRenameError extends MigrationsError {
  readonly code = 'POSSIBLE_RENAME';

  constructor(
    readonly removed: string,
    readonly added: string,
  ) {
    super(
      `diff: ${removed} is removed and ${added} is added: that could be a rename, which REMOVE and DEFINE ` +
        `would not do (the data would be lost). Nothing was written. Write that migration by hand (for a ` +
        `field: add the new one, copy the values, then remove the old one), then diff again.`,
    );
  }
}
