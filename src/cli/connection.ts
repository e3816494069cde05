/** Manager options from the connection flags and the environment (SURREAL_*), and the secrets in them. */
import { splitUrlCredentials } from '../core/support/secrets.js';
import type { MigrationsOptions } from '../core/options/options.js';
import type { ConnectionFlags } from './args.js';
import { CliUsageError } from './cli-errors.js';

/** Environment variables read for defaults. */
export const ENV = {
  url: 'SURREAL_URL',
  namespace: 'SURREAL_NAMESPACE',
  database: 'SURREAL_DATABASE',
  user: 'SURREAL_USER',
  password: 'SURREAL_PASSWORD',
  shadowUrl: 'SURREAL_SHADOW_URL',
} as const;

/** Manager options from the flags and the environment, and the secrets output must never show. */
export interface ResolvedConnection {
  options: MigrationsOptions;
  secrets: string[];
}

/**
 * Merges flags over the environment. Credentials written in the URL (`ws://user:pass@host`) are
 * moved out of it into `auth`, so that the URL can be shown and the SDK signs in with them.
 */
export function connectionOptions(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ResolvedConnection {
  const pick = (flag: string | undefined, key: string) => flag ?? (env[key] || undefined);
  let url = pick(flags.url, ENV.url);
  let user = pick(flags.user, ENV.user);
  let password = pick(flags.pass, ENV.password);
  const secrets: string[] = [];
  if (url) {
    const inUrl = splitUrlCredentials(url);
    secrets.push(...inUrl.secrets);
    if (inUrl.password !== undefined) {
      url = inUrl.url;
      user ??= inUrl.username;
      password ??= inUrl.password;
    }
  }
  if (password !== undefined) secrets.push(password);
  if ((user === undefined) !== (password === undefined)) {
    throw new CliUsageError(
      user === undefined
        ? `a password was given without a user; set --user or ${ENV.user}.`
        : `a user was given without a password; set --pass or ${ENV.password}.`,
    );
  }
  const options: MigrationsOptions = {
    url,
    namespace: pick(flags.ns, ENV.namespace),
    database: pick(flags.db, ENV.database),
  };
  if (user !== undefined && password !== undefined) options.auth = { username: user, password };
  if (flags.dir !== undefined) options.directory = flags.dir;
  if (flags.table !== undefined) options.table = flags.table;
  const connect: MigrationsOptions['connect'] = {};
  if (flags.connectTimeout !== undefined) connect.timeoutMs = flags.connectTimeout;
  if (flags.connectRetries !== undefined) connect.retries = flags.connectRetries;
  if (flags.connectBackoff !== undefined) connect.backoffMs = flags.connectBackoff;
  if (Object.keys(connect).length > 0) options.connect = connect;
  const lock: MigrationsOptions['lock'] = {};
  if (flags.lockTimeout !== undefined) lock.waitTimeoutMs = flags.lockTimeout;
  if (flags.lockTtl !== undefined) lock.ttlMs = flags.lockTtl;
  if (Object.keys(lock).length > 0) options.lock = lock;
  if (flags.allowMissing) options.allowMissing = true;
  if (flags.allowOutOfOrder) options.allowOutOfOrder = true;
  if (flags.acceptDataLoss) options.acceptDataLoss = true;
  if (flags.noDataCheck) options.checkData = false;
  if (flags.failOnDeletedRepeatable) options.onDeletedRepeatable = 'fail';
  if (flags.noSchemaCache) options.schemaCache = false;
  if (flags.surrealdb !== undefined) options.surrealdb = flags.surrealdb;
  const shadowUrl = pick(flags.shadowUrl, ENV.shadowUrl);
  if (shadowUrl) {
    secrets.push(...splitUrlCredentials(shadowUrl).secrets);
    options.shadow = { url: shadowUrl };
  }
  return { options, secrets: [...new Set(secrets)].filter((s) => s.length > 0) };
}
