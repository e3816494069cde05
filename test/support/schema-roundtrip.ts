import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { desiredSchema, diffParts, folderSchema, planDiff, renderDiff } from '../../src/core/analysis/schema-code.js';
import type { DiffStep } from '../../src/core/analysis/schema-diff.js';
import { readSchema, type DatabaseSchema } from '../../src/core/shadow/shadow.js';
import { MigrationManager } from '../../src/index.js';
import { SURREALDB } from './engine.js';
import { memOptions, tempDir, tempMigrations } from './migrations-dir.js';

export const HISTORY = '_sbl_migrations';

/** Shadows of the suite's engine (SURREALDB_ENGINE), as `schema --surrealdb` says which. */
export const ON = { surrealdb: SURREALDB } as const;

/** A private in-memory database of the suite's engine with `text` applied; its schema, or the first failure. */
export async function schemaOfText(text: string): Promise<DatabaseSchema> {
  const empty = await tempMigrations();
  const manager = await MigrationManager.create({ ...memOptions(empty.dir), logger: false });
  try {
    const answers = await manager.db.query(text).responses();
    const failed = answers.find((a) => !a.success);
    if (failed && !failed.success) throw new Error(`${failed.error.message}\n--- in ---\n${text}`);
    return await readSchema(manager.db, HISTORY);
  } finally {
    await manager.close();
    await empty.dispose();
  }
}

/** What a diff from one schema to another wrote, and the schemas its migrations gave. */
export interface RoundTrip {
  current: DatabaseSchema;
  desired: DatabaseSchema;
  steps: DiffStep[];
  /** The pairs written, in version order (one, or two when the diff was split). */
  migrations: { up: string; down: string }[];
  /** The schema after `up` of the folder with the written pairs, then after rolling them back. */
  afterUp: DatabaseSchema;
  afterDown: DatabaseSchema;
}

/**
 * The folder `0001_from.surql` (`from`, which may write rows), a diff to the desired schema `to`,
 * written as `diff` writes it, applied by the production runner on a new in-memory database and
 * rolled back with its down scripts.
 */
export async function diffRoundTrip(from: string, to: string): Promise<RoundTrip> {
  const folder = await tempMigrations({ '0001_from.surql': from });
  const work = await tempDir('sbl-roundtrip-');
  try {
    const file = path.join(work.dir, 'desired.surql');
    await writeFile(file, to);
    const current = await folderSchema(folder.dir, undefined, ON);
    const desired = await desiredSchema(file, HISTORY, ON);
    const steps = planDiff(current, desired);
    const parts = diffParts(steps);
    const migrations = Array.from({ length: parts }, (_, part) =>
      renderDiff(steps, `step_${part}`, parts > 1 ? { part } : {}),
    );
    for (const [i, m] of migrations.entries()) {
      await folder.write(`000${i + 2}_step_${i}.surql`, m.up);
      await folder.write(`000${i + 2}_step_${i}.down.surql`, m.down);
    }
    // The round trip is about the schema: the rows the pairs delete on the way are the test's own.
    const manager = await MigrationManager.create({ ...memOptions(folder.dir), logger: false, acceptDataLoss: true });
    try {
      await manager.runMigrationUp();
      const afterUp = await readSchema(manager.db, HISTORY);
      await manager.rollback({ to: 1 });
      const afterDown = await readSchema(manager.db, HISTORY);
      return { current, desired, steps, migrations, afterUp, afterDown };
    } finally {
      await manager.close();
    }
  } finally {
    await folder.dispose();
    await work.dispose();
  }
}

/** The full-text index clause of the suite's engine: SurrealDB 2 says SEARCH where 3 says FULLTEXT. */
export const FULLTEXT = SURREALDB >= 3 ? 'FULLTEXT' : 'SEARCH';

/** An array field's item field suffix: `.*` on SurrealDB 3, `[*]` on 2. */
export const ITEM = SURREALDB >= 3 ? '.*' : '[*]';
