import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MigrationManager, type MigrationsOptions } from '../../src/index.js';
import { MEM } from './engine.js';

/** A temporary folder of migration scripts; `files` maps file names to their text. */
export interface TempMigrations {
  dir: string;
  write(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
  dispose(): Promise<void>;
}

export async function tempMigrations(files: Record<string, string> = {}): Promise<TempMigrations> {
  const root = await mkdtemp(path.join(tmpdir(), 'sbl-migrations-'));
  const dir = path.join(root, 'migrations');
  await mkdir(dir);
  const write = (name: string, text: string) => writeFile(path.join(dir, name), text);
  for (const [name, text] of Object.entries(files)) await write(name, text);
  return {
    dir,
    write,
    remove: (name) => rm(path.join(dir, name)),
    dispose: () => removeTempFolder(root),
  };
}

/**
 * Removes a temporary folder. An embedded engine (in this process or a child that just exited)
 * may still flush files into it for a moment, so a folder that is "not empty" is tried again.
 */
export function removeTempFolder(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/** A temporary folder, for surrealkv:// databases and the like. */
export async function tempDir(prefix = 'sbl-'): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, dispose: () => removeTempFolder(dir) };
}

/** Options for a private in-memory database. */
export function memOptions(directory: string) {
  return { ...MEM, namespace: 'test', database: 'test', directory } as const;
}

/**
 * Opens managers on private in-memory databases of a test's folder (`t`/`t`, silent), and closes
 * them, newest first, with `closeAll()`.
 */
export function memManagers(folder: () => TempMigrations) {
  const managers: MigrationManager[] = [];
  return {
    async open(extra: Partial<MigrationsOptions> = {}): Promise<MigrationManager> {
      const manager = await MigrationManager.create({
        ...MEM,
        namespace: 't',
        database: 't',
        directory: folder().dir,
        logger: false,
        ...extra,
      } as MigrationsOptions);
      managers.push(manager);
      return manager;
    },
    async closeAll(): Promise<void> {
      for (const manager of managers.splice(0).reverse()) await manager.close();
    },
  };
}
