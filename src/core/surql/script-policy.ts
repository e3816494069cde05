/**
 * Statements a migration must not contain, refused with their place before anything runs:
 * - BEGIN, COMMIT, CANCEL: the runner owns the transaction;
 * - USE: the history record would land in another namespace or database;
 * - a RETURN that ends the request: inside `BEGIN … COMMIT`, SurrealDB skips every statement after
 *   it and commits what ran before it, without the history record (see `SurqlHazard`);
 * - LET at the top level of a no-transaction file: each statement is its own request, so the
 *   variable would be gone by the next one.
 *
 * The statements are found on SurrealDB's own lexical rules, whatever the spacing (Unicode spaces,
 * comments ended by U+2028, `RETURN"x"`).
 */
import { surqlStatements, type SurqlStatement } from './surql-splitter.js';

/** Why a script is refused, and where. */
export interface ScriptRefusal {
  keyword: string;
  /** 1-based line and column of the refused keyword. */
  line: number;
  column: number;
  /** The statement that holds it. */
  statement: string;
  reason: string;
  hint: string;
}

/** The first refused statement of `source`, or undefined when it may run. */
export function findRefusal(
  source: string | readonly SurqlStatement[],
  noTransaction: boolean,
): ScriptRefusal | undefined {
  const statements = typeof source === 'string' ? surqlStatements(source) : source;
  for (const statement of statements) {
    for (const hazard of statement.hazards) {
      // Each statement of a no-transaction file is its own request: a RETURN ends only that one.
      if (hazard.keyword === 'RETURN' && noTransaction) continue;
      return {
        keyword: hazard.keyword,
        line: hazard.line,
        column: hazard.column,
        statement: statement.text,
        reason:
          hazard.keyword === 'RETURN'
            ? 'RETURN is not allowed here: inside the migration transaction it ends the whole request'
            : `${hazard.keyword} is not allowed in a ${noTransaction ? 'no-transaction ' : ''}migration script`,
        hint: hint(hazard.keyword, noTransaction),
      };
    }
    if (noTransaction && statement.keyword === 'LET') {
      return {
        keyword: 'LET',
        line: statement.line,
        column: statement.column,
        statement: statement.text,
        reason: 'LET is not allowed in a no-transaction migration script',
        hint: hint('LET', true),
      };
    }
  }
  return undefined;
}

function hint(keyword: string, noTransaction: boolean): string {
  switch (keyword) {
    case 'RETURN':
      return (
        'Remove it: inside the migration transaction, a RETURN that is not in a function, a closure, a DEFINE ' +
        'or a clause of CREATE, UPDATE, UPSERT, DELETE, RELATE or INSERT (or a SELECT projection) makes ' +
        'SurrealDB skip every statement after it and commit the ones before it, without the history record.'
      );
    case 'USE':
      return 'Remove it: a migration runs in the namespace and database the migrations are configured for.';
    case 'LET':
      return (
        'A no-transaction file runs each statement as its own request, so a variable does not reach the ' +
        'next statement. Inline the value, or move the statements that need it into a transactional migration.'
      );
    default:
      return noTransaction
        ? 'Remove it: a no-transaction file runs each statement on its own.'
        : 'Remove it: each migration already runs in its own transaction, with its history record. ' +
            'For statements that cannot run in a transaction, add a leading `-- migrate:no-transaction` line.';
  }
}
