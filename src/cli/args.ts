/** The command line parsed and checked: the command, its arguments, and the connection and targets flags. */
import { parseArgs } from 'node:util';
import type { SurrealDbMajor } from '../core/options/options.js';
import { CliUsageError } from './cli-errors.js';

/** One command, with its own arguments checked. */
export type CliCommand =
  | { name: 'help' }
  | { name: 'status'; check: boolean }
  | { name: 'up'; to?: number }
  | { name: 'down'; to?: number; steps?: number }
  | { name: 'plan'; down: boolean; to?: number; steps?: number }
  | { name: 'dry-run' }
  | { name: 'validate'; requireCurrent: boolean; drift: boolean }
  | { name: 'drift' }
  | { name: 'schema'; out: string | undefined; check: string | undefined }
  | { name: 'types'; out: string | undefined; check: string | undefined }
  | { name: 'diff'; to: string; migrationName: string | undefined; dryRun: boolean }
  | { name: 'baseline'; version: number }
  | { name: 'resolve'; version: number; outcome: 'applied' | 'rolled-back' | 'resume'; after?: number }
  | { name: 'repair'; changed: boolean }
  | { name: 'unlock' }
  | { name: 'create'; migrationName: string }
  | { name: 'lint'; fix: boolean; out: string | undefined };

export type CliCommandName = CliCommand['name'];

/** Connection and folder flags, as given (not yet merged with the environment). */
export interface ConnectionFlags {
  url?: string;
  ns?: string;
  db?: string;
  user?: string;
  pass?: string;
  dir?: string;
  table?: string;
  connectTimeout?: number;
  connectRetries?: number;
  connectBackoff?: number;
  lockTimeout?: number;
  lockTtl?: number;
  allowMissing?: boolean;
  allowOutOfOrder?: boolean;
  /** `--accept-data-loss`: run migrations that delete data wholesale (`acceptDataLoss: true`). */
  acceptDataLoss?: boolean;
  /** `--no-data-check`: skip the check of the rows against a run's new definitions (`checkData: false`). */
  noDataCheck?: boolean;
  /** `--fail-on-deleted-repeatable`: a repeatable file gone refuses the run (`onDeletedRepeatable: 'fail'`). */
  failOnDeletedRepeatable?: boolean;
  /** `--surrealdb 2|3`: the version offline commands judge by, and of an embedded `--url`. */
  surrealdb?: SurrealDbMajor;
  /** `--shadow-url`: analyses build their shadow in a scratch database on this server. */
  shadowUrl?: string;
  /** `--no-schema-cache`: drift, schema and diff keep no folder's schema (`schemaCache: false`). */
  noSchemaCache?: boolean;
}

/** Where the databases of a run over many targets come from. */
export type TargetsSource =
  /** `--targets <file.json>`: a JSON array of `{ "namespace", "database" }`. */
  | { from: 'file'; file: string }
  /** `--all-databases`: every database of `--ns`, listed when the run starts. */
  | { from: 'all-databases' };

/** `--targets` or `--all-databases`, with how the run goes over them. */
export interface ManyTargets {
  source: TargetsSource;
  /** `--continue-on-error`: `up` and `down` go on with the other targets after one fails. */
  continueOnError: boolean;
  /** `--concurrency <n>`: targets worked on at the same time (default: the core's). */
  concurrency?: number;
}

/** The commands that run over many targets. */
export const MANY_TARGET_COMMANDS = ['status', 'up', 'down', 'validate', 'drift'] as const;

/** The parsed command line. */
export interface CliArgs {
  command: CliCommand;
  json: boolean;
  verbose: boolean;
  connection: ConnectionFlags;
  /** Present with `--targets` or `--all-databases`. */
  targets?: ManyTargets;
}

