/**
 * One look at many targets on one connection: which databases exist (one `INFO FOR ROOT`, then one
 * request of `INFO FOR NS` for every namespace), and the histories of those that do, read in
 * batches of {@link HISTORY_BATCH} targets per request. A `USE` inside a request selects for the
 * statements after it in that request only (SurrealDB 2 and 3), so the connection's own selection
 * stays as it was; and since SurrealDB 3's `USE` defines what does not exist, only databases the
 * listing shows are read: the survey creates nothing.
 */
import { Features, Table, type Surreal, type SurrealSession } from 'surrealdb';
import { quoteIdent } from '../support/identifiers.js';
import { withTimeout } from '../support/timing.js';
import type { MigrationTarget, ResolvedMigrationsOptions } from '../options/options.js';
import { targetId } from '../options/target-list.js';
import type { QueryClient } from '../db/session.js';
import { rootNamespaces } from '../db/selection.js';
import { databasesOfEach } from '../db/server-lists.js';
import {
  CURRENT_READ,
  HISTORY_READ,
  rowsOrEmpty,
  toSnapshot,
  type HistorySnapshot,
} from '../history/history-records.js';

/** Targets whose histories one request reads. */
export const HISTORY_BATCH = 100;

/** What a survey found, by {@link targetId}. */
export interface TargetSurvey {
  /**
   * Targets whose database does not exist (a read must not create it). Empty on SurrealDB 2,
   * whose `use` creates nothing, as it always was there.
   */
  missing: Set<string>;
  /**
   * The histories read, of targets whose database the listing shows and whose history read
   * cleanly. A target not here (its database missing or not listed, a refused read, a history
   * row whose version cannot be read, a batch that failed or got no answer) is for its own
   * session to read, as one database's would be.
   */
  histories: Map<string, HistorySnapshot>;
}

/**
 * How a survey reads histories: the bookkeeping tables, how long one batch may take, and whether
 * only to prove targets current (`currentOnly`: see {@link CURRENT_READ}).
 */
export type HistoryReadOptions = Pick<
  ResolvedMigrationsOptions,
  'table' | 'failedTable' | 'repeatableTable' | 'connect'
> & {
  currentOnly?: boolean;
};

/**
 * Surveys `targets` on `root` (see the file's comment): on SurrealDB 3 in `session`, a session of
 * its own that the caller keeps open for every survey (one opening per manager, not per survey), on
 * SurrealDB 2 (no sessions) on the connection itself. With `read` undefined, the histories are not
 * read, and on SurrealDB 2 nothing is sent. Requests: `INFO FOR ROOT`, one listing, and one per {@link HISTORY_BATCH} targets whose
 * database exists (and, the first time on SurrealDB 3, the session's opening).
 * Throws what the listing's requests throw; a failed batch only leaves its targets out.
 */
export async function surveyTargets(
  root: Surreal,
  targets: readonly MigrationTarget[],
  read: HistoryReadOptions | undefined,
  session: () => Promise<SurrealSession>,
): Promise<TargetSurvey> {
  const survey: TargetSurvey = { missing: new Set(), histories: new Map() };
  // Nothing asked of a connection with no target to survey (it may be closed).
  if (targets.length === 0) return survey;
  const sessions = root.isFeatureSupported(Features.Sessions);
  if (!sessions && !read) return survey;
  const client: QueryClient = sessions ? await session() : root;
  const namespaces = await rootNamespaces(client);
  const wanted = [...new Set(targets.map((t) => t.namespace))];
  // Only namespaces that exist are used; when they cannot be listed, a `use` finds out (as a
  // session's would): such a user may not define a namespace.
  const lists = await databasesOfEach(client, namespaces ? wanted.filter((n) => namespaces.includes(n)) : wanted);
  const listed: MigrationTarget[] = [];
  for (const target of targets) {
    if (namespaces && !namespaces.includes(target.namespace)) {
      survey.missing.add(targetId(target));
      continue;
    }
    const databases = lists.get(target.namespace);
    // Not readable: taken as there, and read by its own session.
    if (!databases || databases instanceof Error) continue;
    if (databases.includes(target.database)) listed.push(target);
    else survey.missing.add(targetId(target));
  }
  if (!sessions) survey.missing.clear();
  if (read) survey.histories = await readHistories(client, listed, read);
  return survey;
}

/**
 * The histories of `targets` (whose databases exist), {@link HISTORY_BATCH} per request: for each,
 * `USE NS … DB …;` and the history read's two SELECTs, read as one database's read reads them
 * ({@link toSnapshot}). Batches go one after another on `client`.
 */
async function readHistories(
  client: QueryClient,
  targets: readonly MigrationTarget[],
  options: HistoryReadOptions,
): Promise<Map<string, HistorySnapshot>> {
  const histories = new Map<string, HistorySnapshot>();
  const vars = {
    history: new Table(options.table),
    failed: new Table(options.failedTable),
    repeatable: new Table(options.repeatableTable),
  };
  const read = options.currentOnly ? CURRENT_READ : HISTORY_READ;
  for (let start = 0; start < targets.length; start += HISTORY_BATCH) {
    const batch = targets.slice(start, start + HISTORY_BATCH);
    const sql = batch.map((t) => `USE NS ${quoteIdent(t.namespace)} DB ${quoteIdent(t.database)}; ${read};`).join('\n');
    const timeoutMs = options.connect.timeoutMs;
    const responses = await withTimeout(client.query(sql, vars).responses(), timeoutMs, () => 'no answer').catch(
      () => undefined,
    );
    // No answer, or refused whole: each of these targets is read by its own session.
    if (!responses) continue;
    batch.forEach((target, i) => {
      const [use, history, failed, repeatable] = responses.slice(4 * i, 4 * i + 4);
      // A refused `USE` would leave the SELECTs after it in the database before it.
      if (!use?.success) return;
      try {
        // Only proving it current: a failed or in-progress record proves it is not.
        if (options.currentOnly && rowsOrEmpty(failed).length > 0) return;
        const snapshot = toSnapshot(history, options.currentOnly ? undefined : failed, repeatable);
        if (snapshot) histories.set(targetId(target), snapshot);
      } catch {
        // A SELECT refused: its own session reads it, and reports what it finds.
      }
    });
  }
  return histories;
}
