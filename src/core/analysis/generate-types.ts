/**
 * `generateTypes` (issue 23): the TypeScript module of the tables a migrations folder produces,
 * built on a shadow database (never the user's) and written for the SurrealDB version that shadow
 * runs: the embedded engine's, or the shadow server's own.
 */
import type { ShadowOptions, SurrealDbMajor } from '../options/options.js';
import { MigrationArgumentError } from '../support/errors.js';
import { shadowSource, type ShadowSource } from '../shadow/shadow.js';
import { folderSchema, withFolderApplied } from './schema-code.js';
import { schemaTypes } from './schema-types.js';

/** Where {@link generateTypes} builds the folder's schema, and for which SurrealDB version. */
export interface TypesOptions {
  /** The migrations folder. */
  directory: string;
  /**
   * The SurrealDB major version whose embedded engine builds the folder's schema, and whose values
   * the types describe (a `set` is a `Set` on 3, an array on 2). Give the version your servers run.
   * @default DEFAULT_SURREALDB (3)
   */
  surrealdb?: SurrealDbMajor;
  /** Build the schema on a scratch database of this server instead (its version decides). */
  shadow?: ShadowOptions;
}

/**
 * The TypeScript types of the tables the folder's migrations produce, for the values of the
 * `surrealdb` SDK: per table, `<Name>` (its records) and `<Name>Create` (what `create` accepts),
 * and `Tables`, each table's name to its type. The same folder always gives the same text, as
 * Prettier prints it. Needs only the folder (and the embedded engine of `surrealdb`), or the
 * `shadow` server. Rejects with the first migration's error that the folder's `up` would meet.
 *
 * @example
 * ```ts
 * await writeFile('src/db-types.ts', await generateTypes({ directory: 'migrations' }));
 * ```
 */
export async function generateTypes(options: TypesOptions): Promise<string> {
  return folderTypes(options.directory, shadowSource(options, 'types'));
}

/**
 * The types of the folder's tables, built where `source` says (an embedded engine's schema is
 * kept where `source.cache` says, as `folderSchema` keeps it).
 */
export async function folderTypes(directory: string, source: ShadowSource): Promise<string> {
  if (!source.server) return schemaTypes(await folderSchema(directory, undefined, source), source.surrealdb);
  // A shadow server's version is known once it is connected (and its schema is never kept).
  return withFolderApplied(directory, undefined, source, async (shadow) =>
    schemaTypes(await shadow.schema(), typesMajor(shadow.major)),
  );
}

/** The server's major version, as the types are written for it: 2 or 3. */
function typesMajor(major: number): 2 | 3 {
  if (major === 2 || major === 3) return major;
  throw new MigrationArgumentError(
    `types: the shadow server runs SurrealDB ${String(major)}; the types are written for SurrealDB 2 or 3. ` +
      'Give a shadow server of version 2 or 3, or leave out the shadow server to use the embedded engine.',
  );
}
