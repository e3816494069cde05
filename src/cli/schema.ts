import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  desiredSchema,
  diffParts,
  folderSchema,
  planDiff,
  renderDiff,
  schemaToSurql,
} from '../core/analysis/schema-code.js';
import { folderTypes } from '../core/analysis/generate-types.js';
import { createMigration, folderStyle, newMigration, normalizeMigrationName } from './create.js';
import { MigrationDiscoveryError } from '../core/support/state-errors.js';
import { displayPath, readUserBytes, userFileProblem } from '../core/files/regular-files.js';
import type { CliOutput } from './output.js';
import type { Outcome } from './outcome.js';
import type { ShadowSource } from '../core/shadow/shadow.js';

/** The note of a diff's first migration when it is split in two. */
const FIRST_NOTE =
  'A migration of its own: SurrealDB builds an index over existing rows only with analyzers already ' +
  'committed, and defines a view again only after the transaction that removed it.';

/** A file that a snapshot command prints, writes (`--out`) and checks (`--check`). */
interface Snapshot {
  /** `schema` (the folder's schema, as SurrealQL) or `types` (its tables' TypeScript types); in messages, what the file holds. */
  command: 'schema' | 'types';
  /** The error code of a stale or missing file under `--check`. */
  stale: 'SCHEMA_STALE' | 'TYPES_STALE';
}

/** `schema [--out <file>] [--check <file>]`: the folder's schema, as SurrealQL. */
export async function schemaCommand(
  directory: string,
  options: SnapshotOptions,
  source: ShadowSource,
  out: CliOutput,
): Promise<Outcome> {
  const text = schemaToSurql(await folderSchema(directory, undefined, source));
  return snapshot({ command: 'schema', stale: 'SCHEMA_STALE' }, text, options, out);
}

/** `types [--out <file>] [--check <file>]`: the folder's tables as a TypeScript module. */
export async function typesCommand(
  directory: string,
  options: SnapshotOptions,
  source: ShadowSource,
  out: CliOutput,
): Promise<Outcome> {
  const text = await folderTypes(directory, source);
  return snapshot({ command: 'types', stale: 'TYPES_STALE' }, text, options, out);
}

interface SnapshotOptions {
  out: string | undefined;
  check: string | undefined;
}

/** Checks `text` against `--check`'s file (exit 4 if it differs), writes it to `--out`, or prints it. */
async function snapshot(what: Snapshot, text: string, options: SnapshotOptions, out: CliOutput): Promise<Outcome> {
  const fix = `the ${what.command} file must be a regular file (or a symbolic link to one); remove it, or give another path.`;
  if (options.check !== undefined) {
    const current = readUserBytes(options.check, fix);
    if ('problem' in current) throw notRegular(what, options.check, current.problem);
    if ('bytes' in current && current.bytes.equals(Buffer.from(text))) {
      out.print(`${options.check} is up to date.`);
      return { exitCode: 0, document: { file: options.check, upToDate: true } };
    }
    out.note(
      `${options.check} is ${'missing' in current ? 'missing' : 'stale'}: write it with ` +
        `\`surreal-migrate ${what.command} --out ${options.check}\`.`,
    );
    return { exitCode: 4, document: { file: options.check, upToDate: false, error: { code: what.stale } } };
  }
  if (options.out !== undefined) {
    // Writing to a FIFO would wait for a reader: only a regular file (or nothing) is written over.
    const there = userFileProblem(options.out, fix);
    if (there && 'problem' in there) throw notRegular(what, options.out, there.problem);
    await writeFile(options.out, text);
    out.print(`Wrote ${options.out}.`);
    return { exitCode: 0, document: { file: options.out } };
  }
  if (!out.json) process.stdout.write(text);
  return { exitCode: 0, document: { [what.command]: text } };
}

/** The file named is not a regular file: refused as discovery refuses such an entry. */
function notRegular(what: Snapshot, file: string, problem: string): MigrationDiscoveryError {
  return new MigrationDiscoveryError(file, [{ files: [displayPath(file)], problem }], { what: `the ${what.command}` });
}

/** `diff --to <file|folder> [--name <name>] [--dry-run]`: the next migration, from the desired schema. */
export async function diffCommand(
  directory: string,
  historyTable: string,
  options: { to: string; migrationName: string | undefined; dryRun: boolean },
  source: ShadowSource,
  out: CliOutput,
): Promise<Outcome> {
  // One shadow after the other: two embedded SurrealDB 2 datastores at work at once in one process
  // can crash its wasm engine.
  const current = await folderSchema(directory, undefined, source, out.progress('diff'));
  const desired = await desiredSchema(options.to, historyTable, source);
  const steps = planDiff(current, desired);
  if (steps.length === 0) {
    out.print(`No difference: the folder's schema already is ${options.to}. Nothing written.`);
    return { exitCode: 0, document: { changes: [], files: [] } };
  }
  const name = normalizeMigrationName(options.migrationName ?? 'schema diff');
  // Two migrations where one transaction cannot hold every step (see schema-diff.ts).
  const names = diffParts(steps) === 1 ? [name] : [`${name}_first`, name];
  const rendered =
    names.length === 1
      ? [renderDiff(steps, name)]
      : [
          renderDiff(steps, names[0]!, { part: 0, note: FIRST_NOTE }),
          renderDiff(steps, name, { part: 1, note: `Applied after ${names[0]!}, which must commit first.` }),
        ];
  const changes = steps.map((s) => ({
    change: s.change.change,
    kind: s.change.kind,
    table: s.change.table,
    name: s.change.name,
    destructive: s.destructive,
  }));
  for (const r of rendered) for (const destructive of r.destructive) out.warn(`destructive: ${destructive}`);
  for (const r of rendered) {
    for (const secret of r.secrets)
      out.warn(`secret: ${secret}: the server hides its secret; set the real one in the migration`);
  }
  if (options.dryRun) {
    // The next versions, in the folder's naming style, as `create` would name them.
    const { style, nextVersion } = folderStyle(await readdir(directory));
    const printed = rendered.map((r, i) => {
      const { up, down } = newMigration(style, nextVersion + i, names[i]!);
      return `-- ${path.join(directory, up.fileName)}\n${r.up}\n-- ${path.join(directory, down.fileName)}\n${r.down}`;
    });
    out.print(printed.join('\n'));
    const migrations = rendered.map((r, i) => ({ name: names[i], up: r.up, down: r.down }));
    // `up` and `down` of the one migration, as before a diff could be split.
    const one = rendered.length === 1 ? { up: rendered[0]!.up, down: rendered[0]!.down } : {};
    return { exitCode: 0, document: { changes, ...one, migrations, files: [] } };
  }
  // Each pair written as `create` writes one: exclusively, the next free version, never one file alone.
  const files: string[] = [];
  for (const [i, r] of rendered.entries()) {
    try {
      files.push(...(await createMigration(directory, names[i]!, r)).files);
    } catch (error) {
      // The pairs go together: a first pair without the second is taken back.
      await Promise.all(files.map((f) => rm(f, { force: true })));
      throw error;
    }
  }
  out.print(`Wrote ${files.slice(0, -1).join(', ')} and ${files.at(-1)}.`);
  return { exitCode: 0, document: { changes, files: files.map((f) => path.join(directory, path.basename(f))) } };
}