const OPTIONS = {
  url: { type: 'string' },
  ns: { type: 'string' },
  db: { type: 'string' },
  user: { type: 'string' },
  pass: { type: 'string' },
  dir: { type: 'string' },
  table: { type: 'string' },
  'connect-timeout': { type: 'string' },
  'connect-retries': { type: 'string' },
  'connect-backoff': { type: 'string' },
  'lock-timeout': { type: 'string' },
  'lock-ttl': { type: 'string' },
  'allow-missing': { type: 'boolean' },
  'allow-out-of-order': { type: 'boolean' },
  'accept-data-loss': { type: 'boolean' },
  'no-data-check': { type: 'boolean' },
  'fail-on-deleted-repeatable': { type: 'boolean' },
  surrealdb: { type: 'string' },
  'shadow-url': { type: 'string' },
  'no-schema-cache': { type: 'boolean' },
  fix: { type: 'boolean' },
  drift: { type: 'boolean' },
  'schema-check': { type: 'string' },
  name: { type: 'string' },
  'dry-run': { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  check: { type: 'boolean' },
  to: { type: 'string' },
  steps: { type: 'string' },
  down: { type: 'boolean' },
  'require-current': { type: 'boolean' },
  applied: { type: 'boolean' },
  'rolled-back': { type: 'boolean' },
  'resume-after': { type: 'string' },
  changed: { type: 'boolean' },
  targets: { type: 'string' },
  'all-databases': { type: 'boolean' },
  'continue-on-error': { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = [
  'url',
  'ns',
  'db',
  'user',
  'pass',
  'dir',
  'table',
  'connect-timeout',
  'connect-retries',
  'connect-backoff',
  'lock-timeout',
  'lock-ttl',
  'allow-missing',
  'allow-out-of-order',
  'accept-data-loss',
  'no-data-check',
  'fail-on-deleted-repeatable',
  'surrealdb',
  'shadow-url',
  'no-schema-cache',
  'json',
  'verbose',
  'help',
];

/** The options of a run over many targets, accepted by {@link MANY_TARGET_COMMANDS}. */
const TARGET_OPTIONS: readonly OptionName[] = ['targets', 'all-databases', 'continue-on-error', 'concurrency'];

/** The options each command accepts besides the global ones. */
const COMMAND_OPTIONS: Record<Exclude<CliCommandName, 'help'>, readonly OptionName[]> = {
  status: ['check', ...TARGET_OPTIONS],
  up: ['to', ...TARGET_OPTIONS],
  down: ['to', 'steps', ...TARGET_OPTIONS],
  plan: ['down', 'to', 'steps'],
  'dry-run': [],
  validate: ['require-current', 'drift', ...TARGET_OPTIONS],
  drift: [...TARGET_OPTIONS],
  schema: ['out', 'check', 'schema-check'],
  types: ['out', 'check'],
  diff: ['to', 'name', 'dry-run'],
  baseline: [],
  resolve: ['applied', 'rolled-back', 'resume-after'],
  repair: ['changed'],
  unlock: [],
  create: [],
  lint: ['fix', 'out'],
};

const COMMANDS = Object.keys(COMMAND_OPTIONS) as Exclude<CliCommandName, 'help'>[];

/** Whether `--json` appears on the command line, for reporting errors found while parsing it. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The command named on the command line, if it is one, even when the rest does not parse. */
export function commandName(argv: readonly string[]): CliCommandName | undefined {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: false,
    });
    if (values.help === true || positionals[0] === 'help') return 'help';
    const name = positionals[0];
    return name !== undefined && (COMMANDS as string[]).includes(name) ? (name as CliCommandName) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses and checks the command line. Throws {@link CliUsageError}. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  const verbose = values.verbose === true;
  const connection: ConnectionFlags = {
    url: values.url,
    ns: values.ns,
    db: values.db,
    user: values.user,
    pass: values.pass,
    dir: values.dir,
    table: values.table,
    connectTimeout: optionalNumber(values['connect-timeout'], '--connect-timeout'),
    connectRetries: optionalNumber(values['connect-retries'], '--connect-retries'),
    connectBackoff: optionalNumber(values['connect-backoff'], '--connect-backoff'),
    lockTimeout: optionalNumber(values['lock-timeout'], '--lock-timeout'),
    lockTtl: optionalNumber(values['lock-ttl'] as string | undefined, '--lock-ttl'),
    allowMissing: values['allow-missing'] === true ? true : undefined,
    allowOutOfOrder: values['allow-out-of-order'] === true ? true : undefined,
    acceptDataLoss: values['accept-data-loss'] === true ? true : undefined,
    noDataCheck: values['no-data-check'] === true ? true : undefined,
    failOnDeletedRepeatable: values['fail-on-deleted-repeatable'] === true ? true : undefined,
    surrealdb: surrealdbFlag(values.surrealdb),
    shadowUrl: values['shadow-url'],
    noSchemaCache: values['no-schema-cache'] === true ? true : undefined,
  };

  const [name, ...rest] = positionals;
  if (values.help || name === 'help') return { command: { name: 'help' }, json, verbose, connection };
  if (name === undefined) throw new CliUsageError('missing command.');
  if (!(COMMANDS as string[]).includes(name)) {
    throw new CliUsageError(`unknown command "${name}"; expected one of ${COMMANDS.join(', ')}.`);
  }
  const commandName = name as Exclude<CliCommandName, 'help'>;
  const allowed = new Set<OptionName>([...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[commandName]]);
  for (const option of Object.keys(values) as OptionName[]) {
    if (values[option] !== undefined && !allowed.has(option)) {
      throw new CliUsageError(
        `option --${option} does not apply to \`${commandName}\`` +
          (TARGET_OPTIONS.includes(option) ? `; it works with ${MANY_TARGET_COMMANDS.join(', ')}.` : '.'),
      );
    }
  }
  const targets = manyTargets(values);

  const positional = (what: string): string => {
    const value = rest.shift();
    if (value === undefined) throw new CliUsageError(`\`${commandName}\` needs ${what}.`);
    return value;
  };
  const command = buildCommand(commandName, values, positional);
  if (rest.length > 0) throw new CliUsageError(`unexpected argument "${rest[0]}" for \`${commandName}\`.`);
  return { command, json, verbose, connection, ...(targets ? { targets } : {}) };
}

/** `--targets` / `--all-databases` and their companions, checked against each other. */
function manyTargets(values: Values): ManyTargets | undefined {
  const file = values.targets as string | undefined;
  const all = values['all-databases'] === true;
  const continueOnError = values['continue-on-error'] === true;
  const concurrency = optionalNumber(values.concurrency as string | undefined, '--concurrency');
  if (file !== undefined && all) throw new CliUsageError('give either --targets or --all-databases, not both.');
  if (file === undefined && !all) {
    const companion = continueOnError ? '--continue-on-error' : concurrency !== undefined ? '--concurrency' : undefined;
    if (companion) throw new CliUsageError(`${companion} applies with --targets <file.json> or --all-databases only.`);
    return undefined;
  }
  if (file === '') throw new CliUsageError('--targets needs the path of a JSON file.');
  if (concurrency === 0) throw new CliUsageError('--concurrency must be a whole number >= 1, got "0".');
  const flag = file !== undefined ? '--targets' : '--all-databases';
  if (values.db !== undefined) {
    throw new CliUsageError(
      `--db does not apply with ${flag}: ` +
        (file !== undefined ? 'each entry of the file names its database.' : 'every database of --ns is a target.'),
    );
  }
  if (file !== undefined && values.ns !== undefined) {
    throw new CliUsageError('--ns does not apply with --targets: each entry of the file names its namespace.');
  }
  return {
    source: file !== undefined ? { from: 'file', file } : { from: 'all-databases' },
    continueOnError,
    ...(concurrency === undefined ? {} : { concurrency }),
  };
}

type Values = Partial<Record<OptionName, string | boolean>>;

function buildCommand(
  name: Exclude<CliCommandName, 'help'>,
  values: Values,
  positional: (what: string) => string,
): CliCommand {
  // `diff --to` names a file; everywhere else `--to` is a version.
  const to = name === 'diff' ? undefined : optionalNumber(values.to as string | undefined, '--to');
  const steps = optionalNumber(values.steps as string | undefined, '--steps');
  switch (name) {
    case 'status':
      return { name, check: values.check === true };
    case 'up':
      return { name, ...defined({ to }) };
    case 'down':
      exclusive(to, steps);
      return { name, ...defined({ to, steps }) };
    case 'plan':
      if (steps !== undefined && !values.down) throw new CliUsageError('--steps applies to `plan --down` only.');
      exclusive(to, steps);
      return { name, down: values.down === true, ...defined({ to, steps }) };
    case 'dry-run':
    case 'unlock':
      return { name };
    case 'validate':
      return { name, requireCurrent: values['require-current'] === true, drift: values.drift === true };
    case 'drift':
      return { name };
    case 'schema':
    case 'types': {
      // `schema --check <file>` (and `types`): `--check` is a flag (as for `status`), and the file follows it.
      const check =
        values.check === true ? positional('a <file> after --check') : (values['schema-check'] as string | undefined);
      return { name, out: values.out as string | undefined, check };
    }
    case 'diff': {
      const to = values.to as string | undefined;
      if (to === undefined) throw new CliUsageError('`diff` needs `--to <file or folder>`, the desired schema.');
      return { name, to, migrationName: values.name as string | undefined, dryRun: values['dry-run'] === true };
    }
    case 'baseline':
      return { name, version: toNumber(positional('a <version>'), 'version') };
    case 'resolve': {
      const version = toNumber(positional('a <version>'), 'version');
      const after = optionalNumber(values['resume-after'] as string | undefined, '--resume-after');
      const given = [values.applied === true, values['rolled-back'] === true, after !== undefined].filter(Boolean);
      if (given.length !== 1) {
        throw new CliUsageError('`resolve` needs exactly one of --applied, --rolled-back or --resume-after <n>.');
      }
      if (after !== undefined) return { name, version, outcome: 'resume', after };
      return { name, version, outcome: values.applied ? 'applied' : 'rolled-back' };
    }
    case 'repair':
      return { name, changed: values.changed === true };
    case 'create':
      return { name, migrationName: positional('a migration <name>') };
    case 'lint': {
      const fix = values.fix === true;
      const out = values.out as string | undefined;
      if (fix !== (out !== undefined))
        throw new CliUsageError('`lint --fix` needs `--out <folder>`, and `--out` needs `--fix`.');
      return { name, fix, out };
    }
  }
}

function surrealdbFlag(value: string | undefined): SurrealDbMajor | undefined {
  if (value === undefined) return undefined;
  if (value === '2' || value === '3') return Number(value) as SurrealDbMajor;
  throw new CliUsageError(`--surrealdb is the SurrealDB major version to judge by, 2 or 3, got "${value}".`);
}

function exclusive(to: number | undefined, steps: number | undefined): void {
  if (to !== undefined && steps !== undefined) throw new CliUsageError('give either --to or --steps, not both.');
}

/** `{ to, steps }` without the undefined ones. */
function defined(values: { to?: number | undefined; steps?: number | undefined }): { to?: number; steps?: number } {
  return {
    ...(values.to === undefined ? {} : { to: values.to }),
    ...(values.steps === undefined ? {} : { steps: values.steps }),
  };
}

function optionalNumber(value: string | undefined, what: string): number | undefined {
  return value === undefined ? undefined : toNumber(value, what);
}

function toNumber(value: string, what: string): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new CliUsageError(`${what} must be a whole number >= 0, got "${value}".`);
  return number;
}
