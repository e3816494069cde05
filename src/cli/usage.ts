/** The usage text of `surreal-migrate --help`. */
import { EXIT_SEVERITY } from './exit-codes.js';
import { DEFAULT_CONCURRENCY } from '../core/options/options.js';

/** The usage text printed by `--help`. */
export const USAGE = `Usage: surreal-migrate <command> [options]

Commands:
  status [--check]                  applied, pending, changed, missing and failed migrations, and the
                                    repeatable definitions to apply; --check exits 4 when anything is
                                    pending, failed, changed or missing
  up [--to <version>]               apply pending migrations (up to and including <version>); without
                                    --to, then the repeatable definitions whose text changed
  down [--to <version> | --steps <n>]
                                    roll back with the down scripts (default: one step;
                                    --to 0 rolls back everything)
  plan [--to <version>]             what \`up\` would run; with --down [--to | --steps], what \`down\` would
  dry-run                           run the pending migrations in a transaction that is then cancelled
  validate [--require-current]      check the history against the folder (and that nothing is pending)
  baseline <version>                record every migration up to <version> as applied, without running it
  resolve <version> --applied | --rolled-back | --resume-after <n>
                                    settle a no-transaction migration that failed part-way
  repair [--changed]                store checksums for applied rows that have none, forget the records
                                    of repeatable definitions whose file is gone
                                    (--changed: also accept edited files)
  unlock                            delete the migration lock, whoever holds it
  drift                             the live schema against the one the applied migrations produce;
                                    exits 4 when they differ
  schema [--out <file>] [--check <file>]
                                    the schema the folder produces, as DEFINE statements (no database
                                    needed); --check exits 4 when the file is stale
  types [--out <file>] [--check <file>]
                                    the folder's tables as a TypeScript module for the surrealdb SDK
                                    (no database needed); --check exits 4 when the file is stale
  diff --to <file|folder> [--name <name>] [--dry-run]
                                    write the next migration, up and down, from the folder's schema to
                                    the desired one
  lint [--fix --out <folder>]       every problem of the folder, found on a private in-memory database
                                    (no database of yours needed); --fix writes a copy with the
                                    mechanical SurrealDB 2 -> 3 rewrites
  create <name>                     write the next version's up and down scripts (no database needed)

Many targets (status, up, down, validate, drift):
  --targets <file.json>       each database of a JSON array of { "namespace", "database" }
  --all-databases             every database of --ns (or SURREAL_NAMESPACE), listed at the start
  --continue-on-error         up/down: go on with the other targets after one fails (default: start
                              no further target; those already running finish); status, validate
                              and drift always read every target
  --concurrency <n>           targets worked on at the same time (default ${DEFAULT_CONCURRENCY})
  --db is refused with either (SURREAL_DATABASE is ignored), and --ns with --targets. Each target
  keeps its own history, lock and failed records. The output groups the lines by target (ns/db)
  and ends with a summary; --json prints one document,
  { ok, command, targets: [{ namespace, database, ok, state, exitCode, ... }], summary }.

Options:
  --url <url>                 SurrealDB URL: surrealkv://path, rocksdb://path, mem://, ws(s)://, http(s)://
                              (env SURREAL_URL)
  --ns <namespace>            (env SURREAL_NAMESPACE)
  --db <database>             (env SURREAL_DATABASE)
  --user <name>               (env SURREAL_USER; remote URLs only)
  --pass <password>           (env SURREAL_PASSWORD; remote URLs only)
  --dir <folder>              migrations folder (default: migrations)
  --table <name>              history table (default: _sbl_migrations)
  --connect-timeout <ms>      time allowed per connection attempt
  --connect-retries <n>       further connection attempts after the first
  --connect-backoff <ms>      delay before the first retry, doubled for each further one
  --lock-timeout <ms>         how long to wait for another process's migration lock
  --lock-ttl <ms>             how long this process's lease lasts without renewal
  --allow-missing             only warn when an applied migration has no file any more
  --allow-out-of-order        apply pending migrations older than the newest applied one
  --accept-data-loss          run migrations that delete data wholesale (REMOVE TABLE or a DELETE
                              of a whole table over rows, REMOVE DATABASE/NAMESPACE), refused
                              otherwise, before anything is applied (exit 1, DATA_LOSS)
  --no-data-check             skip the check of the rows already there against a run's new
                              definitions (a run they refuse stops first: exit 1, INVALID_ROWS)
  --fail-on-deleted-repeatable
                              refuse to run while a repeatable definition applied before has lost
                              its file (exit 1, REPEATABLE_DELETED); a warning otherwise
  --surrealdb <2|3>           the SurrealDB version that lint, schema, types and diff judge the
                              folder by on their embedded shadow (default 3), and of an embedded
                              --url (2: mem:// only, from @surrealdb/wasm); drift and the commands
                              that connect take the server's own version
  --shadow-url <url>          build the shadow in a scratch namespace on this server instead (made
                              with a unique name, removed afterwards; credentials as user:pass@ in
                              the URL; env SURREAL_SHADOW_URL): the one server lint, schema, types
                              and diff contact
  --no-schema-cache           keep no folder's schema: drift, schema, types and diff otherwise keep
                              it in node_modules/.cache/nestjs-surrealdb-migrations (delete it any
                              time), and build no shadow for a folder they have seen unchanged
  --json                      print exactly one JSON document on stdout
  --verbose                   also log the library's progress messages to stderr
  -h, --help                  print this help

A .env file in the working directory is read; variables already set win.

Exit codes: 0 ok, 1 a migration or a check failed, 2 usage error,
            3 database unreachable, 4 status --check found something to do (drift: drift found;
            schema/types --check: the file is stale),
            130/143 stopped by SIGINT/SIGTERM after the current migration.
            Over many targets: the worst target's, in the order ${EXIT_SEVERITY.join(' < ')}.
`;
