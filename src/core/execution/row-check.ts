/**
 * The refusal of a run whose new or changed definitions the rows already there would not meet
 * (issue 22, item 1), before anything of it is applied. The rules come from the run's scripts
 * (surql/row-rules.ts); the rows are judged by the engine after each migration's statements, in
 * one transaction that is cancelled, so a data fix in the migration counts and nothing is written.
 * The answer comes back as the transaction's thrown error: per rule, a count and the first few
 * record ids, never a value. A run whose scripts change no definition costs no request.
 */
import type { MigrationFile } from '../files/migration-files.js';
import { InvalidRowsError, type InvalidRowsEntry } from '../support/data-errors.js';
import { quoteIdent } from '../support/identifiers.js';
import { definitionChanges } from '../surql/definition-changes.js';
import { runRules, TABLES_PARAM, type RowRule, type TablesBefore } from '../surql/row-rules.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { errorLocation, isNotExecuted } from '../db/surreal-errors.js';
import type { QueryResponse } from 'surrealdb';
import type { ExecutionContext } from './execution-context.js';
import { answersTransactions } from './transaction-convention.js';
import { forgetRolledBack } from './rolled-back.js';
import { writesUnnamedTables } from '../db/rolled-back-tables.js';

type Context = Pick<ExecutionContext, 'db' | 'connection' | 'options' | 'logger'>;

/** The marker of the thrown answer. */
const MARK = 'sbl-invalid-rows:';
/** Record ids named per rule. */
const IDS = 5;

/** Throws `InvalidRowsError` when rows already there would not meet the definitions of the run of `scripts`. */
export async function refuseInvalidRows(
  ctx: Context,
  scripts: readonly MigrationFile[],
  check: boolean,
): Promise<void> {
  const invalid = await findInvalidRows(ctx, scripts, check);
  if (invalid.length > 0) throw new InvalidRowsError(invalid);
}

