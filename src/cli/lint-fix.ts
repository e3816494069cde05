/**
 * `lint --fix --out <folder>`: a copy of the migrations folder with the SurrealDB 2 → 3 rewrites
 * the target engine asks for (v3-fix.ts). The folder is read as discovery reads it: every entry
 * must be a regular file (or a link to one); anything else is refused by name, never opened, and
 * before anything is written. A file without a rewrite is copied byte for byte.
 */
import { statSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationDiscoveryError, type DiscoveryProblem } from '../core/support/state-errors.js';
import { discoverMigrations } from '../core/files/migration-files.js';
import { REPEATABLE_FOLDER } from '../core/files/repeatable-files.js';
import { decodeUtf8, displayPath, readRegularFile, regularEntries } from '../core/files/regular-files.js';
import type { ShadowSource } from '../core/shadow/shadow.js';
import { ShadowDatabase } from '../core/shadow/shadow-database.js';
import { parserOn, upgradeOnEngine, type AppliedRewrite } from '../core/analysis/v3-fix.js';
import { CliUsageError } from './cli-errors.js';
import type { CliOutput } from './output.js';

/** A file of the copy that was rewritten, with every rewrite. */
export interface FixedFile {
  file: string;
  rules: string[];
  /** Whether the target engine parses the rewritten file (else lint lists what is left). */
  parses: boolean;
  rewrites: AppliedRewrite[];
}

const NOT_COPIED_FIX =
  'lint --fix copies only regular files (or symbolic links to one): move it out of the folder, or remove it.';

/**
 * Copies the folder to `target` with the rewrites applied to its migrations, file by file; never
 * edits the folder itself. Returns what changed.
 */
export async function writeUpgradedCopy(
  directory: string,
  target: string,
  source: ShadowSource,
  out: CliOutput,
): Promise<FixedFile[]> {
  await checkTarget(directory, target);
  // Every entry that cannot be copied is named first, then the folder is read as discovery reads it.
  const files = await readFolder(directory);
  const discovered = await discoverMigrations(directory);
  // The repeatable definitions are copied, and rewritten, as `repeatable/<name>` beside the versions.
  const scripts = new Set([
    ...[...discovered.up, ...discovered.down].map((m) => path.basename(m.path)),
    ...discovered.repeatable.map((r) => path.join(REPEATABLE_FOLDER, path.basename(r.path))),
  ]);

  const texts = new Map<string, string>();
  const fixed: FixedFile[] = [];
  const shadow = await ShadowDatabase.open(directory, source);
  try {
    if (shadow.major < 3) {
      throw new CliUsageError(
        `lint --fix rewrites a folder for SurrealDB 3, and the shadow server runs SurrealDB ${shadow.major}: give a SurrealDB 3 server, or leave out --shadow-url.`,
      );
    }
    for (const [name, bytes] of files) {
      if (!scripts.has(name)) continue;
      const decoded = decodeUtf8(bytes);
      if ('problem' in decoded) {
        throw new MigrationDiscoveryError(directory, [
          { files: [displayPath(path.join(directory, name))], problem: decoded.problem },
        ]);
      }
      const upgraded = await upgradeOnEngine(decoded.text, parserOn(shadow, displayPath(path.join(directory, name))));
      if (upgraded.rewrites.length === 0) continue;
      texts.set(name, upgraded.text);
      fixed.push({
        file: name,
        rules: [...new Set(upgraded.rewrites.map((r) => r.rule))],
        parses: upgraded.refusal === undefined,
        rewrites: upgraded.rewrites,
      });
    }
  } finally {
    await shadow.close();
  }

  await mkdir(target, { recursive: true });
  if (discovered.repeatable.length > 0) await mkdir(path.join(target, REPEATABLE_FOLDER));
  for (const [name, bytes] of files) {
    // Rewritten as written (a BOM and CRLF line ends stay); every other file as the bytes read.
    const text = texts.get(name);
    await writeFile(path.join(target, name), text ?? bytes, { flag: 'wx' });
  }
  for (const file of fixed) {
    for (const r of file.rewrites)
      out.print(`fixed ${file.file}:${r.line}:${r.column}: ${r.rule} ${r.from} -> ${r.to}`);
    if (!file.parses) {
      out.print(`note ${path.join(target, file.file)} does not parse on SurrealDB 3 yet: its problem is listed below.`);
    }
  }
  return fixed;
}

/** `--out` must be a new folder (or an empty one) outside the folder read. */
async function checkTarget(directory: string, target: string): Promise<void> {
  const source = path.resolve(directory);
  const copy = path.resolve(target);
  if (copy === source || copy.startsWith(source + path.sep)) {
    throw new CliUsageError(
      `lint --fix never writes into the folder it reads: give --out a folder outside ${directory}.`,
    );
  }
  const there = await stat(target).catch(() => undefined);
  if (!there) return;
  if (!there.isDirectory())
    throw new CliUsageError(`lint --fix writes a new copy: ${target} exists and is not a folder.`);
  if ((await readdir(target)).length > 0) {
    throw new CliUsageError(`lint --fix writes a new copy: ${target} exists and is not empty.`);
  }
}

/**
 * Every entry of the folder with its bytes, by name (and those of `repeatable/`, as
 * `repeatable/<name>`). Each must be a regular file (or a link to one): every other entry is
 * refused by name at once, and none is opened.
 */
async function readFolder(directory: string): Promise<[string, Buffer][]> {
  const folder = path.join(directory, REPEATABLE_FOLDER);
  const isFolder = statSync(folder, { throwIfNoEntry: false })?.isDirectory() === true;
  const top = await regularEntries(directory, (name) => !isFolder || name !== REPEATABLE_FOLDER, NOT_COPIED_FIX);
  const repeatable = isFolder ? await regularEntries(folder, () => true, NOT_COPIED_FIX) : { names: [], problems: [] };
  const problems = [...top.problems, ...repeatable.problems];
  if (problems.length > 0) throw new MigrationDiscoveryError(directory, problems);
  const names = [...top.names, ...repeatable.names.map((name) => path.join(REPEATABLE_FOLDER, name))];
  const files: [string, Buffer][] = [];
  const unreadable: DiscoveryProblem[] = [];
  for (const name of names) {
    const read = readRegularFile(path.join(directory, name), NOT_COPIED_FIX);
    if ('bytes' in read) files.push([name, read.bytes]);
    else unreadable.push({ files: [displayPath(path.join(directory, name))], problem: read.problem });
  }
  if (unreadable.length > 0) throw new MigrationDiscoveryError(directory, unreadable);
  return files;
}
