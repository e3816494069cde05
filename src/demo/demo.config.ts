import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigService } from '@nestjs/config';
import type { MigrationsOptions } from '../index.js';

/** Defaults of the demo app; every one can be overridden by the environment or `.env`. */
export const DEMO_DEFAULTS = {
  /** Embedded and persistent: nothing to install. */
  url: 'surrealkv://data/demo.db',
  namespace: 'demo',
  database: 'demo',
  directory: 'migrations',
  port: 3000,
} as const;

/**
 * The migrations options of the demo, read from `SURREAL_URL`, `SURREAL_NAMESPACE`,
 * `SURREAL_DATABASE`, `SURREAL_USER` + `SURREAL_PASSWORD` (sign-in only when both are set) and
 * `MIGRATIONS_DIR`.
 */
export async function migrationsOptionsFromConfig(config: ConfigService): Promise<MigrationsOptions> {
  const url = read(config, 'SURREAL_URL') ?? DEMO_DEFAULTS.url;
  await createDataFolder(url);
  const username = read(config, 'SURREAL_USER');
  const password = read(config, 'SURREAL_PASSWORD');
  return {
    url,
    namespace: read(config, 'SURREAL_NAMESPACE') ?? DEMO_DEFAULTS.namespace,
    database: read(config, 'SURREAL_DATABASE') ?? DEMO_DEFAULTS.database,
    directory: read(config, 'MIGRATIONS_DIR') ?? DEMO_DEFAULTS.directory,
    ...(username && password ? { auth: { username, password } } : {}),
  };
}

/** `PORT`, default 3000; 0 lets the system pick a free port. */
export function portFromConfig(config: ConfigService): number {
  const raw = read(config, 'PORT');
  if (raw === undefined) return DEMO_DEFAULTS.port;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new Error(`Invalid PORT "${raw}": expected a whole number from 0 to 65535.`);
  }
  return port;
}

/** A set, non-blank value; blank lines in `.env` count as unset. */
function read(config: ConfigService, key: string): string | undefined {
  const value = config.get<string>(key);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Creates the parent folder of an embedded database path (`data/` for the default). The engine
 * creates missing folders itself today; doing it here keeps a first start from depending on that.
 */
async function createDataFolder(url: string): Promise<void> {
  const match = /^(?:surrealkv(?:\+versioned)?|rocksdb):\/\/([^?#]+)/.exec(url);
  if (!match?.[1]) return;
  await mkdir(path.dirname(path.resolve(match[1])), { recursive: true });
}
