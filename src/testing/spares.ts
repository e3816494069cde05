import path from 'node:path';
import { setTimeout } from 'node:timers';
import type { MigrationManager } from '../core/manager/migration-manager.js';
import { openCopy, type MigrationTemplate, type TemplateSettings } from './template.js';

/**
 * A copy of a template made ahead, while the test that took the previous one runs: the next call
 * for the same folder and options only checks that the folder did not change.
 */
interface Spare {
  readonly template: MigrationTemplate;
  readonly ready: Promise<MigrationManager | undefined>;
  idle?: ReturnType<typeof setTimeout>;
}

/**
 * How long a spare waits to be taken before it is closed. An engine whose scripts define indexes
 * keeps the process alive until it is closed: a process exits this long after its last test.
 */
const IDLE_MS = 500;

/**
 * Spares kept ready per folder and options, in this module instance (each Jest test file has its
 * own). Two, so that the engine builds them side by side on two cores while tests run.
 */
export const SPARES = 2;
const spares = new Map<string, Spare[]>();

/** Which calls a spare can serve. @internal */
export function spareId(settings: TemplateSettings): string {
  return JSON.stringify([
    path.resolve(settings.directory),
    settings.namespace,
    settings.database,
    settings.table,
    settings.surrealdb,
  ]);
}

/** Takes the spare for `id`, once it is ready; undefined when there is none or it failed. @internal */
export async function takeSpare(
  id: string,
): Promise<{ manager: MigrationManager; template: MigrationTemplate } | undefined> {
  const spare = spares.get(id)?.shift();
  if (!spare) return undefined;
  if (spare.idle) clearTimeout(spare.idle);
  const manager = await spare.ready;
  return manager && { manager, template: spare.template };
}

/** Starts making the spare for `id`, unless one is there. @internal */
export function prepareSpare(
  id: string,
  template: MigrationTemplate,
  settings: TemplateSettings,
  database: string,
): void {
  const list = spares.get(id) ?? [];
  if (list.length >= SPARES) return;
  const spare: { -readonly [K in keyof Spare]: Spare[K] } = {
    template,
    ready: openCopy(template, settings, database).then(
      (manager) => {
        if (spares.get(id)?.includes(spare)) {
          // Timers from node:timers, not the global ones a test may have faked.
          spare.idle = setTimeout(() => {
            const waiting = spares.get(id);
            if (!waiting?.includes(spare)) return;
            waiting.splice(waiting.indexOf(spare), 1);
            void manager.close().catch(() => {});
          }, IDLE_MS);
          spare.idle.unref();
        }
        return manager;
      },
      () => undefined,
    ),
  };
  list.push(spare);
  spares.set(id, list);
}

/** Closes every spare of this module instance. @internal */
export async function dropSpares(): Promise<void> {
  const dropped = [...spares.values()].flat();
  spares.clear();
  await Promise.all(
    dropped.map(async (spare) => {
      if (spare.idle) clearTimeout(spare.idle);
      await (await spare.ready)?.close().catch(() => {});
    }),
  );
}
