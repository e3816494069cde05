import type { MigrationEvents } from '../events/migration-events.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import type { ExecutionContext } from '../execution/execution-context.js';

/** What the runner shares with the manager. Internal. */
export interface RunnerContext extends ExecutionContext {
  /** The database, as errors name it (the URL redacted, and the target). */
  readonly where: string;
  readonly events: MigrationEvents;
  /** The discovered scripts; `refresh()` replaces them. */
  files(): RunnerFiles;
}

/** The folder's scripts, as the runner reads them. */
export interface RunnerFiles {
  readonly up: readonly MigrationFile[];
  readonly down: readonly MigrationFile[];
  readonly repeatable: readonly RepeatableFile[];
}
