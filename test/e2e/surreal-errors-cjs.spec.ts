import { createRequire } from 'node:module';
import path from 'node:path';
import * as esm from 'surrealdb';
import {
  errorLocation,
  isConflictOrExists,
  isConnectionError,
  isNotExecuted,
  isRetryableConflict,
} from '../../src/core/db/surreal-errors.js';
import { repoRoot } from '../support/child.js';

/*
 * The SDK ships separate ESM and CommonJS builds. A CommonJS app that passes its own `client`
 * gets errors from the CommonJS build, whose classes are not the ones this ESM package imports:
 * they must be told apart by name and kind, never by instanceof.
 */
const require = createRequire(import.meta.url);
const builds = {
  /** What `require('surrealdb')` loads in Node: the server build, wrapping surrealdb.cjs. */
  node: require(require.resolve('surrealdb', { paths: [repoRoot] })) as typeof esm,
  /** The plain CommonJS build. */
  cjs: require(path.join(repoRoot, 'node_modules/surrealdb/dist/surrealdb.cjs')) as typeof esm,
};

describe.each(Object.entries(builds))("SurrealDB's errors from its CommonJS build (%s)", (_, cjs) => {
  it('are other classes than the ESM build’s (the hazard is real)', async () => {
    expect(cjs.ConnectionUnavailableError).not.toBe(esm.ConnectionUnavailableError);
    const error = await new cjs.Surreal().query('RETURN 1').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(esm.ConnectionUnavailableError);
    expect((error as Error).name).toBe('ConnectionUnavailableError');
  });

  it('a client that is not connected: a connection error', async () => {
    const error = await new cjs.Surreal().query('RETURN 1').catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ['ConnectionUnavailableError', () => new cjs.ConnectionUnavailableError()],
    ['CallTerminatedError', () => new cjs.CallTerminatedError()],
    ['UnexpectedConnectionError', () => new cjs.UnexpectedConnectionError(new Error('socket hang up'))],
    ['HttpConnectionError', () => new cjs.HttpConnectionError('refused', 502, 'Bad Gateway', new ArrayBuffer(0))],
    ['ReconnectExhaustionError', () => new cjs.ReconnectExhaustionError()],
  ])('%s: a connection error', (_name, make) => {
    expect(isConnectionError(make())).toBe(true);
  });

  it('server errors and other SDK errors are not connection errors', () => {
    expect(isConnectionError(cjs.parseRpcError({ code: -32000, kind: 'NotAllowed', message: 'Not allowed' }))).toBe(
      false,
    );
    expect(isConnectionError(new cjs.UnsupportedEngineError('foo'))).toBe(false);
    expect(isConnectionError(new cjs.MissingNamespaceDatabaseError())).toBe(false);
    expect(isConnectionError(new Error('You must be connected'))).toBe(false);
    expect(isConnectionError('ConnectionUnavailableError')).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });

  it('a transaction conflict: retryable, and a conflict', () => {
    // Worded as neither rule's message pattern: recognised by its kind and details alone.
    const error = cjs.parseRpcError({
      code: 0,
      kind: 'Query',
      message: 'The query was not run',
      details: { kind: 'TransactionConflict' },
    });
    expect(error).not.toBeInstanceOf(esm.QueryError);
    expect(isRetryableConflict(error)).toBe(true);
    expect(isConflictOrExists(error)).toBe(true);
    expect(isNotExecuted(error)).toBe(false);
  });

  it('AlreadyExists: a conflict, not retryable', () => {
    const error = cjs.parseRpcError({
      code: 0,
      kind: 'AlreadyExists',
      message: 'The record was there first',
      details: { kind: 'Record', details: { id: '_sbl_migrations_lock:lock' } },
    });
    expect(isConflictOrExists(error)).toBe(true);
    expect(isRetryableConflict(error)).toBe(false);
  });

  it.each(['NotExecuted', 'Cancelled'])('Query %s: not executed', (kind) => {
    const error = cjs.parseRpcError({ code: 0, kind: 'Query', message: 'skipped', details: { kind } });
    expect(isNotExecuted(error)).toBe(true);
    expect(isConflictOrExists(error)).toBe(false);
  });

  it('a parse error: its location', () => {
    const error = cjs.parseRpcError({
      code: -32000,
      kind: 'Validation',
      message: 'Parse error: Unexpected token\n --> [3:7]\n  |\n3 | SELEC * FROM x;',
      details: { kind: 'Parse' },
    });
    expect(errorLocation(error)).toEqual({ line: 3, column: 7 });
  });
});

describe('errors that are not Error instances', () => {
  it('are read by their fields', () => {
    expect(isConnectionError({ name: 'CallTerminatedError' })).toBe(true);
    expect(isRetryableConflict({ kind: 'Query', details: { kind: 'TransactionConflict' } })).toBe(true);
    expect(errorLocation({ message: 'Parse error --> [2:4]' })).toEqual({ line: 2, column: 4 });
    expect(errorLocation('Parse error --> [5:1]')).toEqual({ line: 5, column: 1 });
  });
});