/** What {@link refuseInvalidRows} would refuse: each rule of the run of `scripts` with the rows it refuses. */
export async function findInvalidRows(
  ctx: Context,
  scripts: readonly MigrationFile[],
  check: boolean,
): Promise<InvalidRowsEntry[]> {
  if (!check) return [];
  const changed = scripts.filter((f) => !f.allowInvalidRows).flatMap((f) => definitionChanges(f.text));
  // Only these can set a rule: a SCHEMALESS table, or a field without TYPE, ASSERT or REFERENCE, cannot.
  const ruling = changed.filter((c) =>
    c.kind === 'table'
      ? c.schemafull
      : c.kind !== 'field' || c.type !== undefined || c.assert !== undefined || c.reference,
  );
  if (ruling.length === 0) return [];
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

/** One request's layout: where each script's statements and each table check answer. */
interface Layout {
  text: string;
  /** Per script: the first line of its text in the request, and the index of its first answer. */
  scripts: { line: number; answer: number; answers: number }[];
  /** Per table check (one `LET` per table per script): its line, the index of its answer, and its rules. */
  checks: { line: number; answer: number; rules: number[] }[];
}

/**
 * Each rule's refused rows: the run's scripts in order, in one transaction that is cancelled, each
 * script's rules judged right after it. Where a script fails there, the scripts before it are
 * judged (they are what the run commits before it fails); where a rule fails over some row (an
 * ASSERT that raises an error, as the engine's own write would), it is named with its rows
 * uncounted and the others are judged again without it.
 */
async function judge(ctx: Context, scripts: readonly MigrationFile[], rules: readonly RowRule[], major: number) {
  const uncounted = new Set<number>();
  // Rules read in a scan of their own: those of a table whose shared scan failed.
  const alone = new Set<number>();
  // Rules whose condition the engine cannot read (said in a warning).
  const dropped = new Set<number>();
  let upTo = scripts.length;
  // On SurrealDB 2, a cancelled transaction that wrote to a table it cannot be made to forget (its
  // name is computed) would leave that table undefined for the run's own writes: the rules are then
  // judged over the rows as they are, without the run's statements (its data fixes do not count).
  const run = major >= 3 || !scripts.some((f) => writesUnnamedTables(f.text));
  for (;;) {
    const judged = rules
      .map((rule, i) => ({ rule, i }))
      .filter(({ rule, i }) => rule.script < upTo && !uncounted.has(i) && !dropped.has(i));
    const layout = layoutOf(scripts.slice(0, upTo), judged, alone, major, run);
    let answers: QueryResponse[];
    try {
      answers = await ctx.db
        .query(layout.text)
        .responses()
        // SurrealDB 2 keeps believing in the tables the cancelled transaction wrote to (rolled-back.ts).
        .finally(() =>
          forgetRolledBack(
            ctx,
            scripts.slice(0, upTo).map((f) => f.text),
          ),
        );
    } catch (error) {
      // The request does not parse: a script does not, and the run fails there on its own; or a
      // rule's own condition does not (a fault of this check), and that rule goes unchecked.
      const at = errorLocation(error);
      const check = at && layout.checks.find((c) => c.line === at.line);
      if (check) {
        for (const i of check.rules) {
          ctx.logger.warn(
            `${rules[i]!.file}: the rows of ${rules[i]!.table} are not checked against ${rules[i]!.rule}`,
          );
          dropped.add(i);
        }
        continue;
      }
      const failing = at ? layout.scripts.findLastIndex((s) => at.line >= s.line) : -1;
      if (failing < 0) throw error;
      upTo = failing;
      continue;
    }
    const thrown = answers.map((a) => (a.success ? '' : a.error.message)).find((m) => m.includes(MARK));
    if (thrown !== undefined) {
      // In the run's order: by script, then as each script sets them.
      const found = counted(thrown, judged, rules);
      return rules.flatMap((rule, i) => {
        if (uncounted.has(i)) return [entryOf(rule, undefined, [])];
        const entry = found.get(i);
        return entry ? [entry] : [];
      });
    }
    const failed = answers.findIndex((a) => !a.success && !isNotExecuted(a.error));
    const check = layout.checks.find((c) => c.answer === failed);
    if (check) {
      // One rule raised the error, or one of several: each is then read alone, and the one that fails is named uncounted.
      for (const i of check.rules) (check.rules.length === 1 ? uncounted : alone).add(i);
      continue;
    }
    const failing = layout.scripts.findIndex((s) => failed >= s.answer && failed < s.answer + s.answers);
    if (failing < 0) throw new Error('the row check got no answer');
    upTo = failing;
  }
}

/** The request that runs `scripts` and judges `judged` after each one's script. */
function layoutOf(
  scripts: readonly MigrationFile[],
  judged: readonly { rule: RowRule; i: number }[],
  alone: ReadonlySet<number>,
  major: number,
  run: boolean,
): Layout {
  const lines: string[] = ['BEGIN TRANSACTION;'];
  // SurrealDB 3 answers BEGIN; 2 does not.
  let answer = major >= 3 ? 1 : 0;
  const layout: Layout = { text: '', scripts: [], checks: [] };
  const outputs: string[] = [];
  scripts.forEach((script, k) => {
    const answers = run ? surqlStatements(script.text).filter((s) => !s.empty).length : 0;
    layout.scripts.push({ line: lines.length + 1, answer, answers });
    if (run) lines.push(...`${script.text}\n;`.split('\n'));
    answer += answers;
    const own = judged.filter(({ rule }) => rule.script === k);
    if (own.length === 0) return;
    if (major >= 3 && own.some(({ rule }) => rule.refused.includes(TABLES_PARAM))) {
      lines.push(`LET ${TABLES_PARAM} = object::keys((INFO FOR DB).tables);`);
      answer++;
    }
    const scans = [...new Set(own.map(({ rule, i }) => (alone.has(i) ? `${i}` : `t:${rule.table}`)))];
    for (const scan of scans) {
      const ofTable = own.filter(({ rule, i }) => (alone.has(i) ? `${i}` : `t:${rule.table}`) === scan);
      const table = ofTable[0]!.rule.table;
      const columns = ofTable.map(({ rule, i }) => `(${rule.refused}) AS __sbl_r${i}`).join(', ');
      const where = ofTable.map(({ rule }) => `(${rule.refused})`).join(' OR ');
      const select = `(SELECT id, ${columns} FROM ${quoteIdent(table)} WHERE ${where})`;
      const exists =
        major >= 3
          ? `IF ${JSON.stringify(table)} IN object::keys((INFO FOR DB).tables) THEN ${select} ELSE [] END`
          : select;
      const name = `$__sbl_t${layout.checks.length}`;
      lines.push(`LET ${name} = ${exists};`);
      layout.checks.push({ line: lines.length, answer: answer++, rules: ofTable.map(({ i }) => i) });
      for (const { i } of ofTable) {
        const hits = `${name}[WHERE __sbl_r${i}]`;
        const ids = `array::map(array::slice(${hits}.id, 0, ${IDS}), |$i| encoding::base64::encode(<bytes> <string> $i))`;
        outputs.push(`'${i}:' + <string> count(${hits}) + ':' + array::join(${ids}, ',')`);
      }
    }
  });
  lines.push(`THROW '${MARK}' + array::join([${outputs.join(', ')}], ';');`, 'CANCEL TRANSACTION;');
  layout.text = lines.join('\n');
  return layout;
}

/** The entries of the thrown answer (`<rule>:<count>:<ids>` per rule judged), by rule, where rows are refused. */
function counted(
  thrown: string,
  judged: readonly { rule: RowRule; i: number }[],
  rules: readonly RowRule[],
): Map<number, InvalidRowsEntry> {
  const parts = thrown
    .slice(thrown.indexOf(MARK) + MARK.length)
    .split(';')
    .filter((p) => p !== '');
  const byRule = new Map(
    parts.map((p) => {
      const [i = '', count = '0', ids = ''] = p.split(':');
      return [Number(i), { rows: Number(count), ids }] as const;
    }),
  );
  const entries = new Map<number, InvalidRowsEntry>();
  for (const { i } of judged) {
    const found = byRule.get(i);
    if (!found || !(found.rows > 0)) continue;
    const ids = found.ids === '' ? [] : found.ids.split(',').map((id) => Buffer.from(id, 'base64').toString('utf8'));
    entries.set(i, entryOf(rules[i]!, found.rows, ids));
  }
  return entries;
}

function entryOf(rule: RowRule, rows: number | undefined, ids: string[]): InvalidRowsEntry {
  const { file, line, column, table, field } = rule;
  return { file, line, column, table, field, rule: rule.rule, rows, ids };
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
