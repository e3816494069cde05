/**
 * Lint's sample rows: an up that works on the shadow's empty tables may fail on a table with rows
 * (a full-text index and its analyzer in one transaction, a field made required that old rows
 * lack, an UPDATE that meets them). Each up is applied once more, in a scratch database of the
 * shadow's engine: the schema before it (what the up can reach of it: schema-refresh.ts), restated
 * from the server's own definitions, and a few
 * made-up rows in each table the up names. What fails there is a `data-dependent` warning, never an
 * error: the rows are made up. The shadow itself is never touched, so every other finding is what
 * it is without them. A table the rows cannot be written to (a view, an assertion they break) gets
 * none; an up that names no table with rows is not sampled.
 *
 * Transactional ups run as the runner runs them (one transaction); no-transaction ups statement by
 * statement, stopping at the first failure. Embedded shadows only: a `--shadow-url` server gets no
 * scratch database of this kind.
 */
import type { QueryResponse, Surreal, SurrealSession } from 'surrealdb';
import { createClient } from '../db/connection.js';
import { quoteIdent } from '../support/identifiers.js';
import type { MigrationFile } from '../files/migration-files.js';
import { inDependencyOrder } from './schema-order.js';
import type { DatabaseSchema, SchemaObject } from '../shadow/shadow.js';
import { namedBy, reaches } from '../shadow/schema-refresh.js';
import { SurqlLexer, identifierText } from '../surql/surql-lexer.js';
import { firstFailure, isNotExecuted, serverMessage } from '../db/surreal-errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';

/** Made-up rows per table. */
const ROWS = 3;
const WORDS = ['Alpha beta', 'Gamma delta', 'Epsilon zeta'];

export interface SampleFailure {
  line: number | undefined;
  column: number | undefined;
  message: string;
  /** The tables that got rows. */
  tables: string[];
}

type Session = Pick<Surreal | SurrealSession, 'query' | 'use'>;

export class RowSampler {
  readonly #session: Session;
  readonly #close: () => Promise<void>;
  readonly #major: number;
  readonly #namespace: string;
  #next = 0;
  /** The scratch database of the last check, removed with the next one's first request (or on close). */
  #last: string | undefined;

  private constructor(session: Session, close: () => Promise<void>, major: number, namespace: string) {
    this.#session = session;
    this.#close = close;
    this.#major = major;
    this.#namespace = namespace;
  }

  /** A sampler on the shadow's own engine (embedded only), or undefined where it cannot have one. */
  static async open(shadow: Surreal, major: number, embedded: boolean): Promise<RowSampler | undefined> {
    if (!embedded) return undefined;
    const namespace = shadow.namespace ?? 'shadow';
    try {
      if (major >= 3) {
        const session = await shadow.forkSession();
        return new RowSampler(session, async () => void (await session.closeSession()), major, namespace);
      }
      const client = await createClient('mem://', 2, shadow);
      await client.connect('mem://', { namespace, database: 'sbl_sample' });
      return new RowSampler(client, async () => void (await client.close()), major, namespace);
    } catch {
      return undefined;
    }
  }

  /** `up` applied over `schema` with made-up rows: its failure there, if any. */
  async check(up: MigrationFile, schema: DatabaseSchema): Promise<SampleFailure | undefined> {
    const tables = touchedTables(up.text, schema);
    if (tables.length === 0) return undefined;
    const database = `sbl_sample_${this.#next++}`;
    try {
      // What the up can reach, or all of it (schema-refresh.ts), and the rows, with the removal of
      // the last scratch database. Outside a transaction: an object the scratch cannot restate, or
      // a row it refuses, is left out, the rest stay.
      const named = namedBy(schema, [up.text]);
      const reached = named ? schema.filter((o) => reaches(o, named)) : schema;
      const restated = inDependencyOrder(reached).map((o) => `${o.definition};`);
      const creates = tables.flatMap((table) =>
        [...Array(ROWS).keys()].map((i) => `CREATE ${quoteIdent(table)} CONTENT ${rowOf(table, schema, i)};`),
      );
      const setup = [...this.#removal(), ...restated, ...creates];
      // A transactional up goes in the same request, after the rows: one request per check. A
      // `USE` inside a request selects for that request only (SurrealDB 2 and 3).
      const inOne = !up.noTransaction;
      if (!inOne) await this.#session.use({ namespace: this.#namespace, database });
      const use = inOne ? [`USE NS ${quoteIdent(this.#namespace)} DB ${quoteIdent(database)};`] : [];
      const answers = await this.#session
        .query([...use, ...setup, ...(inOne ? [transactionOf(up.text)] : [])].join('\n'))
        .responses();
      // Each statement of the setup answers once: the rows' answers are its last ones, ROWS per table.
      const afterSetup = use.length + setup.length;
      const rows = answers.slice(afterSetup - creates.length, afterSetup);
      const filled = tables.filter((_, t) => rows.slice(t * ROWS, (t + 1) * ROWS).some((a) => a.success));
      if (filled.length === 0) return undefined;
      const failure = inOne ? this.#transactional(up, answers.slice(afterSetup)) : await this.#statementByStatement(up);
      return failure && { ...failure, tables: filled };
    } catch {
      // The scratch could not be set up or read (never the up's failure): no warning.
      return undefined;
    } finally {
      this.#last = database;
    }
  }

  async close(): Promise<void> {
    const removal = this.#removal();
    if (removal.length > 0) {
      // In the namespace: the session itself may have none selected (the checks select theirs).
      await this.#session
        .query([`USE NS ${quoteIdent(this.#namespace)};`, ...removal].join('\n'))
        .responses()
        .catch(() => {});
    }
    await this.#close().catch(() => {});
  }

  /** The statement that removes the last scratch database, if there is one (then forgotten). */
  #removal(): string[] {
    const last = this.#last;
    this.#last = undefined;
    return last === undefined ? [] : [`REMOVE DATABASE IF EXISTS ${quoteIdent(last)};`];
  }

