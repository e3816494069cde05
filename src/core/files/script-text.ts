/** A script's text as every file of the folder is read: normalized, and its checksum. */
import { createHash } from 'node:crypto';

/** Strips a UTF-8 BOM and turns CRLF (and lone CR) into LF. */
export function normalizeScript(raw: string): string {
  return (raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).replace(/\r\n?/g, '\n');
}

/** sha256 (hex) of a normalized script. */
export function checksumOf(normalizedText: string): string {
  return createHash('sha256').update(normalizedText, 'utf8').digest('hex');
}
