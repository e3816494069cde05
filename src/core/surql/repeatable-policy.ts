/**
 * Statements a repeatable definition may not hold: it runs again each time its text changes, so
 * every statement must leave the same result the second time. Refused, with their place:
 * - `CREATE`, `INSERT`, `RELATE`: data written again at each change (an `UPSERT` of a fixed record
 *   is the idempotent way), as a statement or as a value in one (`LET $x = (CREATE …)`);
 * - `ACCESS … GRANT`: a new grant at each change;
 * - `DEFINE` without `OVERWRITE` or `IF NOT EXISTS`: the second run fails on what the first defined;
 * - `REMOVE` without `IF EXISTS`: the second run fails on what the first removed;
 * - what a migration may not hold either (`script-policy.ts`: BEGIN, COMMIT, CANCEL, USE, a RETURN
 *   that ends the request).
 * What a block (`IF … { … }`, a function's body) or a DEFINE holds is not judged: it runs when it
 * is called, or only where its condition says.
 */
import { findRefusal } from './script-policy.js';
import { shapeTokens } from './surql-shapes.js';
import { surqlStatements } from './surql-splitter.js';

/** A statement that cannot run twice to the same effect, where it is, and what to write instead. */
export interface RepeatableRefusal {
  line: number;
  column: number;
  statement: string;
  reason: string;
  fix: string;
}

/** The statements of a repeatable file's `text` that it may not hold, in order. */
export function repeatableRefusals(text: string): RepeatableRefusal[] {
  const refusals: RepeatableRefusal[] = [];
  const statements = surqlStatements(text);
  for (const statement of statements) {
    const at = { line: statement.line, column: statement.column, statement: statement.text };
    const policy = findRefusal([statement], false);
    if (policy) {
      refusals.push({ ...at, line: policy.line, column: policy.column, reason: policy.reason, fix: policy.hint });
      continue;
    }
    const refusal = refusalOf(statement.keyword, statement.text) ?? writeInValue(statement.keyword, statement.text);
    if (refusal) refusals.push({ ...at, ...refusal });
  }
  return refusals;
}

/** Statements that write data, as the policy refuses them. */
const WRITES = new Set(['CREATE', 'INSERT', 'RELATE']);

const WRITE_FIX =
  'Move it to a versioned migration, which runs once; or write the record with `UPSERT <table>:<id>`, ' +
  'which leaves the same record the second time.';

/**
 * A `CREATE`, `INSERT` or `RELATE` that a statement runs as a value (`LET $x = (CREATE …)`,
 * `SELECT * FROM (CREATE …)`), outside any `{ … }` block; a DEFINE's clauses run later, not here.
 */
function writeInValue(keyword: string, text: string): Pick<RepeatableRefusal, 'reason' | 'fix'> | undefined {
  if (keyword === 'DEFINE') return undefined;
  const open: string[] = [];
  for (const token of shapeTokens(text)) {
    if (token.kind === 'open') open.push(text[token.start]!);
    else if (token.kind === 'close') open.pop();
    else if (WRITES.has(token.upper) && !open.includes('{') && open.length > 0) {
      return { reason: `${token.upper} writes data again each time the file changes`, fix: WRITE_FIX };
    }
  }
  return undefined;
}

function refusalOf(keyword: string, text: string): Pick<RepeatableRefusal, 'reason' | 'fix'> | undefined {
  switch (keyword) {
    case 'CREATE':
    case 'INSERT':
    case 'RELATE':
      return { reason: `${keyword} writes data again each time the file changes`, fix: WRITE_FIX };
    case 'ACCESS':
      return /\bGRANT\b/i.test(text)
        ? {
            reason: 'ACCESS … GRANT issues a new grant each time the file changes',
            fix: 'Move it to a versioned migration.',
          }
        : undefined;
    case 'DEFINE': {
      const tokens = shapeTokens(text);
      const modifier = tokens[2];
      const overwrite = modifier?.upper === 'OVERWRITE';
      const ifNotExists = modifier?.upper === 'IF' && tokens[3]?.upper === 'NOT' && tokens[4]?.upper === 'EXISTS';
      if (overwrite || ifNotExists) return undefined;
      const kind = tokens[1]?.upper ?? '';
      return {
        reason: `DEFINE ${kind} without OVERWRITE fails the second time, on what the first run defined`,
        fix: `Write \`DEFINE ${kind} OVERWRITE …\` (re-applied at each change), or \`DEFINE ${kind} IF NOT EXISTS …\`.`,
      };
    }
    case 'REMOVE': {
      const tokens = shapeTokens(text);
      if (tokens[2]?.upper === 'IF' && tokens[3]?.upper === 'EXISTS') return undefined;
      const kind = tokens[1]?.upper ?? '';
      return {
        reason: `REMOVE ${kind} without IF EXISTS fails the second time, on what the first run removed`,
        fix: `Write \`REMOVE ${kind} IF EXISTS …\`.`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * The `DEFINE … IF NOT EXISTS` statements of a repeatable file: they run twice without error, but
 * keep the first text, so a change to them there never takes effect (lint warns of them).
 */
export function keptDefinitions(text: string): Pick<RepeatableRefusal, 'line' | 'column' | 'statement'>[] {
  return surqlStatements(text)
    .filter((s) => {
      if (s.keyword !== 'DEFINE') return false;
      const tokens = shapeTokens(s.text);
      return tokens[2]?.upper === 'IF' && tokens[3]?.upper === 'NOT' && tokens[4]?.upper === 'EXISTS';
    })
    .map((s) => ({ line: s.line, column: s.column, statement: s.text }));
}
