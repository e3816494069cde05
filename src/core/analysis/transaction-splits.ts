/**
 * Statements that cannot share one transaction once a table holds rows. SurrealDB (2 and 3)
 * builds a full-text index over existing rows with the definitions already committed, not with
 * the ones its own transaction has made. So, in one transaction, on a table with rows:
 * - `DEFINE ANALYZER a` then `DEFINE INDEX … FULLTEXT|SEARCH ANALYZER a` fails ("The analyzer 'a'
 *   does not exist"), and so does it when `a` is new and uses a function defined there;
 * - `DEFINE ANALYZER OVERWRITE a` (or a redefined `fn::` the analyzer calls), then the index
 *   defined again or `REBUILD INDEX`, builds the index silently with the old definition.
 * On an empty table both work, which is why a replay on an empty database passes them. An index
 * built `CONCURRENTLY` builds after the commit and is not affected. Measured on SurrealDB 2.6 and
 * 3.0 (test/integration/lint-transaction-splits.spec.ts).
 */
import type { MigrationFile } from '../files/migration-files.js';
import { afterDefineModifiers, isName, onTable, shapeTokens, type ShapeToken } from '../surql/surql-shapes.js';
import { surqlStatements, type SurqlStatement } from '../surql/surql-splitter.js';

/** A statement that builds a full-text index its own transaction cannot build right. */
export interface TransactionSplit {
  file: MigrationFile;
  line: number;
  column: number;
  statement: string;
  message: string;
  hint: string;
}

/** What the folder's files define, in order: each analyzer's function, each full-text index's analyzer. */
interface Known {
  analyzers: Map<string, string | undefined>;
  functions: Set<string>;
  indexes: Map<string, string>;
}

/** Every such statement of the folder: its up files in version order, then its down files. */
export function findTransactionSplits(
  up: readonly MigrationFile[],
  down: readonly MigrationFile[],
): TransactionSplit[] {
  const known: Known = { analyzers: new Map(), functions: new Set(), indexes: new Map() };
  const found: TransactionSplit[] = [];
  for (const file of [...up, ...down]) {
    const statements = /ANALYZER|REBUILD/i.test(file.text) ? surqlStatements(file.text) : [];
    fileSplits(file, statements, known, found);
  }
  return found;
}

function fileSplits(file: MigrationFile, statements: SurqlStatement[], known: Known, found: TransactionSplit[]): void {
  const analyzersHere = new Set<string>();
  const functionsHere = new Set<string>();
  // Committed before this file: what it defines again is a redefinition.
  const analyzersBefore = new Set(known.analyzers.keys());
  const functionsBefore = new Set(known.functions);
  for (const statement of statements) {
    const tokens = statement.keyword === 'DEFINE' || statement.keyword === 'REBUILD' ? shapeTokens(statement.text) : [];
    const kind = tokens[1]?.upper;
    const start = afterDefineModifiers(tokens, 2);
    if (statement.keyword === 'DEFINE' && kind === 'FUNCTION') {
      const name = functionName(tokens, start, statement.text);
      if (name) {
        functionsHere.add(name);
        known.functions.add(name);
      }
    } else if (statement.keyword === 'DEFINE' && kind === 'ANALYZER' && isName(tokens[start])) {
      const name = tokens[start]!.text;
      const fnAt = tokens.findIndex((t, k) => k > start && t.depth === 0 && t.upper === 'FUNCTION');
      const fn = fnAt < 0 ? undefined : functionName(tokens, fnAt + 1, statement.text);
      analyzersHere.add(name);
      if (tokens[2]?.upper !== 'IF' || !known.analyzers.has(name)) known.analyzers.set(name, fn);
    } else if (kind === 'INDEX' && isName(tokens[start])) {
      const table = onTable(tokens, start);
      if (!table) continue;
      const key = `${table.name}\u0000${tokens[start]!.text}`;
      let analyzer: string | undefined;
      if (statement.keyword === 'DEFINE') {
        const at = tokens.findIndex((t, k) => k > table.index && t.depth === 0 && t.upper === 'ANALYZER');
        const fullText = tokens.some((t) => t.depth === 0 && (t.upper === 'FULLTEXT' || t.upper === 'SEARCH'));
        if (!fullText || at < 0 || !isName(tokens[at + 1])) continue;
        analyzer = tokens[at + 1]!.text;
        known.indexes.set(key, analyzer);
      } else {
        analyzer = known.indexes.get(key);
      }
      const concurrently = tokens.some((t) => t.depth === 0 && t.upper === 'CONCURRENTLY');
      if (!analyzer || concurrently || file.noTransaction) continue;
      const fn = known.analyzers.get(analyzer);
      const byAnalyzer = analyzersHere.has(analyzer);
      if (!byAnalyzer && !(fn && functionsHere.has(fn))) continue;
      const redefined = byAnalyzer ? analyzersBefore.has(analyzer) : fn !== undefined && functionsBefore.has(fn);
      const what = byAnalyzer
        ? `analyzer \`${analyzer}\``
        : `function \`fn::${fn}\` (analyzer \`${analyzer}\` calls it)`;
      found.push({
        file,
        line: statement.line,
        column: statement.column,
        statement: statement.text,
        message:
          `${statement.keyword} INDEX \`${tokens[start]!.text}\` on \`${table.name}\` builds a full-text index ` +
          `with ${what}, ${redefined ? 'redefined' : 'defined'} in the same transaction: on a table that has rows, ` +
          'SurrealDB builds it with the definitions committed before, so it ' +
          (redefined
            ? 'indexes the rows with the old definition, silently'
            : `fails ("The analyzer '${analyzer}' does not exist")`),
        hint:
          'Split it: define the analyzer (and its function) in one migration and the index in the next. Or build ' +
          'the index with CONCURRENTLY (after the commit), or make the file `-- migrate:no-transaction`.',
      });
    }
  }
}

/** `fn::a::b` from `at` (the `fn` word): `a::b`. */
function functionName(tokens: readonly ShapeToken[], at: number, text: string): string | undefined {
  if (tokens[at]?.upper !== 'FN') return undefined;
  const parts: string[] = [];
  let i = at + 1;
  while (text.slice(tokens[i]?.start ?? 0, tokens[i]?.end ?? 0) === '::' && isName(tokens[i + 1])) {
    parts.push(tokens[i + 1]!.text);
    i += 2;
  }
  return parts.length > 0 ? parts.join('::') : undefined;
}
