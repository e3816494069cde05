/**
 * A manager's start, refresh and bootstrap: the folder read, the connection opened, the targets resolved.
 */
import { Features, type Surreal } from 'surrealdb';
import { openConnection, type MigrationConnection } from '../db/connection.js';
import { isEmbeddedV2Client } from '../db/embedded-v2.js';
import { discoverMigrations, type DiscoveredMigrations } from '../files/migration-files.js';
import type { MigrationMode, MigrationTarget, ResolvedMigrationsOptions } from '../options/options.js';
import type { MigrationResult } from '../runner/migration-runner.js';
import { noSessionsError, resolveTargets } from '../tenants/targets.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import type { ManagerContext } from './context.js';

/** What a new manager starts with. */
export interface Started {
  discovered: DiscoveredMigrations;
  connection: MigrationConnection;
  /** With `targets`: the resolved list. */
  targets: readonly MigrationTarget[] | undefined;
  /** Without `targets`: its one database, when it is known. */
  target: MigrationTarget | undefined;
}

/** Reads the folder, connects (with retries) and resolves `targets`. */
export async function start(resolved: ResolvedMigrationsOptions): Promise<Started> {
  // Reading the folder first: a broken folder is reported without waiting for a database.
  const discovered = await discoverMigrations(resolved.directory);
  const connection = await openConnection(resolved, resolved.logger);
  let targets: readonly MigrationTarget[] | undefined;
  try {
    targets = resolved.targets === undefined ? undefined : await resolveTargets(resolved.targets, connection.db);
    // Refused now, not at each target's first request.
    if (targets && !connection.owned && !connection.db.isFeatureSupported(Features.Sessions)) {
      if (!isEmbeddedV2Client(connection.db)) throw noSessionsError();
    }
  } catch (error) {
    await connection.close();
    throw error;
  }
  return { discovered, connection, targets, target: targets ? undefined : ownTarget(resolved, connection.db) };
}

/** Reads the migrations folder again (and, with a `targets` function, the targets). */
export function refresh(ctx: ManagerContext, tenants: Pick<Tenants<Tenant>, 'forget'>): Promise<void> {
  return ctx.guard(async () => {
    const discovered = await discoverMigrations(ctx.options.directory);
    ctx.setFiles(discovered);
    const spec = ctx.options.targets;
    if (ctx.targets && typeof spec === 'function') {
      ctx.targets = await resolveTargets(spec, ctx.connection.db);
      // The sessions of targets no longer listed are closed.
      await tenants.forget(ctx.targets);
    }
  });
}

/** What the module does at bootstrap, by `mode`. */
export async function bootstrap(
  manager: Pick<Tenant, 'runMigrationUp'> & { validate(options: { requireCurrent?: boolean }): Promise<unknown> },
  mode: MigrationMode,
): Promise<MigrationResult[]> {
  switch (mode) {
    case 'off':
      return [];
    case 'validate':
      await manager.validate({ requireCurrent: true });
      return [];
    case 'apply':
      return manager.runMigrationUp();
  }
}

/** The one database a manager without `targets` works on, when it is known. */
function ownTarget(options: ResolvedMigrationsOptions, db: Surreal): MigrationTarget | undefined {
  let namespace = options.namespace;
  let database = options.database;
  if (options.client) {
    try {
      ({ namespace, database } = db);
    } catch {
      // A client not connected yet (it throws when asked), or wrapped: its database is not known.
      return undefined;
    }
  }
  return namespace && database ? { namespace, database } : undefined;
}
