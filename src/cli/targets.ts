import { MigrationOptionsError } from '../core/support/errors.js';
import { MigrationDiscoveryError } from '../core/support/state-errors.js';
import { type MigrationTarget } from '../core/options/options.js';
import { checkTargets } from '../core/options/target-list.js';
import { displayPath, readUserFile } from '../core/files/regular-files.js';
import { CliUsageError } from './cli-errors.js';

const NOT_A_TARGETS_FILE =
  '--targets must name a regular file (or a symbolic link to one) holding the JSON array; give another path.';

/**
 * The targets of `--targets <file>`: a JSON array of `{ "namespace", "database" }`, checked as the
 * core checks its `targets` option (both names, none twice). Every problem is a usage error naming
 * the file, and the entry's index for a bad entry; a path that is not a regular file (a folder, a
 * FIFO, …) is refused as discovery refuses such an entry, without opening it.
 */
export async function readTargetsFile(file: string): Promise<readonly MigrationTarget[]> {
  const read = readUserFile(file, NOT_A_TARGETS_FILE);
  if ('missing' in read) throw new CliUsageError(`--targets ${file}: cannot read it (no such file).`);
  if ('problem' in read) {
    throw new MigrationDiscoveryError(file, [{ files: [displayPath(file)], problem: read.problem }], {
      what: 'the targets',
    });
  }
  const text = read.text;
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CliUsageError(`--targets ${file} is not valid JSON (${parseProblem(error)}): fix the file.`);
  }
  if (!Array.isArray(value)) {
    throw new CliUsageError(
      `--targets ${file}: expected a JSON array of { "namespace", "database" }, got ${describe(value)}.`,
    );
  }
  try {
    return checkTargets(value, 'targets');
  } catch (error) {
    if (!(error instanceof MigrationOptionsError)) throw error;
    // `targets[3]` as the entry's index, and the problem without the core's wording around it.
    const index = /\[(\d+)\]$/.exec(error.field)?.[1];
    throw new CliUsageError(`--targets ${file}: ${index === undefined ? '' : `entry [${index}]: `}${error.problem}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * What JSON.parse said, without the excerpt of the text it quotes: the file may hold tenants'
 * secrets (`…"CRET@h"},` of a connection string).
 */
function parseProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/,?\s*(?:\.\.\.)?\s*"[\s\S]*$/, '').trim() || 'it cannot be parsed';
}
