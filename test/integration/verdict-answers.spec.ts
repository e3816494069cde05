/**
 * The fixtures that `test/unit/verdict.spec.ts` reads (`test/support/verdict-answers.ts`) are what
 * the suite's engine answers today: each captured request is sent again and its answers compared,
 * so that an engine that changes its answering convention fails here rather than in production.
 */
import { RecordId } from 'surrealdb';
import { transactionalRequest } from '../../src/core/execution/request-layout.js';
import { ENGINE, memClient } from '../support/engine.js';
import { ANSWERS, CASES, SETUP, comparable } from '../support/verdict-answers.js';

it(`the captured answers are SurrealDB ${ENGINE}'s`, async () => {
  const db = await memClient({ namespace: 'verdict', database: 'answers' });
  try {
    await db.query(SETUP).responses();
    for (const { name, script, history, version } of CASES) {
      const vars = { v: version, id: new RecordId('h', version) };
      const answers = await db.query(transactionalRequest(script, history), vars).responses();
      expect({ name, answers: answers.map(comparable) }).toEqual({
        name,
        answers: ANSWERS[name]![ENGINE]().map(comparable),
      });
    }
  } finally {
    await db.close();
  }
});
