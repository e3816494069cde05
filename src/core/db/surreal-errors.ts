import { MigrationsError } from '../support/errors.js';
import { DatabaseRequestError, DatabaseUnreachableError } from '../support/database-errors.js';

/**
 * How SurrealDB's errors are told apart. One place, since v2 and v3 word them differently.
 *
 * Never by `instanceof`: the SDK ships separate ESM and CommonJS builds, and a CommonJS app's
 * `client` throws the CommonJS build's classes, which are not the ones this ESM package imports.
 * The SDK's errors say what they are by `name` (an own field of each class), server errors also by
 * `kind`, and both hold across builds, realms and versions.
 */

/** The SDK's names for "the request got no answer: the connection was lost, or never there". */
const CONNECTION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ConnectionUnavailableError',
  'CallTerminatedError',
  'UnexpectedConnectionError',
  'HttpConnectionError',
  'ReconnectExhaustionError',
]);

/**
 * What a public method throws for `error`: a lost connection as {@link DatabaseUnreachableError}
 * (`where`: the redacted URL); any other error of the driver or the server as
 * {@link DatabaseRequestError}, with the server's message inside; anything else (this library's
 * own errors above all) as it is. So no raw SDK error escapes.
 */
export function asLibraryError(error: unknown, where: string): unknown {
  if (error instanceof MigrationsError) return error;
  if (isConnectionError(error)) return new DatabaseUnreachableError(where, 1, error, 'request');
  if (isSurrealError(error)) return new DatabaseRequestError((error as Error).message, error);
  return error;
}

/** The SDK's own mark on its errors (a global symbol: it holds across its ESM and CommonJS builds). */
const SURREAL_ERROR = Symbol.for('surrealdb.SurrealError');

function isSurrealError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[SURREAL_ERROR] === true;
}

/**
 * SurrealDB's message, as both versions say it: SurrealDB 2 puts "There was a problem with the
 * database: " before a request-level failure (a parse error), which says nothing of the script.
 */
export function serverMessage(message: string): string {
  return message.replace(/^There was a problem with the database: /, '');
}

/** The SDK lost (or never had) its connection: the request did not get an answer. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && CONNECTION_ERROR_NAMES.has(name);
}

interface SurrealErrorShape {
  kind?: string;
  message?: string;
  details?: { kind?: string };
  isTransactionConflict?: boolean;
}

/**
 * AlreadyExists, or a transaction write conflict. For the lock both mean "held"; for a history
 * record both mean "another replica wrote it first".
 */
export function isConflictOrExists(error: unknown): boolean {
  const e = error as SurrealErrorShape | undefined;
  if (!e) return false;
  if (e.kind === 'AlreadyExists' || isTransactionConflict(e)) return true;
  return /already exists|conflict|can be retried|resource busy/i.test(e.message ?? '');
}

/**
 * A transaction conflict, which SurrealDB says can be retried. Unlike {@link isConflictOrExists}
 * it excludes AlreadyExists: a script's own duplicate record is a real failure.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = error as SurrealErrorShape | undefined;
  if (!e) return false;
  if (isTransactionConflict(e)) return true;
  return /write conflict|transaction conflict|can be retried/i.test(e.message ?? '');
}

/** A QueryError's own getter, or its details read directly (a copy of the error may lack the getter). */
function isTransactionConflict(e: SurrealErrorShape): boolean {
  return e.isTransactionConflict === true || (e.kind === 'Query' && e.details?.kind === 'TransactionConflict');
}

/** "not executed due to a failed/cancelled transaction": a consequence, never the cause. */
/**
 * The error of a request's answers: the statement that really failed (in a transaction the others
 * say "not executed" or "cancelled"), else the first failure; undefined when every one succeeded.
 */
export function firstFailure(responses: readonly { success: boolean; error?: Error }[]): Error | undefined {
  const failures = responses.flatMap((r) => (r.success || !r.error ? [] : [r.error]));
  return failures.find((e) => !isNotExecuted(e)) ?? failures[0];
}

export function isNotExecuted(error: unknown): boolean {
  const e = error as SurrealErrorShape | undefined;
  if (!e) return false;
  if (e.kind === 'Query' && (e.details?.kind === 'NotExecuted' || e.details?.kind === 'Cancelled')) return true;
  return /not executed due to a (failed|cancelled) transaction/i.test(e.message ?? '');
}

/**
 * The server ran the request, but its answer could not be carried to this client: a value that has
 * no CBOR form (a regex) refused by the server's encoder ("Found unsupported SurrealQL value being
 * encoded into a CBOR value", SurrealDB 2; "Unsupported value type", the embedded SurrealDB 3). A
 * statement that failed answers with its error as plain text, which always encodes: so such an
 * answer means every statement of the request succeeded. For an error that a request threw (never
 * a statement's own answer, which can say anything).
 */
export function isUndecodableAnswer(error: unknown): boolean {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return (
    typeof message === 'string' &&
    /unsupported SurrealQL value being encoded into a CBOR value|Unsupported value type: [A-Za-z]+$/.test(message)
  );
}

/** The `--> [line:column]` of a SurrealDB parse error, in the request's coordinates. */
export function errorLocation(error: unknown): { line: number; column: number } | undefined {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  const at = /-->\s*\[(\d+):(\d+)\]/.exec(typeof message === 'string' ? message : String(error));
  return at ? { line: Number(at[1]), column: Number(at[2]) } : undefined;
}
