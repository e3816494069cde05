import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { MigrationDiscoveryError, type DiscoveryProblem } from '../core/support/state-errors.js';
import {
  nonRegularEntryProblem,
  oversizedVersionProblem,
  parseMigrationFileName,
  readMigrationFileName,
} from '../core/files/migration-files.js';
import { downFileName, type DownStyle } from '../core/files/down-files.js';
import { sleep } from '../core/support/timing.js';
import { CliError, CliUsageError } from './cli-errors.js';

/** How a folder names its migrations; `create` follows it. */
export interface FolderStyle {
  /** Digits of the version prefix, zero-padded (the widest existing prefix). */
  width: number;
  /** `.surql` or `.surrealql`, as the newest up script has it. */
  extension: string;
  /** `0010_add_widgets.surql` (true) or Open Notebook's `24.surrealql` (false). */
  named: boolean;
  /** `0010_x.down.surql` ('dot') or `24_down.surrealql` ('underscore'). */
  down: DownStyle;
}

/** The style of an empty folder. */
export const DEFAULT_STYLE: FolderStyle = { width: 4, extension: '.surql', named: true, down: 'dot' };

/** The files `create` writes. */
export interface NewMigration {
  version: number;
  /** The normalized name, e.g. `add_widgets`. */
  name: string;
  up: { fileName: string; text: string };
  down: { fileName: string; text: string };
}

/** The outcome of {@link createMigration}. */
export interface CreatedMigration {
  version: number;
  name: string;
  /** Up then down, relative to the working directory. */
  files: [string, string];
}

/**
 * Turns `Add widgets` or `add-widgets` into `add_widgets`. Refuses names that would leave the
 * folder, that hold characters other than letters, digits, `_`, `-` and spaces, or that would read
 * as a down script.
 */
export function normalizeMigrationName(input: string): string {
  const trimmed = input.trim();
  if (!trimmed) throw new CliUsageError('`create` needs a non-empty migration name.');
  if (/[/\\]/.test(trimmed) || trimmed.includes('..') || path.isAbsolute(trimmed)) {
    throw new CliUsageError(
      `migration name "${input}" would leave the migrations folder; give a plain name such as add_widgets.`,
    );
  }
  const name = trimmed
    .replace(/[\s-]+/g, '_')
    .toLowerCase()
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new CliUsageError(
      `migration name "${input}" may contain only letters, digits, _, - and spaces; for example add_widgets.`,
    );
  }
  if (name === 'down' || name.endsWith('_down')) {
    throw new CliUsageError(`migration name "${input}" would read as a down script; choose another name.`);
  }
  return name;
}

/** The naming style of a folder's migrations and the next free version. */
export function folderStyle(fileNames: readonly string[]): { style: FolderStyle; nextVersion: number } {
  const parsed = fileNames.flatMap((fileName) => {
    const p = parseMigrationFileName(fileName);
    return p ? [{ ...p, fileName, digits: /^\d+/.exec(fileName)![0].length }] : [];
  });
  if (parsed.length === 0) return { style: DEFAULT_STYLE, nextVersion: 1 };

  // `11_x_down.surrealql` is a down script only next to `11_x.surrealql` (as discovery decides).
  const upKeys = new Set(parsed.filter((p) => p.direction === 'up').map((p) => `${p.version}_${p.name}`));
  for (const p of parsed) {
    if (p.namedDown && !upKeys.has(`${p.version}_${p.name}`)) p.direction = 'up';
  }
  const ups = parsed.filter((p) => p.direction === 'up').sort((a, b) => a.version - b.version);
  const downs = parsed.filter((p) => p.direction === 'down').sort((a, b) => a.version - b.version);
  const model = ups.at(-1);
  const width = Math.max(...parsed.map((p) => p.digits));
  const nextVersion = Math.max(...parsed.map((p) => p.version)) + 1;
  if (!model) return { style: { ...DEFAULT_STYLE, width }, nextVersion };

  const extension = /\.(surql|surrealql)$/i.exec(model.fileName)![0];
  const named = model.name !== '';
  const downModel = downs.find((d) => d.version === model.version) ?? downs.at(-1);
  const down: FolderStyle['down'] = downModel
    ? /\.down\.(surql|surrealql)$/i.test(downModel.fileName)
      ? 'dot'
      : 'underscore'
    : named
      ? 'dot'
      : 'underscore';
  return { style: { width, extension, named, down }, nextVersion };
}

/** The file names and starting text of a new migration in a folder's style. */
export function newMigration(style: FolderStyle, version: number, name: string): NewMigration {
  const prefix = String(version).padStart(style.width, '0');
  const stem = style.named ? `${prefix}_${name}` : prefix;
  const title = `-- ${version}: ${name.replace(/_/g, ' ')}`;
  return {
    version,
    name,
    up: { fileName: `${stem}${style.extension}`, text: `${title}\n` },
    down: { fileName: downFileName(`${stem}${style.extension}`, style.down), text: `${title} (rollback)\n` },
  };
}

