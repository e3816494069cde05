/**
 * How the answers of one transactional migration's request (`request-layout.ts`) are read.
 *
 * The verdict rests on answers whose place is known, counted from the end, and on the server's
 * answering convention (SurrealDB 3 answers BEGIN and COMMIT, 2 does not), learnt once per
 * connection. It never rests on how the splitter cut the script: the split only names the
 * statement in a message, and only when the engine answered as many statements as it counted.
 *
 * What SurrealDB answers, by outcome:
 * - committed: every statement, then the history statement (its row), then COMMIT (v3);
 * - failed: the failing statement carries the real error and the others say "not executed" or
 *   "cancelled"; COMMIT gets no answer;
 * - ended early: a RETURN made the engine skip every statement up to COMMIT, which committed, so
 *   the answer before COMMIT's is not the history row.
 */
import type { QueryResponse } from 'surrealdb';
import { isNotExecuted } from '../db/surreal-errors.js';
import { headCount } from './request-layout.js';

export type Verdict =
  | {
      outcome: 'committed';
      /** The engine answered this many script statements (the split may have counted otherwise). */
      scriptAnswers: number;
    }
  | {
      outcome: 'failed-in-script';
      /** 0-based index of the failing statement among the script's statements, as the engine counts. */
      index: number;
      /** The engine answered as many script statements as the split expected. */
      scriptAnswers: number;
      error: Error;
    }
  | { outcome: 'failed-at-history'; error: Error }
  | {
      outcome: 'ended-early';
      /** Script statements that ran, as the engine answered them. */
      ran: number;
    };

/**
 * Reads the answers of `transactionalRequest`. `isHistoryRow` tells the history statement's
 * answer (the row written or deleted) from anything a script statement could answer.
 */
export function readVerdict(
  responses: readonly QueryResponse[],
  answersTransaction: boolean,
  isHistoryRow: (response: QueryResponse) => boolean,
): Verdict {
  const head = headCount(answersTransaction);
  const real = responses.findIndex((r) => !r.success && !isNotExecuted(r.error));
  if (real >= 0) {
    const error = (responses[real] as Extract<QueryResponse, { success: false }>).error;
    // A failed transaction has no COMMIT answer: the history statement's is the last one.
    if (real === responses.length - 1 && real >= head) return { outcome: 'failed-at-history', error };
    return { outcome: 'failed-in-script', index: real - head, scriptAnswers: responses.length - head - 1, error };
  }
  const tail = answersTransaction ? 1 : 0;
  const history = responses[responses.length - 1 - tail];
  const commit = answersTransaction ? responses[responses.length - 1] : undefined;
  if (
    history &&
    responses.length - 1 - tail >= head &&
    isHistoryRow(history) &&
    (!answersTransaction || commit?.success)
  ) {
    return { outcome: 'committed', scriptAnswers: responses.length - head - 1 - tail };
  }
  const failedCommit = responses.find((r) => !r.success);
  if (failedCommit && !failedCommit.success) {
    // Only "not executed" answers: the commit itself failed (a conflict at commit time).
    return { outcome: 'failed-at-history', error: failedCommit.error };
  }
  return { outcome: 'ended-early', ran: Math.max(0, responses.length - head - tail) };
}
