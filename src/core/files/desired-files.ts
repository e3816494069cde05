/**
 * The files of a desired schema (`diff --to <file or folder>`), read as discovery reads the
 * migrations folder (regular-files.ts).
 */
import path from 'node:path';
import { MigrationDiscoveryError, type DiscoveryProblem } from '../support/state-errors.js';
import { displayPath, readUserFile, regularEntries } from './regular-files.js';

const DESIRED = /\.(surql|surrealql)$/;
const NOT_A_DESIRED_FILE =
  'a desired-schema file must be a regular file (or a symbolic link to one); replace it with the SurrealQL, or rename or remove it.';

/**
 * The desired schema's files and texts (without a BOM), read as discovery reads a migrations
 * folder: an entry that is not a regular file is refused by name, never opened.
 */
export async function desiredTexts(target: string, folder: boolean): Promise<[string, string][]> {
  const what = { what: 'the desired schema' };
  const names = folder ? await regularEntries(target, (name) => DESIRED.test(name), NOT_A_DESIRED_FILE) : undefined;
  if (names && names.problems.length > 0) throw new MigrationDiscoveryError(target, names.problems, what);
  const texts: [string, string][] = [];
  const problems: DiscoveryProblem[] = [];
  for (const file of names ? names.names.map((n) => path.join(target, n)) : [target]) {
    const read = readUserFile(file, NOT_A_DESIRED_FILE);
    if ('text' in read) texts.push([file, read.text.replace(/^\uFEFF/, '')]);
    else problems.push({ files: [displayPath(file)], problem: 'missing' in read ? 'does not exist' : read.problem });
  }
  if (problems.length > 0) throw new MigrationDiscoveryError(target, problems, what);
  return texts;
}
