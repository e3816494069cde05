/**
 * The request of one transactional migration (how its answers are read: `verdict.ts`).
 *
 * `BEGIN TRANSACTION; LET $__sbl_started = time::now();\n<script>\n;\n<history>;\nCOMMIT TRANSACTION;`
 */

/** Statements before the script: BEGIN (answered on v3 only) and the runner's LET. */
export function headCount(answersTransaction: boolean): number {
  return answersTransaction ? 2 : 1;
}

export function transactionalRequest(script: string, bookkeeping: string): string {
  return `BEGIN TRANSACTION; LET $__sbl_started = time::now();\n${script}\n;\n${bookkeeping};\nCOMMIT TRANSACTION;`;
}
