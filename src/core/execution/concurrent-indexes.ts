import type { MigrationDirection } from '../support/errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { quoteIdent } from '../support/identifiers.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { sleep } from '../support/timing.js';
import type { ExecutionContext } from './execution-context.js';
import { scriptError } from './script-errors.js';

/** How often a CONCURRENTLY index build still under way is logged. */
const INDEX_LOG_MS = 2_000;

/**
 * A `DEFINE INDEX … CONCURRENTLY` builds after its migration commits. The migration is complete
 * only once `INFO FOR INDEX` says the build is ready: a process that exits before then leaves an
 * index that later says ready but misses rows. A stop request does not cut this wait short (the
 * next migration does not start); a second signal to the CLI still exits at once.
 */
export async function awaitConcurrentIndexes(
  ctx: Pick<ExecutionContext, 'db' | 'logger'>,
  script: MigrationFile,
  direction: MigrationDirection,
): Promise<void> {
  const { db, logger } = ctx;
  // Without the word, no statement can build in the background: the file is not split again.
  if (!/concurrently/i.test(script.text)) return;
  const indexes = surqlStatements(script.text).flatMap((s) => (s.concurrentIndex ? [s.concurrentIndex] : []));
  indexes: for (const { name, table } of indexes) {
    const started = Date.now();
    let lastLog = started;
    for (let delay = 20; ; delay = Math.min(delay * 2, 1_000)) {
      const [info] = await db
        // Names written escaped: SurrealDB 2 takes no parameters as names in INFO.
        .query(`INFO FOR INDEX ${quoteIdent(name)} ON ${quoteIdent(table)}`)
        .responses();
      // The index is gone again (a later statement of the file removed it): nothing to wait for
      // here, but the file's other indexes still are.
      if (!info || !info.success) continue indexes;
      const building = (info.result as { building?: Record<string, unknown> } | undefined)?.building ?? {};
      const status = String(building.status ?? 'ready');
      if (status === 'ready') {
        if (Date.now() - started >= INDEX_LOG_MS) logger.log(`Index ${name} on ${table} is built (${script.file})`);
        break;
      }
      if (status === 'error' || status === 'aborted') {
        throw scriptError(
          script,
          direction,
          {
            reason: `the CONCURRENTLY index ${name} on ${table} failed to build: ${String(building.error ?? status)}`,
          },
          (direction === 'up'
            ? 'The migration itself committed and is recorded in the history'
            : 'The rollback itself committed and its history record is removed') +
            '; the index exists but is not usable. Add a migration that removes or redefines it.',
        );
      }
      if (Date.now() - lastLog >= INDEX_LOG_MS) {
        lastLog = Date.now();
        const counts = ['initial', 'pending', 'updated']
          .filter((k) => building[k] !== undefined)
          .map((k) => `${k} ${String(building[k])}`)
          .join(', ');
        logger.log(
          `Waiting for index ${name} on ${table} to build (${status}${counts ? `, ${counts}` : ''}) before ` +
            `migration ${script.version} counts as complete`,
        );
      }
      await sleep(delay);
    }
  }
}
