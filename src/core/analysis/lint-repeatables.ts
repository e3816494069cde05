/**
 * Lint of the repeatable definitions (`repeatable/<name>.surql`), after every version applied on
 * the shadow, in name order as a run applies them: the statements a repeatable file may not hold
 * (repeatable-policy.ts); each file applied once, then again with the same text, which must pass
 * and leave the schema as the first time left it.
 */
import type { RepeatableFile } from '../files/repeatable-files.js';
import { compareSchemas, describeObject, type DatabaseSchema } from '../shadow/shadow.js';
import { refreshSchema } from '../shadow/schema-refresh.js';
import type { ShadowDatabase } from '../shadow/shadow-database.js';
import { serverMessage } from '../db/surreal-errors.js';
import type { RepeatableError } from '../support/repeatable-errors.js';
import { keptDefinitions, repeatableRefusals } from '../surql/repeatable-policy.js';
import type { LintProblem } from './lint-problems.js';

/**
 * The problems of `shadow`'s repeatable definitions; applies them to it (within its lock). `schema`
 * is the shadow's schema before them: each step reads again only where the file reaches.
 */
export async function lintRepeatables(shadow: ShadowDatabase, schema: DatabaseSchema): Promise<LintProblem[]> {
  const files = shadow.repeatable;
  if (files.length === 0) return [];
  const problems: LintProblem[] = [];
  const refresh = (before: DatabaseSchema, text: string) =>
    refreshSchema(shadow.db, shadow.historyTable, before, [text]);
  let current = schema;
  await shadow.hold(async () => {
    for (const file of files) {
      const refused = repeatableRefusals(file.text);
      for (const r of refused) {
        problems.push(problem(file, { line: r.line, column: r.column, message: r.reason, hint: r.fix }));
      }
      for (const kept of keptDefinitions(file.text)) {
        problems.push({
          ...problem(file, {
            line: kept.line,
            column: kept.column,
            message: 'DEFINE … IF NOT EXISTS keeps what the first run defined: a change to it here never takes effect',
            hint: 'Write DEFINE … OVERWRITE, so that each change to the file is applied.',
          }),
          severity: 'warning',
        });
      }
      const failed = await shadow.applyRepeatable(file);
      if (failed) {
        problems.push({ ...problem(file, located(failed)), kind: 'execution' });
        continue;
      }
      const before = (current = await refresh(current, file.text));
      // What the policy refuses would fail or write again: said once, above.
      if (refused.length > 0) continue;
      const again = await shadow.applyRepeatable(file, true);
      if (again) {
        problems.push(
          problem(file, { ...located(again), message: `fails when applied again: ${located(again).message}` }),
        );
        continue;
      }
      const after = (current = await refresh(before, file.text));
      for (const change of compareSchemas(before, after)) {
        problems.push(
          problem(file, {
            message: `${describeObject(change)} is ${change.change} when the file is applied again`,
            hint: 'A repeatable definition must leave the schema as it found it the second time: use OVERWRITE.',
          }),
        );
      }
    }
  });
  return problems;
}

function located(error: RepeatableError): Pick<LintProblem, 'line' | 'column' | 'message'> {
  const { line, column, reason } = error.location;
  return { line, column, message: serverMessage(reason) };
}

function problem(
  file: RepeatableFile,
  details: Partial<Pick<LintProblem, 'line' | 'column' | 'hint'>> & Pick<LintProblem, 'message'>,
): LintProblem {
  return {
    kind: 'not-idempotent',
    severity: 'error',
    file: file.file,
    version: 0,
    line: details.line,
    column: details.column,
    message: details.message,
    hint: details.hint,
  };
}