/** How many versions `create` tries, while other processes keep taking them, before it gives up. */
const MAX_ATTEMPTS = 100;

/**
 * Writes the next version's up and down scripts into `directory` (created if missing), in the
 * folder's naming style. Never overwrites a file, and never leaves one script of a pair behind.
 *
 * Safe against other `create`s in the same folder at the same time: each file is created
 * exclusively (`wx`), and once both exist the folder is read again. When a file name is taken,
 * or another process has meanwhile written the same version under another name, this one removes
 * its pair and takes the next free version (so of two such processes at most one keeps a version).
 *
 * Throws {@link MigrationDiscoveryError} without writing anything when an entry named like a
 * migration is not a regular file (a folder, a FIFO, a dangling link, …) or has a version above
 * 2^53 − 1, as discovery would refuse it; {@link CliError} `VERSION_CONTENDED` when other processes
 * took every version it tried.
 */
export async function createMigration(
  directory: string,
  input: string,
  /** The scripts' text (`diff`'s); by default a title comment each. */
  texts?: { up: string; down: string },
): Promise<CreatedMigration> {
  const name = normalizeMigrationName(input);
  const absolute = path.resolve(directory);
  const display = (p: string) => path.relative(process.cwd(), p) || p;
  await mkdir(absolute, { recursive: true });
  const tried: number[] = [];
  while (tried.length < MAX_ATTEMPTS) {
    const { style, nextVersion } = folderStyle(await migrationNames(directory, absolute));
    if (!Number.isSafeInteger(nextVersion)) {
      throw new CliError(
        'VERSION_OVERFLOW',
        `${display(absolute)} already holds version ${nextVersion - 1}, the largest a migration can have ` +
          '(2^53 − 1); renumber the migrations with smaller versions. Nothing was written.',
      );
    }
    tried.push(nextVersion);
    const named = newMigration(style, nextVersion, name);
    const migration = texts
      ? { ...named, up: { ...named.up, text: texts.up }, down: { ...named.down, text: texts.down } }
      : named;
    const upPath = path.join(absolute, migration.up.fileName);
    const downPath = path.join(absolute, migration.down.fileName);
    if (!(await writeNew(upPath, migration.up.text))) continue;
    let downWritten = false;
    let kept = false;
    try {
      downWritten = await writeNew(downPath, migration.down.text);
      kept =
        downWritten &&
        !(await versionTakenByOthers(absolute, nextVersion, [migration.up.fileName, migration.down.fileName]));
    } finally {
      if (!kept) {
        if (downWritten) await rm(downPath, { force: true });
        await rm(upPath, { force: true });
      }
    }
    if (kept) return { version: nextVersion, name, files: [display(upPath), display(downPath)] };
    // Two creates that took the same version both give it up: a random pause before the next
    // try, growing with the tries, keeps them from doing it in step again and again.
    if (downWritten) await sleep(Math.random() * Math.min(50, 2 * tried.length));
  }
  throw new CliError(
    'VERSION_CONTENDED',
    `other processes creating migrations in ${display(absolute)} took every version this create tried ` +
      `(${tried[0]} to ${tried.at(-1)}, ${MAX_ATTEMPTS} attempts); nothing was written. Run create again.`,
  );
}

/**
 * The names in the folder, for {@link folderStyle}. Refuses, as discovery does, an entry named
 * like a migration that is not a regular file (or a link to one) or whose version is too large:
 * numbering around it would guess, and start-up would refuse the folder anyway.
 */
async function migrationNames(directory: string, absolute: string): Promise<string[]> {
  const entries = await readdir(absolute, { withFileTypes: true });
  const names: string[] = [];
  const problems: DiscoveryProblem[] = [];
  const display = (fileName: string) => path.relative(process.cwd(), path.join(absolute, fileName)) || fileName;
  for (const entry of entries) {
    const read = readMigrationFileName(entry.name);
    if (!read) continue;
    const problem =
      'tooLarge' in read
        ? oversizedVersionProblem(read)
        : nonRegularEntryProblem(path.join(absolute, entry.name), entry);
    if (problem) problems.push({ files: [display(entry.name)], problem });
    else names.push(entry.name);
  }
  if (problems.length > 0) {
    throw new MigrationDiscoveryError(
      directory,
      problems.sort((a, b) => (a.files[0]! < b.files[0]! ? -1 : 1)),
    );
  }
  return names;
}

/** Whether an entry other than `own` in the folder now has `version`. */
async function versionTakenByOthers(absolute: string, version: number, own: readonly string[]): Promise<boolean> {
  const fileNames = await readdir(absolute);
  return fileNames.some((f) => !own.includes(f) && parseMigrationFileName(f)?.version === version);
}

/**
 * Creates `filePath` exclusively with `text`. False when the name is taken (nothing written);
 * on any other failure, removes what it created and throws.
 */
async function writeNew(filePath: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(filePath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(text);
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(filePath, { force: true });
    throw error;
  }
  return true;
}
