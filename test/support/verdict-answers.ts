/**
 * The answers each engine really gives to `transactionalRequest`:
 *
 *   BEGIN TRANSACTION; LET $__sbl_started = time::now();
 *   <script>
 *   ;
 *   <history statement>;
 *   COMMIT TRANSACTION;
 *
 * The fixtures were captured from the embedded engines (SurrealDB 3.0.2 from `@surrealdb/node`,
 * SurrealDB 2.6.0 from `@surrealdb/wasm`) with the history statement `CREATE $id CONTENT { version:
 * $v } RETURN version` (up) or `DELETE h WHERE version = $v RETURN BEFORE` (down) (see `CASES`), and are written
 * here as they came: SurrealDB 3 answers BEGIN and COMMIT, SurrealDB 2 does not; a failed
 * transaction gets no COMMIT answer on either; the errors carry the kind (and on SurrealDB 3 the
 * details) the SDK decoded. Only the commit-time failure is built by hand (an engine gives it only
 * under a concurrent write).
 */

import type { QueryResponse } from 'surrealdb';

export type Engine = 'v2' | 'v3';

export function ok(result?: unknown): QueryResponse {
  return { success: true, type: 'other', result } as QueryResponse;
}

export function fail(message: string, kind: string, details?: unknown): QueryResponse {
  const error = Object.assign(new Error(message), { kind, details });
  return { success: false, error } as unknown as QueryResponse;
}

export const NOT_EXECUTED = 'The query was not executed due to a failed transaction';
export const CANCELLED = 'The query was not executed due to a cancelled transaction';

/** "Not executed" as each engine says it: SurrealDB 3 with its kind and details, 2 as an internal error. */
export const notExecuted = (engine: Engine) =>
  engine === 'v3' ? fail(NOT_EXECUTED, 'Query', { kind: 'NotExecuted' }) : fail(NOT_EXECUTED, 'Internal');
export const cancelled = (engine: Engine) =>
  engine === 'v3' ? fail(CANCELLED, 'Query', { kind: 'Cancelled' }) : fail(NOT_EXECUTED, 'Internal');

/** The runner's test of the history statement's answer: a row of the version. */
export const historyRowOf = (version: number) => (response: QueryResponse) =>
  response.success &&
  Array.isArray(response.result) &&
  (response.result as { version?: unknown }[]).some((row) => Number(row?.version) === version);

export const answersTransaction = (engine: Engine) => engine === 'v3';

/** The captured answers, by engine. */
export const ANSWERS: Record<string, Record<Engine, () => QueryResponse[]>> = {
  // `DEFINE TABLE u SCHEMALESS; CREATE u:1 SET n = 1`, history of version 100.
  committed: {
    v3: () => [ok(), ok(), ok(), ok([{ id: 'u:1', n: 1 }]), ok([{ version: 100 }]), ok()],
    v2: () => [ok(), ok(), ok([{ id: 'u:1', n: 1 }]), ok([{ version: 100 }])],
  },
  // An empty script, history of version 101.
  emptyScript: {
    v3: () => [ok(), ok(), ok([{ version: 101 }]), ok()],
    v2: () => [ok(), ok([{ version: 101 }])],
  },
  // `REMOVE TABLE t`, then the deletion of version 9.
  down: {
    v3: () => [ok(), ok(), ok(), ok([{ id: 'h:9', version: 9 }]), ok()],
    v2: () => [ok(), ok(), ok([{ id: 'h:9', version: 9 }])],
  },
  // `CREATE t:2 SET n = 1; THROW "boom"; CREATE t:3`.
  thrown: {
    v3: () => [
      ok(),
      notExecuted('v3'),
      notExecuted('v3'),
      fail('An error occurred: boom', 'Thrown'),
      cancelled('v3'),
      cancelled('v3'),
    ],
    v2: () => [
      notExecuted('v2'),
      notExecuted('v2'),
      fail('An error occurred: boom', 'Internal'),
      notExecuted('v2'),
      notExecuted('v2'),
    ],
  },
  // `CREATE t:1 SET n = 2; CREATE t:4` where t:1 exists.
  exists: {
    v3: () => [
      ok(),
      notExecuted('v3'),
      fail('Database record `t:1` already exists', 'AlreadyExists', { kind: 'Record', details: { id: 't:1' } }),
      cancelled('v3'),
      cancelled('v3'),
    ],
    v2: () => [
      notExecuted('v2'),
      fail('Database record `t:1` already exists', 'Internal'),
      notExecuted('v2'),
      notExecuted('v2'),
    ],
  },
  // `CREATE t:7`, history of version 9, whose row exists.
  atHistory: {
    v3: () => [
      ok(),
      notExecuted('v3'),
      notExecuted('v3'),
      fail('Database record `h:9` already exists', 'AlreadyExists', { kind: 'Record', details: { id: 'h:9' } }),
    ],
    v2: () => [notExecuted('v2'), notExecuted('v2'), fail('Database record `h:9` already exists', 'Internal')],
  },
  // `CREATE t:5; RETURN 1; CREATE t:6`: the engine skips the rest up to COMMIT.
  endedEarly: {
    v3: () => [ok(), ok(), ok([{ id: 't:5' }]), ok(1), ok()],
    v2: () => [ok(1)],
  },
};

/** The history statements the fixtures were captured with (`$v`: the version, `$id`: its record). */
export const UP_HISTORY = 'CREATE $id CONTENT { version: $v } RETURN version';
export const DOWN_HISTORY = 'DELETE h WHERE version = $v RETURN BEFORE';

/** What the database holds before the cases run. */
export const SETUP = 'CREATE t:1 SET n = 0; CREATE h:9 CONTENT { version: 9 }';

/** How each fixture of {@link ANSWERS} was captured, run in this order on one database after {@link SETUP}. */
export const CASES: { name: keyof typeof ANSWERS; script: string; history: string; version: number }[] = [
  { name: 'committed', script: 'DEFINE TABLE u SCHEMALESS; CREATE u:1 SET n = 1', history: UP_HISTORY, version: 100 },
  { name: 'emptyScript', script: '', history: UP_HISTORY, version: 101 },
  { name: 'thrown', script: 'CREATE t:2 SET n = 1; THROW "boom"; CREATE t:3', history: UP_HISTORY, version: 102 },
  { name: 'exists', script: 'CREATE t:1 SET n = 2; CREATE t:4', history: UP_HISTORY, version: 103 },
  { name: 'endedEarly', script: 'CREATE t:5; RETURN 1; CREATE t:6', history: UP_HISTORY, version: 104 },
  { name: 'atHistory', script: 'CREATE t:7', history: UP_HISTORY, version: 9 },
  { name: 'down', script: 'REMOVE TABLE t', history: DOWN_HISTORY, version: 9 },
];

/** An answer as the fixtures and the engines can be compared: record ids as text, an error by its kind, details and message. */
export function comparable(response: QueryResponse): unknown {
  if (!response.success) {
    const { kind, details, message } = response.error as { kind?: string; details?: unknown; message: string };
    return { success: false, kind, details: plain(details), message };
  }
  return { success: true, result: plain(response.result) };
}

function plain(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'object' && v !== null && v.constructor?.name === 'RecordId' ? String(v) : v,
    ) ?? 'null',
  );
}
