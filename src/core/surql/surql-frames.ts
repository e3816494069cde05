/**
 * The nesting the splitter follows: the statement keywords it knows, the frames of the top level,
 * brackets, closure bodies and inline statements, and how starting a statement in a frame changes
 * whether a RETURN there would end the whole request.
 */

/** Words that start an expression where an operand is expected; any other word there is a name. */
export const EXPRESSION_STARTS: ReadonlySet<string> = new Set([
  'FUNCTION',
  'IF',
  'SELECT',
  'CREATE',
  'EXPLAIN',
  'UPDATE',
  'UPSERT',
  'DELETE',
  'RELATE',
  'INSERT',
  'DEFINE',
  'REMOVE',
  'REBUILD',
  'ALTER',
  'INFO',
  'FOR',
  'LET',
  'RETURN',
  'THROW',
  'SLEEP',
]);

/** Words that start a statement only at the top level; inside a block they are names. */
export const TOP_LEVEL_STATEMENTS: ReadonlySet<string> = new Set([
  'BEGIN',
  'CANCEL',
  'COMMIT',
  'KILL',
  'LIVE',
  'OPTION',
  'USE',
  'ACCESS',
  'SHOW',
]);

/** Statements that store or inspect rather than run: a RETURN in them ends only their own body. */
const DEFINING_STATEMENTS: ReadonlySet<string> = new Set([
  'DEFINE',
  'REMOVE',
  'ALTER',
  'INFO',
  'REBUILD',
  ...TOP_LEVEL_STATEMENTS,
]);

/** Data statements whose every clause catches a RETURN. A SELECT catches it only in its projection. */
const CATCHING_DATA_STATEMENTS: ReadonlySet<string> = new Set([
  'CREATE',
  'UPDATE',
  'UPSERT',
  'DELETE',
  'RELATE',
  'INSERT',
]);

/** SELECT clauses after which a RETURN is caught again (LIMIT and START fail the transaction instead). */
export const SELECT_CATCHING_CLAUSES: ReadonlySet<string> = new Set([
  'SPLIT',
  'GROUP',
  'ORDER',
  'LIMIT',
  'START',
  'FETCH',
  'TIMEOUT',
  'PARALLEL',
  'TEMPFILES',
  'EXPLAIN',
]);

export const HAZARD_STATEMENTS: ReadonlySet<string> = new Set(['BEGIN', 'COMMIT', 'CANCEL', 'USE']);

/** What closes a frame. */
export const CLOSE_PAREN = 41;
export const CLOSE_BRACKET = 93;
export const CLOSE_BRACE = 125;
export const TOP = -1;
/** A closure's body: it ends at a `,`, a `;` or its parent's closer. */
export const CLOSURE = -2;
/** A statement inside an expression (`LET $x = SELECT …`): it ends at a `;` or its parent's closer. */
export const INLINE = -3;

/** One level of nesting: the top level, a bracket, a closure's body or an inline statement. */
export interface Frame {
  closer: number;
  /** A RETURN here ends the request, unless the statement under way catches it. */
  propagates: boolean;
  /** Inside the value of a top-level LET, where SELECT catches a RETURN. */
  letValue: boolean;
  /**
   * A block that is itself run as a statement: the top level, a bare block statement, or a block
   * of a statement-level IF or FOR. A LET in it takes a RETURN as its value; anywhere else (a block
   * used as a value) the LET passes the RETURN on.
   */
  statementLevel: boolean;
  /** The next token starts a statement. */
  atStart: boolean;
  /** Keyword of the statement under way in this frame ('' for an expression). */
  statement: string;
  /** Whether that statement, in its current clause, passes a RETURN on. */
  passes: boolean;
  /** How many hazards the chunk had when that statement started (a SELECT … EXPLAIN runs nothing). */
  hazardMark: number;
  /** `< … >` depth of a `TYPE` being read; -1 when none. */
  typeDepth: number;
  /** Closure parameters `| … |` being read. */
  closureParams: boolean;
  /** The parameters of `function(…)`, whose JavaScript body follows the `)`. */
  javaScript: boolean;
  /** Offset of the bracket that opened this frame; -1 for the top level, closures and inline statements. */
  openedAt: number;
}

export function frame(closer: number, parent: Frame | undefined): Frame {
  return {
    closer,
    propagates: parent ? parent.propagates && parent.passes : true,
    letValue: parent ? parent.letValue : false,
    statementLevel: false,
    atStart: true,
    statement: '',
    passes: true,
    hazardMark: 0,
    typeDepth: -1,
    closureParams: false,
    javaScript: false,
    openedAt: -1,
  };
}

/** Starts the statement `word` in `f`; `top` when `f` is the top level of the script. */
export function startStatement(f: Frame, word: string, top: boolean): void {
  const caughtByLet = f.statementLevel && !top;
  f.atStart = false;
  f.statement = word;
  if (DEFINING_STATEMENTS.has(word) || CATCHING_DATA_STATEMENTS.has(word)) f.passes = false;
  // A SELECT passes a RETURN on from its FROM and WHERE, not from its projection; inside a
  // top-level LET's value it is evaluated where every RETURN is caught.
  else if (word === 'SELECT') f.passes = false;
  // A LET in a statement-level block takes a RETURN as its value; elsewhere it passes it on.
  else if (word === 'LET') {
    f.passes = !caughtByLet;
    // The executor evaluates a top-level LET's value on its own path, where a SELECT catches.
    if (top) f.letValue = true;
  } else f.passes = true;
}

/** Statements that change how RETURN travels when they appear inside an expression. */
export function inlineStatement(word: string): boolean {
  return (
    EXPRESSION_STARTS.has(word) &&
    (word === 'SELECT' || DEFINING_STATEMENTS.has(word) || CATCHING_DATA_STATEMENTS.has(word))
  );
}
