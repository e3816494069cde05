/**
 * The refusal of a run whose new or changed definitions the rows already there would not meet
 * (issue 22, item 1), before anything of it is applied. The rules come from the run's scripts
 * (surql/row-rules.ts); the rows are judged by the engine after the run's statements, in one
 * transaction that is cancelled, so a data fix in the migration counts and nothing is written.
 * The answer comes back as the transaction's thrown error: per rule, a count and the first few
 * record ids, never a value. A run whose scripts change no definition costs no request.
 */
import type { MigrationFile } from '../files/migration-files.js';
import { InvalidRowsError, type InvalidRowsEntry } from '../support/data-errors.js';
import { quoteIdent } from '../support/identifiers.js';
import { definitionChanges } from '../surql/definition-changes.js';
import { runRules, type RowRule, type TablesBefore } from '../surql/row-rules.js';
import type { ExecutionContext } from './execution-context.js';
import { answersTransactions } from './transaction-convention.js';
import { forgetRolledBack } from './rolled-back.js';

/** The marker of the thrown answer. */
const MARK = 'sbl-invalid-rows:';
/** Record ids named per rule. */
const IDS = 5;

/** Throws `InvalidRowsError` when rows already there would not meet the definitions of the run of `scripts`. */
export async function refuseInvalidRows(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options' | 'logger'>,
  scripts: readonly MigrationFile[],
  check: boolean,
): Promise<void> {
  const invalid = await findInvalidRows(ctx, scripts, check);
  if (invalid.length > 0) throw new InvalidRowsError(invalid);
}

/** What {@link refuseInvalidRows} would refuse: each rule of the run of `scripts` with the rows it refuses. */
export async function findInvalidRows(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options' | 'logger'>,
  scripts: readonly MigrationFile[],
  check: boolean,
): Promise<InvalidRowsEntry[]> {
  if (!check) return [];
  const changed = scripts.filter((f) => !f.allowInvalidRows).flatMap((f) => definitionChanges(f.text));
  if (changed.length === 0) return [];
  const major = (await answersTransactions(ctx)) ? 3 : 2;
  const before = await tablesBefore(ctx, [...new Set(changed.map((c) => c.table))]);
  const { rules, unchecked } = runRules(
    scripts.map((f) => ({ file: f.file, text: f.text, allowed: f.allowInvalidRows })),
    major,
    before,
  );
  for (const u of unchecked) {
    ctx.logger.warn(`${u.file}:${u.line}: the rows of ${u.table} are not checked against ${u.field} (${u.rule})`);
  }
  return rules.length === 0 ? [] : judge(ctx, scripts, rules, major);
}

/** Each rule's refused rows, judged after the run's statements in a cancelled transaction. */
async function judge(
  ctx: Pick<ExecutionContext, 'db' | 'connection' | 'options' | 'logger'>,
  scripts: readonly MigrationFile[],
  rules: readonly RowRule[],
  major: number,
): Promise<InvalidRowsEntry[]> {
  const tables = [...new Set(rules.map((r) => r.table))];
  const parts = ['BEGIN TRANSACTION;', ...scripts.map((f) => `${f.text}\n;`)];
  const outputs: string[] = [];
  tables.forEach((table, t) => {
    const own = rules.map((rule, i) => ({ rule, i })).filter(({ rule }) => rule.table === table);
    const columns = own.map(({ rule, i }) => `(${rule.refused}) AS __sbl_r${i}`).join(', ');
    const where = own.map(({ rule }) => `(${rule.refused})`).join(' OR ');
    const select = `(SELECT id, ${columns} FROM ${quoteIdent(table)} WHERE ${where})`;
    const exists =
      major >= 3
        ? `IF ${JSON.stringify(table)} IN object::keys((INFO FOR DB).tables) THEN ${select} ELSE [] END`
        : select;
    parts.push(`LET $__sbl_t${t} = ${exists};`);
    for (const { i } of own) {
      const hits = `$__sbl_t${t}[WHERE __sbl_r${i}]`;
      const ids = `array::map(array::slice(${hits}.id, 0, ${IDS}), |$i| encoding::base64::encode(<bytes> <string> $i))`;
      outputs.push(`<string> count(${hits}) + ':' + array::join(${ids}, ',')`);
    }
  });
  parts.push(`THROW '${MARK}' + array::join([${outputs.join(', ')}], ';');`, 'CANCEL TRANSACTION;');
  // SurrealDB 2 keeps believing in the tables the cancelled transaction wrote to (rolled-back.ts).
  const answers = await ctx.db
    .query(parts.join('\n'))
    .responses()
    .finally(() =>
      forgetRolledBack(
        ctx,
        scripts.map((f) => f.text),
      ),
    );
  const thrown = answers.map((a) => (a.success ? '' : a.error.message)).find((m) => m.includes(MARK));
  if (thrown === undefined) {
    // The scripts, or a rule over some row, failed: the run reports a failure of its scripts
    // itself; a rule the engine could not evaluate is said, without the engine's words (they may
    // hold a value).
    ctx.logger.warn(
      `the rows of ${tables.join(', ')} could not be checked against the run's new definitions: the check failed in the engine`,
    );
    return [];
  }
  const counts = thrown.slice(thrown.indexOf(MARK) + MARK.length).split(';');
  return rules.flatMap((rule, i) => {
    const [count = '0', ids = ''] = (counts[i] ?? '').split(':');
    const rows = Number(count);
    if (!(rows > 0)) return [];
    const { file, line, column, table, field } = rule;
    const named = ids === '' ? [] : ids.split(',').map((id) => Buffer.from(id, 'base64').toString('utf8'));
    return [{ file, line, column, table, field, rule: rule.rule, rows, ids: named }];
  });
}

/** Whether each table is SCHEMAFULL, and its fields, before the run: one request. */
async function tablesBefore(ctx: Pick<ExecutionContext, 'db'>, tables: readonly string[]): Promise<TablesBefore> {
  const statements = ['INFO FOR DB;', ...tables.map((t) => `INFO FOR TABLE ${quoteIdent(t)};`)];
  const [db, ...infos] = await ctx.db.query(statements.join('\n')).responses();
  const defined = ((db?.success ? db.result : undefined) as { tables?: Record<string, string> } | undefined)?.tables;
  const fields = new Map<string, string[]>();
  tables.forEach((t, i) => {
    const info = infos[i];
    const map = ((info?.success ? info.result : undefined) as { fields?: Record<string, string> } | undefined)?.fields;
    fields.set(t, Object.keys(map ?? {}));
  });
  return {
    schemafull: (table) => {
      const definition = defined?.[table];
      return definition === undefined ? undefined : /\bSCHEMAFULL\b/.test(definition);
    },
    fields: (table) => fields.get(table) ?? [],
  };
}
