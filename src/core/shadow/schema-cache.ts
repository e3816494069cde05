/**
 * The schema a folder's migrations produce, kept by what decides it: the library's version, the
 * embedded engine's package and version, the names the shadow stands for, and
 * each migration applied (version and checksum: the sha256 of its text). A drift or a `schema` of an
 * unchanged folder then builds no shadow at all. Kept in memory for the process, and on disk in a
 * folder of files named by that key (`schemaCache`, `node_modules/.cache/nestjs-surrealdb-migrations`
 * by default), which may be deleted at any time. A file that cannot be read, or does not hold a
 * schema, is ignored and written again; a folder that cannot be written (a read-only container)
 * leaves the memory alone to keep it.
 *
 * Only embedded shadows are kept: a server's version is not known before it is asked.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { MigrationFile } from '../files/migration-files.js';
import type { RepeatableFile } from '../files/repeatable-files.js';
import { SCHEMA_KINDS, type DatabaseSchema, type SchemaObject, type ShadowSource } from './shadow.js';

/** Bumped when what a cached schema holds, or how it is read, changes. */
const FORMAT = 1;
/** Schemas kept in memory, at most (the oldest is dropped). */
const IN_MEMORY = 32;

const memory = new Map<string, DatabaseSchema>();

/** What decides a folder's schema; undefined when it cannot be known (a server's shadow, no engine package). */
export function schemaCacheKey(
  source: ShadowSource,
  migrations: readonly MigrationFile[],
  repeatable: readonly RepeatableFile[],
): string | undefined {
  if (source.server) return undefined;
  const engine = enginePackage(source.surrealdb);
  if (!engine) return undefined;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ FORMAT, library: libraryVersion(), engine, names: source.names ?? null }));
  // A migration's checksum is the sha256 of its text (`checksumOf`): hashing the text again adds nothing.
  for (const m of migrations) hash.update(`\n${m.version}\u0000${m.checksum}`);
  // The repeatable definitions, applied after the versions, by name (which a version cannot hold).
  for (const r of repeatable) hash.update(`\nR${r.name}\u0000${r.checksum}`);
  return hash.digest('hex');
}

/** The kept schema of `key`, from memory or the folder; undefined when there is none (or it is unreadable). */
export async function cachedSchema(folder: string | false, key: string): Promise<DatabaseSchema | undefined> {
  const kept = memory.get(key);
  if (kept) return copy(kept);
  if (folder === false) return undefined;
  const text = await readFile(fileOf(folder, key), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const schema = parsed(text, key);
  if (schema) remember(key, schema);
  return schema && copy(schema);
}

/** Keeps `schema` under `key`, in memory and, where it can be written, in the folder. */
export async function keepSchema(folder: string | false, key: string, schema: DatabaseSchema): Promise<void> {
  remember(key, copy(schema));
  if (folder === false) return;
  try {
    await mkdir(folder, { recursive: true });
    const file = fileOf(folder, key);
    const temporary = `${file}.${process.pid}.tmp`;
    // Readable by its owner only: a user's definition may hold a password hash.
    await writeFile(temporary, `${JSON.stringify({ key, schema })}\n`, { mode: 0o600 });
    await rename(temporary, file);
  } catch {
    // A cache that cannot be written is a cache that is not kept: the schema itself is right.
  }
}

/** Forgets every schema kept in memory (the folder's files stay). @internal */
export function forgetKeptSchemas(): void {
  memory.clear();
}

function fileOf(folder: string, key: string): string {
  return path.join(folder, `schema-${key}.json`);
}

function remember(key: string, schema: DatabaseSchema): void {
  memory.delete(key);
  memory.set(key, schema);
  while (memory.size > IN_MEMORY) memory.delete(memory.keys().next().value!);
}

function copy(schema: DatabaseSchema): DatabaseSchema {
  return schema.map((o) => ({ ...o }));
}

/** The schema a cache file holds, checked field by field; undefined for anything else. */
function parsed(text: string, key: string): DatabaseSchema | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const file = value as { key?: unknown; schema?: unknown } | null;
  if (!file || file.key !== key || !Array.isArray(file.schema)) return undefined;
  const kinds = new Set<string>([...SCHEMA_KINDS, 'other']);
  const objects: SchemaObject[] = [];
  for (const o of file.schema as Record<string, unknown>[]) {
    if (
      !o ||
      typeof o.kind !== 'string' ||
      !kinds.has(o.kind) ||
      (o.table !== undefined && o.table !== null && typeof o.table !== 'string') ||
      typeof o.name !== 'string' ||
      typeof o.definition !== 'string'
    )
      return undefined;
    objects.push({
      kind: o.kind as SchemaObject['kind'],
      table: typeof o.table === 'string' ? o.table : undefined,
      name: o.name,
      definition: o.definition,
    });
  }
  return objects;
}

const require = createRequire(import.meta.url);

/** This library's version (its package.json, three folders up from here in src/ and in dist/). */
function libraryVersion(): string {
  try {
    return String((require('../../../package.json') as { version?: unknown }).version);
  } catch {
    return 'unknown';
  }
}

/**
 * The embedded engine's package and version, or undefined when it is not installed. Its package.json
 * is not among its exports: it is found where Node would look for the package.
 */
function enginePackage(major: number): string | undefined {
  // Read once per process: a drift in a health check computes a key every time.
  if (!ENGINES.has(major)) ENGINES.set(major, readEnginePackage(major));
  return ENGINES.get(major);
}

const ENGINES = new Map<number, string | undefined>();

function readEnginePackage(major: number): string | undefined {
  const name = major === 2 ? '@surrealdb/wasm' : '@surrealdb/node';
  for (const folder of require.resolve.paths(name) ?? []) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(folder, name, 'package.json'), 'utf8')) as {
        version?: unknown;
      };
      return `${name}@${String(manifest.version)}`;
    } catch {
      // Not in this folder: the next one.
    }
  }
  return undefined;
}
