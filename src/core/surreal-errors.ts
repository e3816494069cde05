/** How SurrealDB's errors are told apart. One place, since v2 and v3 word them differently. */
import {
  CallTerminatedError,
  ConnectionUnavailableError,
  HttpConnectionError,
  ReconnectExhaustionError,
  UnexpectedConnectionError,
} from 'surrealdb';

/** The SDK lost (or never had) its connection: the request did not get an answer. */
export function isConnectionError(error: unknown): boolean {
  return (
    error instanceof ConnectionUnavailableError ||
    error instanceof CallTerminatedError ||
    error instanceof UnexpectedConnectionError ||
    error instanceof HttpConnectionError ||
    error instanceof ReconnectExhaustionError
  );
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
  if (e.kind === 'AlreadyExists' || e.isTransactionConflict === true) return true;
  return /already exists|conflict|can be retried|resource busy/i.test(e.message ?? '');
}

/**
 * A transaction conflict, which SurrealDB says can be retried. Unlike {@link isConflictOrExists}
 * it excludes AlreadyExists: a script's own duplicate record is a real failure.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = error as SurrealErrorShape | undefined;
  if (!e) return false;
  if (e.isTransactionConflict === true) return true;
  return /write conflict|transaction conflict|can be retried/i.test(e.message ?? '');
}

/** "not executed due to a failed/cancelled transaction": a consequence, never the cause. */
export function isNotExecuted(error: unknown): boolean {
  const e = error as SurrealErrorShape | undefined;
  if (!e) return false;
  if (e.kind === 'Query' && (e.details?.kind === 'NotExecuted' || e.details?.kind === 'Cancelled')) return true;
  return /not executed due to a (failed|cancelled) transaction/i.test(e.message ?? '');
}

/** The `--> [line:column]` of a SurrealDB parse error, in the request's coordinates. */
export function errorLocation(error: unknown): { line: number; column: number } | undefined {
  const at = /-->\s*\[(\d+):(\d+)\]/.exec(error instanceof Error ? error.message : String(error));
  return at ? { line: Number(at[1]), column: Number(at[2]) } : undefined;
}
