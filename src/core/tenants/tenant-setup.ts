/**
 * What the manager of one target is made with: its options and its session on the connection it
 * shares with the manager that made it.
 */
import type { Surreal } from 'surrealdb';
import { openConnection } from '../db/connection.js';
import { isEmbeddedV2Client } from '../db/embedded-v2.js';
import { type MigrationLogger, type MigrationTarget, type ResolvedMigrationsOptions } from '../options/options.js';
import { targetKey } from '../options/target-list.js';
import { TargetSession } from './targets.js';

/**
 * The options of `target`'s manager (its names; no `targets`, no listeners of its own: its events
 * reach its parent's; a logger whose lines name it) and its session on `root`, the shared
 * connection.
 */
export function tenantSetup(
  options: ResolvedMigrationsOptions,
  root: Surreal,
  target: MigrationTarget,
): { options: ResolvedMigrationsOptions; session: TargetSession } {
  const key = targetKey(target);
  const own: ResolvedMigrationsOptions = {
    ...options,
    namespace: target.namespace,
    database: target.database,
    targets: undefined,
    on: {},
    logger: naming(options.logger, key),
  };
  // Servers without sessions get a connection per target: from the URL, or, for a `client` of the
  // embedded SurrealDB 2, to its datastore. (Each mem:// connection of the embedded SurrealDB 2 is
  // otherwise a new datastore: a target's shares the manager's.)
  const connecting: ResolvedMigrationsOptions | undefined =
    options.url !== undefined
      ? { ...own, client: undefined }
      : isEmbeddedV2Client(root)
        ? { ...own, client: undefined, url: 'mem://', surrealdb: 2 }
        : undefined;
  const openOwn = connecting && (() => openConnection(connecting, own.logger, root));
  return { options: own, session: new TargetSession(root, target, openOwn) };
}

/** A logger whose lines start with the target they are about. */
function naming(logger: MigrationLogger, key: string): MigrationLogger {
  return {
    log: (message, ...rest) => logger.log(`[${key}] ${message}`, ...rest),
    warn: (message, ...rest) => logger.warn(`[${key}] ${message}`, ...rest),
    error: (message, ...rest) => logger.error(`[${key}] ${message}`, ...rest),
  };
}
