import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { desiredSchema, folderSchema, planDiff, renderDiff, schemaToSurql } from '../core/schema-code.js';
import { createMigration, folderStyle, newMigration, normalizeMigrationName } from './create.js';
import { MigrationDiscoveryError } from '../core/errors.js';
import { displayPath, readUserBytes, userFileProblem } from '../core/regular-files.js';
import type { CliOutput } from './output.js';
import type { ShadowSource } from '../core/shadow.js';

type Outcome = { exitCode: number; document: Record<string, unknown> };

/** `schema [--out <file>] [--check <file>]`: the folder's schema, as SurrealQL. */
export async function schemaCommand(
  directory: string,
  options: { out: string | undefined; check: string | undefined },
  source: ShadowSource,
  out: CliOutput,
): Promise<Outcome> {
  const text = schemaToSurql(await folderSchema(directory, undefined, source));
  if (options.check !== undefined) {
    const current = readUserBytes(options.check, NOT_A_SCHEMA_FILE);
    if ('problem' in current) throw notRegular(options.check, current.problem);
    if ('bytes' in current && current.bytes.equals(Buffer.from(text))) {
      out.print(`${options.check} is up to date.`);
      return { exitCode: 0, document: { file: options.check, upToDate: true } };
    }
    out.note(
      `${options.check} is ${'missing' in current ? 'missing' : 'stale'}: write it with ` +
        `\`surreal-migrate schema --out ${options.check}\`.`,
    );
    return { exitCode: 4, document: { file: options.check, upToDate: false, error: { code: 'SCHEMA_STALE' } } };
  }
  if (options.out !== undefined) {
    // Writing to a FIFO would wait for a reader: only a regular file (or nothing) is written over.
    const there = userFileProblem(options.out, NOT_A_SCHEMA_FILE);
    if (there && 'problem' in there) throw notRegular(options.out, there.problem);
    await writeFile(options.out, text);
    out.print(`Wrote ${options.out}.`);
    return { exitCode: 0, document: { file: options.out } };
  }
  if (!out.json) process.stdout.write(text);
  return { exitCode: 0, document: { schema: text } };
}

const NOT_A_SCHEMA_FILE =
  'the schema file must be a regular file (or a symbolic link to one); remove it, or give another path.';

/** The schema file named is not a regular file: refused as discovery refuses such an entry. */
function notRegular(file: string, problem: string): MigrationDiscoveryError {
  return new MigrationDiscoveryError(file, [{ files: [displayPath(file)], problem }], { what: 'the schema' });
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
  const current = await folderSchema(directory, undefined, source);
  const desired = await desiredSchema(options.to, historyTable, source);
  const steps = planDiff(current, desired);
  if (steps.length === 0) {
    out.print(`No difference: the folder's schema already is ${options.to}. Nothing written.`);
    return { exitCode: 0, document: { changes: [], files: [] } };
  }
  const name = normalizeMigrationName(options.migrationName ?? 'schema diff');
  const rendered = renderDiff(steps, name);
  const changes = steps.map((s) => ({
    change: s.change.change,
    kind: s.change.kind,
    table: s.change.table,
    name: s.change.name,
    destructive: s.destructive,
  }));
  for (const destructive of rendered.destructive) out.warn(`destructive: ${destructive}`);
  if (options.dryRun) {
    // The next version, in the folder's naming style, as `create` would name it.
    const { style, nextVersion } = folderStyle(await readdir(directory));
    const { up, down } = newMigration(style, nextVersion, name);
    out.print(
      `-- ${path.join(directory, up.fileName)}\n${rendered.up}\n-- ${path.join(directory, down.fileName)}\n${rendered.down}`,
    );
    return { exitCode: 0, document: { changes, up: rendered.up, down: rendered.down, files: [] } };
  }
  // Written as `create` writes a pair: exclusively, the next free version, never one file alone.
  const { files } = await createMigration(directory, name, rendered);
  out.print(`Wrote ${files[0]} and ${files[1]}.`);
  return { exitCode: 0, document: { changes, files: files.map((f) => path.join(directory, path.basename(f))) } };
}
