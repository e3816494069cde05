/**
 * A SurrealDB 2 engine bug (2.3 to 2.6; not 3.x): a transaction that is rolled back (it failed, or
 * was cancelled, as a dry run's is) after writing to a table it auto-created keeps nothing of it,
 * yet the engine goes on believing the table exists. A later write to that table is stored, but
 * the table is missing from `INFO FOR DB` and from `export()`: drift, the schema snapshot and the
 * testing kit would all misread the database.
 *
 * `BEGIN; DEFINE TABLE t; REMOVE TABLE t; COMMIT;` right after the rollback cures it, and is safe:
 * where `t` really exists, `DEFINE TABLE` (without IF NOT EXISTS) fails, the transaction is rolled
 * back, and nothing is removed. So only tables that do not exist are touched, and nothing else.
 */
import { quoteIdent } from '../support/identifiers.js';
import { SurqlLexer, identifierText, type SurqlToken } from '../surql/surql-lexer.js';
import type { QueryClient } from './session.js';

/** Words after which a table name may stand in a statement that writes (and so auto-creates). */
const WRITES_TO: ReadonlySet<string> = new Set(['CREATE', 'UPSERT', 'UPDATE', 'INTO', 'ONLY', 'RELATE', 'INSERT']);

/**
 * The names a script may have written to, and so auto-created: the table after CREATE, UPSERT,
 * UPDATE, INSERT INTO, `ONLY`, the edge of a RELATE (`a->edge->b`), and the table of every record
 * id literal (`t:1`). A table named only at run time (`type::thing($t, 1)`) is not seen.
 */
export function writtenTables(text: string): string[] {
  const lexer = new SurqlLexer(text);
  const names = new Set<string>();
  const tokens: SurqlToken[] = [];
  for (;;) {
    const last = tokens.at(-1);
    const token = lexer.next(!last || !['word', 'ident', 'number', 'close'].includes(last.kind));
    if (!token) break;
    tokens.push(token);
  }
  const text_ = (t: SurqlToken | undefined) => (t ? text.slice(t.start, t.end) : '');
  tokens.forEach((token, i) => {
    if (token.kind !== 'word' && token.kind !== 'ident') return;
    const before = tokens[i - 1];
    const after = text_(tokens[i + 1]);
    const edge = text_(tokens[i - 2]) + text_(before);
    if (
      after === ':' ||
      edge === '->' ||
      edge === '<-' ||
      (before?.kind === 'word' && WRITES_TO.has(text_(before).toUpperCase()))
    ) {
      names.add(identifierText(text, token));
    }
  });
  return [...names];
}

/**
 * Whether a script may write to a table whose name only the run knows (`type::table(…)`,
 * `type::thing(…)`, `type::record(…)`, a parameter after CREATE, UPSERT, UPDATE, INSERT INTO,
 * RELATE): after a rollback, {@link forgetRolledBackTables} cannot name it.
 */
export function writesUnnamedTables(text: string): boolean {
  return (
    /\btype\s*::\s*(table|thing|record)\s*\(/i.test(text) ||
    /\b(CREATE|UPSERT|UPDATE|INTO|RELATE|ONLY)\s+\$/i.test(text)
  );
}

/**
 * After a rolled-back request on SurrealDB 2: makes the engine forget the tables the scripts may
 * have auto-created (see the module's comment). One request; never throws (the next write would
 * only show the bug again, which is no reason to fail what already failed).
 */
export async function forgetRolledBackTables(db: QueryClient, scripts: readonly string[]): Promise<void> {
  const names = [...new Set(scripts.flatMap(writtenTables))];
  if (names.length === 0) return;
  const sql = names
    .map((name) => `BEGIN; DEFINE TABLE ${quoteIdent(name)}; REMOVE TABLE ${quoteIdent(name)}; COMMIT;`)
    .join('\n');
  await db
    .query(sql)
    .responses()
    .catch(() => undefined);
}