  /** The failure of a transactional up, from its answers ({@link transactionOf}'s), if any. */
  #transactional(up: MigrationFile, responses: readonly QueryResponse[]): Omit<SampleFailure, 'tables'> | undefined {
    const error = firstFailure(responses);
    if (!error) return undefined;
    const statements = surqlStatements(up.text);
    // SurrealDB 3 answers BEGIN; 2 does not.
    const index = responses.findIndex((r) => !r.success && !isNotExecuted(r.error)) - (this.#major >= 3 ? 1 : 0);
    const statement = responses.length >= statements.length ? statements[index] : undefined;
    return { line: statement?.line, column: statement?.column, message: serverMessage(error.message) };
  }

  async #statementByStatement(up: MigrationFile): Promise<Omit<SampleFailure, 'tables'> | undefined> {
    for (const statement of surqlStatements(up.text)) {
      const responses = await this.#session
        .query(statement.text)
        .responses()
        .catch(() => undefined);
      const error = responses && firstFailure(responses);
      if (error) return { line: statement.line, column: statement.column, message: serverMessage(error.message) };
    }
    return undefined;
  }
}

/** A transactional up as the runner sends it: in one transaction. */
function transactionOf(text: string): string {
  return `BEGIN TRANSACTION;\n${text}\n;\nCOMMIT TRANSACTION;`;
}

/** The tables of `schema` (not views) whose names the script writes. */
function touchedTables(text: string, schema: DatabaseSchema): string[] {
  const tables = new Set(
    schema.filter((o) => o.kind === 'table' && !/\sAS\s+SELECT\b/i.test(o.definition)).map((o) => o.name),
  );
  const named = new Set<string>();
  const lexer = new SurqlLexer(text);
  for (let token = lexer.next(false); token; token = lexer.next(false)) {
    if (token.kind !== 'word' && token.kind !== 'ident') continue;
    const name = identifierText(text, token);
    if (tables.has(name)) named.add(name);
  }
  return [...named].sort();
}

/** Row `i` of `table`: a value for each top-level field whose type it can make up. */
function rowOf(table: string, schema: DatabaseSchema, i: number): string {
  const fields = schema.filter(
    (o): o is SchemaObject => o.kind === 'field' && o.table === table && /^[^.[]+$/.test(o.name) && o.name !== 'id',
  );
  const entries: string[] = [];
  for (const field of fields) {
    if (/\s(?:VALUE|COMPUTED)\s/i.test(field.definition)) continue;
    const type = /\sTYPE\s+(.+?)(?:\s+(?:DEFAULT|ASSERT|READONLY|PERMISSIONS|COMMENT|REFERENCE|FLEXIBLE)\b|$)/i.exec(
      field.definition,
    )?.[1];
    const value = valueOf(type ?? 'any', i);
    if (value !== undefined) entries.push(`${quoteIdent(field.name.replace(/^`|`$/g, ''))}: ${value}`);
  }
  return `{ ${entries.join(', ')} }`;
}

/** A made-up value of a field type, as SurrealQL; undefined for a type it does not make up. */
function valueOf(type: string, i: number): string | undefined {
  const alternatives = type
    .replace(/^option<(.*)>$/i, '$1')
    .split('|')
    .map((t) => t.trim())
    .filter((t) => !/^(none|null)$/i.test(t));
  const t = (alternatives[0] ?? 'any').toLowerCase();
  if (t === 'string' || t === 'any') return `'${WORDS[i % WORDS.length]}'`;
  if (t === 'int' || t === 'number') return String(i + 1);
  if (t === 'float') return `${i + 1}.5f`;
  if (t === 'decimal') return `${i + 1}.5dec`;
  if (t === 'bool') return String(i % 2 === 0);
  if (t === 'datetime') return `d'2024-01-0${(i % 9) + 1}T00:00:00Z'`;
  if (t === 'duration') return `${i + 1}h`;
  if (t === 'object' || t.startsWith('object')) return '{}';
  if (t === 'array' || t.startsWith('array') || t.startsWith('set')) return '[]';
  if (t === 'uuid') return `u'0190d8a0-0000-7000-8000-00000000000${i % 10}'`;
  return undefined;
}
