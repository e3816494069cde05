import type { Surreal } from 'surrealdb';
import type { SessionLike } from '../db/session.js';
import type { HistoryStore } from '../history/history-store.js';
import type { MigrationLock } from '../lock/migration-lock.js';
import type { MigrationLogger, ResolvedMigrationsOptions } from '../options/options.js';

/** What running one migration's script needs: the database, its history and the held lock. Internal. */
export interface ExecutionContext {
  readonly db: SessionLike;
  /** The connection the sessions of `db` share: what the server's conventions are learnt once for. */
  readonly connection: Surreal;
  readonly options: ResolvedMigrationsOptions;
  readonly history: HistoryStore;
  readonly lock: MigrationLock;
  readonly logger: MigrationLogger;
}
