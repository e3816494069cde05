/**
 * readVerdict against the answers each engine really gives to `transactionalRequest` (the fixtures
 * of `test/support/verdict-answers.ts`, which `test/integration/verdict-answers.spec.ts` checks
 * against the engines themselves).
 */
import type { QueryResponse } from 'surrealdb';
import { headCount, transactionalRequest } from '../../src/core/execution/request-layout.js';
import { readVerdict } from '../../src/core/execution/verdict.js';
import {
  ANSWERS,
  NOT_EXECUTED,
  answersTransaction,
  historyRowOf,
  notExecuted,
  ok,
  type Engine,
} from '../support/verdict-answers.js';

describe.each<Engine>(['v3', 'v2'])('readVerdict on the answers of SurrealDB %s', (engine) => {
  const read = (answers: QueryResponse[], version: number) =>
    readVerdict(answers, answersTransaction(engine), historyRowOf(version));

  it('reads a commit, and counts the script statements the engine answered', () => {
    expect(read(ANSWERS.committed![engine](), 100)).toEqual({ outcome: 'committed', scriptAnswers: 2 });
  });

  it('reads a commit of an empty script', () => {
    expect(read(ANSWERS.emptyScript![engine](), 101)).toEqual({ outcome: 'committed', scriptAnswers: 0 });
  });

  it('reads a committed rollback by the deleted row it returns', () => {
    expect(read(ANSWERS.down![engine](), 9)).toEqual({ outcome: 'committed', scriptAnswers: 1 });
  });

  it('finds the failing statement among the "not executed" answers, counted from the script', () => {
    const verdict = read(ANSWERS.thrown![engine](), 102);
    expect(verdict).toMatchObject({ outcome: 'failed-in-script', index: 1, scriptAnswers: 3 });
    expect(verdict.outcome === 'failed-in-script' && verdict.error.message).toBe('An error occurred: boom');
  });

  it('places a failure in the first script statement at index 0', () => {
    const verdict = read(ANSWERS.exists![engine](), 103);
    expect(verdict).toMatchObject({ outcome: 'failed-in-script', index: 0, scriptAnswers: 2 });
    expect(verdict.outcome === 'failed-in-script' && verdict.error.message).toMatch(/t:1` already exists/);
  });

  it('tells a failed history statement (the last answer of a failed transaction) from the script', () => {
    const verdict = read(ANSWERS.atHistory![engine](), 9);
    expect(verdict.outcome).toBe('failed-at-history');
    expect(verdict.outcome === 'failed-at-history' && verdict.error.message).toMatch(/h:9` already exists/);
  });

  it('reads a request that ended before its history statement as ended early', () => {
    // SurrealDB 3 answers every statement that ran; SurrealDB 2 answers only the RETURN's value.
    expect(read(ANSWERS.endedEarly![engine](), 104)).toEqual({ outcome: 'ended-early', ran: engine === 'v3' ? 2 : 0 });
  });

  it('reads a commit that failed with only "not executed" answers as failed at the history', () => {
    // Built by hand: a conflict at commit time, after every statement ran.
    const head = engine === 'v3' ? [ok()] : [];
    const answers = [...head, notExecuted(engine), notExecuted(engine), notExecuted(engine)];
    const verdict = read(answers, 105);
    expect(verdict.outcome).toBe('failed-at-history');
    expect(verdict.outcome === 'failed-at-history' && verdict.error.message).toBe(NOT_EXECUTED);
  });

  it("needs the engine's convention: read with the other one, a commit is not taken for one", () => {
    const answers = ANSWERS.committed![engine]();
    expect(readVerdict(answers, !answersTransaction(engine), historyRowOf(100)).outcome).not.toBe('committed');
  });
});

describe('the request layout', () => {
  it('puts the script on lines of its own after BEGIN and the LET, and COMMIT last', () => {
    expect(transactionalRequest('CREATE a:1;\nCREATE b:1', 'CREATE h:1')).toBe(
      'BEGIN TRANSACTION; LET $__sbl_started = time::now();\nCREATE a:1;\nCREATE b:1\n;\nCREATE h:1;\nCOMMIT TRANSACTION;',
    );
  });

  it('counts the answers before the script: BEGIN on SurrealDB 3 only, and the LET', () => {
    expect(headCount(true)).toBe(2);
    expect(headCount(false)).toBe(1);
  });
});
