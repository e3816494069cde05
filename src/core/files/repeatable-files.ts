/**
 * The repeatable definitions of a migrations folder: `repeatable/<name>.surql`, re-applied after
 * the versions whenever their text changes (see `execution/repeatable-run.ts`). Read as discovery
 * reads the versions: every entry must be a regular `.surql` file (or a link to one), never opened
 * otherwise, and each that is not is a problem named by its path.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DiscoveryProblem } from '../support/state-errors.js';
import { decodeUtf8, displayPath, nonRegularEntryProblem, readRegularFile } from './regular-files.js';
import { checksumOf, normalizeScript } from './script-text.js';
import { hasLeadingDirective } from '../surql/surql-directives.js';
import { ALLOW_DATA_LOSS_DIRECTIVE, ALLOW_INVALID_ROWS_DIRECTIVE } from './directives.js';

/** The folder, inside the migrations folder, that holds the repeatable definitions. */
export const REPEATABLE_FOLDER = 'repeatable';

/** One repeatable definition file as discovered on disk. */
export interface RepeatableFile {
  /** The file's name without `.surql`: its record's id in `<table>_repeatable`. */
  readonly name: string;
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the working directory, for messages. */
  readonly file: string;
  /** The script with any BOM stripped and CRLF turned into LF. */
  readonly text: string;
  /** sha256 (hex) of `text`. */
  readonly checksum: string;
  /** The file allows its own data loss (`-- migrate:allow-data-loss`). */
  readonly allowDataLoss: boolean;
  /** The file allows rows its definitions refuse (`-- migrate:allow-invalid-rows`). */
  readonly allowInvalidRows: boolean;
}

const EXTENSION = /\.surql$/i;

const NOT_A_REPEATABLE_FIX =
  'the repeatable/ folder holds only regular `.surql` files (or symbolic links to them); move it elsewhere ' +
  'or remove it.';

/**
 * The `repeatable/` folder of `directory`, read in name order (code points); none when it does not
 * exist. Its problems come back for the one discovery error, with the versions' problems.
 * Hidden entries (`.gitkeep`, `.DS_Store`) are passed over, as version control and file managers
 * leave them.
 */
export async function discoverRepeatables(
  directory: string,
): Promise<{ files: RepeatableFile[]; problems: DiscoveryProblem[] }> {
  const folder = path.join(path.resolve(directory), REPEATABLE_FOLDER);
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Nothing there: no repeatables. A link to nothing is a folder lost, not one never made.
    const link = code === 'ENOENT' ? await lstat(folder).catch(() => undefined) : undefined;
    if (code === 'ENOENT' && !link) return { files: [], problems: [] };
    const problem = (link && nonRegularEntryProblem(folder, link)) ?? cannotRead(error);
    return { files: [], problems: [{ files: [displayPath(folder)], problem }] };
  }
  const problems: DiscoveryProblem[] = [];
  const files: RepeatableFile[] = [];
  const names = entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => byCodePoints(a.name, b.name));
  for (const entry of names) {
    const filePath = path.join(folder, entry.name);
    const file = displayPath(filePath);
    if (!EXTENSION.test(entry.name)) {
      const what = entry.isDirectory() ? 'a folder' : 'not a `.surql` file';
      problems.push({ files: [file], problem: `is ${what}; ${NOT_A_REPEATABLE_FIX}` });
      continue;
    }
    const notAFile = nonRegularEntryProblem(filePath, entry, NOT_A_REPEATABLE_FIX);
    if (notAFile) {
      problems.push({ files: [file], problem: notAFile });
      continue;
    }
    const read = readRegularFile(filePath, NOT_A_REPEATABLE_FIX);
    const decoded = 'bytes' in read ? decodeUtf8(read.bytes) : read;
    if ('problem' in decoded) {
      problems.push({ files: [file], problem: decoded.problem });
      continue;
    }
    const text = normalizeScript(decoded.text);
    files.push({
      name: entry.name.replace(EXTENSION, ''),
      path: filePath,
      file,
      text,
      checksum: checksumOf(text),
      allowDataLoss: hasLeadingDirective(text, ALLOW_DATA_LOSS_DIRECTIVE),
      allowInvalidRows: hasLeadingDirective(text, ALLOW_INVALID_ROWS_DIRECTIVE),
    });
  }
  // `a.surql` and `a.SURQL` would share one record.
  const byName = new Map<string, string[]>();
  for (const f of files) byName.set(f.name, [...(byName.get(f.name) ?? []), f.file]);
  for (const same of byName.values()) {
    if (same.length > 1) problems.push({ files: same, problem: 'these files share one name; rename all but one.' });
  }
  return { files, problems };
}

function cannotRead(error: unknown): string {
  return `cannot read the folder: ${(error as Error).message}`;
}

/** Code-point order, the same on every machine and locale. */
function byCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
