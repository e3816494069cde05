/**
 * How the product reads a file or a folder a user named: as discovery reads the migrations folder.
 * An entry is stat-ed first (following a symbolic link), and only a regular file is ever opened: a
 * directory, a FIFO, a socket, a device, or a link to one of those or to nothing is refused by
 * name, with the fix. Opening a FIFO would block until something writes to it. The open itself
 * does not wait either (O_NONBLOCK), and the open descriptor is checked again, so an entry swapped
 * for a FIFO in between is refused too. Text is UTF-8, checked, with the first bad byte named.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  readlinkSync,
  statSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DiscoveryProblem } from '../support/state-errors.js';

/** A directory entry (or the target of a link), in words: `a directory`, `a named pipe (FIFO)`, … */
export function kindOf(entry: Dirent | Stats): string {
  if (entry.isFile()) return 'a regular file';
  if (entry.isDirectory()) return 'a directory';
  if (entry.isFIFO()) return 'a named pipe (FIFO)';
  if (entry.isSocket()) return 'a socket';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** The fix discovery names for a migration that is not a regular file. */
export const NOT_A_SCRIPT_FIX =
  'a migration must be a regular file (or a symbolic link to one); replace it with the script, or rename or remove it.';

/**
 * Why an entry of the migrations folder, named like a migration, cannot be read as one: it is a
 * directory, a FIFO, a socket, a device, or a symbolic link to one of those or to nothing.
 * Undefined for a regular file or a symbolic link to one. It only stats the entry (following a
 * link), never opens it: opening a FIFO would block until something writes to it.
 */
export function nonRegularEntryProblem(
  entryPath: string,
  entry: Dirent | Stats,
  fix: string = NOT_A_SCRIPT_FIX,
): string | undefined {
  // (Where the file system does not report entry types, readdir has already lstat-ed the entry.)
  if (entry.isFile()) return undefined;
  if (!entry.isSymbolicLink()) return `is ${kindOf(entry)}, not a regular file; ${fix}`;
  let target: string;
  try {
    target = readlinkSync(entryPath);
  } catch {
    target = 'its target';
  }
  let stats: Stats;
  try {
    stats = statSync(entryPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return `cannot be read: it is a symbolic link to ${target}, which does not exist (ENOENT); restore the target or remove the link.`;
    }
    return `cannot be read: ${(error as Error).message}`;
  }
  if (stats.isFile()) return undefined;
  return `is a symbolic link to ${target}, which is ${kindOf(stats)}, not a regular file; ${fix}`;
}

/**
 * The byte offset of the first byte of `bytes` that does not begin a well-formed UTF-8 sequence
 * (the first byte a decoder would turn into U+FFFD), or -1 when all of it is valid UTF-8.
 * Overlong forms, surrogates (U+D800–U+DFFF) and code points above U+10FFFF are invalid, as in
 * `TextDecoder('utf-8', { fatal: true })`.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let trail: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) trail = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      trail = 2;
      if (lead === 0xe0) low = 0xa0;
      else if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      trail = 3;
      if (lead === 0xf0) low = 0x90;
      else if (lead === 0xf4) high = 0x8f;
    } else return i;
    if (i + trail >= n) return i;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return i;
    for (let k = 2; k <= trail; k++) {
      if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += trail + 1;
  }
  return -1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a file's bytes, or says where they stop being UTF-8 and what to do. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { problem: string } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8Byte(bytes);
    const fix = 'save the file as UTF-8 (it may be in Latin-1 or Windows-1252).';
    if (offset < 0) return { problem: `is not valid UTF-8; ${fix}` };
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const byte = `0x${bytes[offset]!.toString(16).toUpperCase().padStart(2, '0')}`;
    return {
      problem: `is not valid UTF-8: the first invalid byte is ${byte}, at byte offset ${offset} (line ${line}); ${fix}`,
    };
  }
}

/**
 * Reads an open regular file of `size` bytes (from fstat), as `readFileSync` does: until that many
 * bytes or the end. A size of 0, which some file systems report for files with content, reads
 * until the end.
 */
function readToEnd(fd: number, size: number): Buffer {
  if (size > 0) {
    const buffer = Buffer.allocUnsafe(size);
    let length = 0;
    while (length < size) {
      const read = readSync(fd, buffer, length, size - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  }
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = Buffer.allocUnsafe(8192);
    const read = readSync(fd, chunk, 0, chunk.length, null);
    if (read === 0) return Buffer.concat(chunks);
    chunks.push(chunk.subarray(0, read));
  }
}

// O_NONBLOCK: should the entry turn into a FIFO between the stat and the open, the open returns
// at once instead of waiting for a writer (the fstat then refuses it). Not defined on Windows.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Reads a file that was stat-ed as a regular file, checking again on the open descriptor. */
export function readRegularFile(
  filePath: string,
  fix: string = NOT_A_SCRIPT_FIX,
): { bytes: Buffer } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(filePath, OPEN_FLAGS);
  } catch (error) {
    return { problem: `cannot be read: ${(error as Error).message}` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { problem: `is ${kindOf(stats)}, not a regular file; ${fix}` };
    return { bytes: readToEnd(fd, stats.size) };
  } catch (error) {
    return { problem: `cannot be read: ${(error as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** A path relative to the working directory, as messages name files. */
export function displayPath(filePath: string): string {
  return path.relative(process.cwd(), path.resolve(filePath)) || filePath;
}

/**
 * Why a path a user named cannot be read as a regular file, found without opening it: `missing`
 * when nothing is there, a problem (with `fix`) when it is not a regular file or a link to one.
 * Undefined for a regular file (or a link to one).
 */
export function userFileProblem(filePath: string, fix: string): { problem: string } | { missing: true } | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { problem: `cannot be read: ${(error as Error).message}` };
  }
  const problem = nonRegularEntryProblem(filePath, stats, fix);
  return problem === undefined ? undefined : { problem };
}

/** The bytes of a file a user named, read as discovery reads a migration (see {@link userFileProblem}). */
export function readUserBytes(
  filePath: string,
  fix: string,
): { bytes: Buffer } | { problem: string } | { missing: true } {
  return userFileProblem(filePath, fix) ?? readRegularFile(filePath, fix);
}

/**
 * A file a user named (a targets file, a desired schema), read as discovery reads a migration:
 * `missing` when nothing is there, a problem when it is not a regular file (never opened) or not
 * UTF-8. The text keeps a BOM.
 */
export function readUserFile(
  filePath: string,
  fix: string,
): { text: string } | { problem: string } | { missing: true } {
  const read = readUserBytes(filePath, fix);
  return 'bytes' in read ? decodeUtf8(read.bytes) : read;
}

/**
 * A folder's entries, read as discovery reads the migrations folder: every entry `wanted` names
 * must be a regular file (or a link to one), and each that is not is a problem naming it (with
 * `fix`), never opened; the others come back by name, sorted. Entries `wanted` leaves out are
 * neither checked nor opened. Throws what readdir throws (a folder that does not exist).
 */
export async function regularEntries(
  directory: string,
  wanted: (name: string) => boolean,
  fix: string,
): Promise<{ names: string[]; problems: DiscoveryProblem[] }> {
  const absolute = path.resolve(directory);
  const names: string[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const entry of await readdir(absolute, { withFileTypes: true })) {
    if (!wanted(entry.name)) continue;
    const problem = nonRegularEntryProblem(path.join(absolute, entry.name), entry, fix);
    if (problem) problems.push({ files: [displayPath(path.join(absolute, entry.name))], problem });
    else names.push(entry.name);
  }
  problems.sort((a, b) => (a.files[0]! < b.files[0]! ? -1 : 1));
  return { names: names.sort(), problems };
}
