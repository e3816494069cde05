/**
 * A manager's events: each names its target, and a `forTarget` manager's reach the listeners of
 * the manager that made it; and the lines a manager logs of its own.
 */
import { MigrationEvents, type MigrationEventMap, type MigrationEventName } from '../events/migration-events.js';
import type { MigrationLogger } from '../options/options.js';
import type { MigrationTarget } from '../support/target.js';

/** Events that name their target, and reach the parent manager's listeners too. */
export class TargetEvents extends MigrationEvents {
  /** The manager's own events only (not its forTarget managers'): what it logs. */
  readonly own: MigrationEvents;
  readonly #target: MigrationTarget | undefined;
  readonly #parent: TargetEvents | undefined;

  constructor(onListenerError: (error: Error) => void, target: MigrationTarget | undefined, parent?: TargetEvents) {
    super(onListenerError);
    this.own = new MigrationEvents(onListenerError);
    this.#target = target;
    this.#parent = parent;
  }

  override emit<K extends MigrationEventName>(event: K, payload: MigrationEventMap[K]): void {
    const named = this.#target && !payload.target ? { ...payload, target: this.#target } : payload;
    this.own.emit(event, named);
    this.#relay(event, named);
  }

  /** To this manager's listeners, and on to its parent's. */
  #relay<K extends MigrationEventName>(event: K, payload: MigrationEventMap[K]): void {
    super.emit(event, payload);
    if (this.#parent) this.#parent.#relay(event, payload);
  }
}

/**
 * Logs a manager's own events (its logger names the target), not those of its forTarget managers,
 * which log their own.
 */
export function logOwnEvents(events: TargetEvents, logger: MigrationLogger): void {
  events.own.subscribe({
    migrated: (e) =>
      logger.log(
        e.byAnother
          ? `Migration ${label(e)} was applied by another replica`
          : `Applied migration ${label(e)} in ${e.durationMs} ms`,
      ),
    rolledBack: (e) => logger.log(`Rolled back migration ${label(e)} in ${e.durationMs} ms`),
    repeatableApplied: (e) =>
      logger.log(
        e.byAnother
          ? `Repeatable definition ${e.name} (${e.file}) was applied by another replica`
          : `Applied repeatable definition ${e.name} (${e.file}) in ${e.durationMs} ms`,
      ),
    failed: (e) => logger.error(e.error.message),
    lockWaiting: (e) =>
      logger.log(`Waiting for the migration lock` + (e.holder ? ` held by ${e.holder.host} pid ${e.holder.pid}` : '')),
  });
}

/** `3 create_users (migrations/0003_create_users.surql)` */
function label(e: { version: number; name: string; file: string }): string {
  return `${e.version}${e.name ? ` ${e.name}` : ''} (${e.file})`;
}
