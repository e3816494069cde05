/**
 * Definitions whose stored text is computed when they are defined. SurrealDB evaluates some
 * clauses of a DEFINE once, and stores the value: `DEFINE PARAM $p VALUE time::now()` stores the
 * time it ran (SurrealDB 2 and 3), and SurrealDB 3 also evaluates a `COMMENT`, a sequence's
 * `BATCH`, `START` and `TIMEOUT`, and the `DURATION`s of an access or a user. A field's `DEFAULT`
 * or `VALUE`, an event, a view, a function and a permission are stored as written, unevaluated.
 *
 * Such a clause, written as anything but a literal (a function call, a parameter, a subquery, a
 * record read, an operator, a cast), has a value in the live database that no shadow can
 * reproduce: drift compares the rest of the definition (its existence, permissions and any
 * literal clause) and reports the object once as computed, never as drift. A literal is compared
 * as any other text: a hand edit of `DEFINE PARAM $p VALUE 5` is drift.
 */
import { identifierText, SurqlLexer, type SurqlToken } from '../surql/surql-lexer.js';
import {
  compareSchemas,
  schemaKey,
  type DatabaseSchema,
  type SchemaChange,
  type SchemaKind,
} from '../shadow/shadow.js';

/** A clause the engine evaluates when the definition runs. */
export type ComputedClause = 'VALUE' | 'COMMENT' | 'BATCH' | 'START' | 'TIMEOUT' | 'DURATION';

/** An object whose computed clauses were not compared. */
export interface ComputedDefinition {
  kind: SchemaKind;
  table: string | undefined;
  name: string;
  /** The clauses not compared, in lower case: `value`, `comment`, `start`, `durations`, … */
  clauses: string[];
}

interface Token extends SurqlToken {
  text: string;
  upper: string;
  depth: number;
}

/** `DEFINE <KIND>` → the schema kind it defines (in `INFO FOR DB` / `INFO FOR TABLE`). */
const KINDS: Record<string, SchemaKind> = {
  ANALYZER: 'analyzer',
  FUNCTION: 'function',
  PARAM: 'param',
  ACCESS: 'access',
  USER: 'user',
  SEQUENCE: 'sequence',
  TABLE: 'table',
  FIELD: 'field',
  INDEX: 'index',
  EVENT: 'event',
  BUCKET: 'bucket',
  API: 'api',
  MODULE: 'module',
};

/** The clauses evaluated at definition, by kind (besides COMMENT, for every kind). */
const EVALUATED: Partial<Record<SchemaKind, readonly ComputedClause[]>> = {
  param: ['VALUE'],
  sequence: ['BATCH', 'START', 'TIMEOUT'],
  access: ['DURATION'],
  user: ['DURATION'],
};

/** Words that continue an expression: after a literal, they make it an expression. */
const OPERATOR_WORDS = new Set(
  'AND OR IS NOT IN CONTAINS CONTAINSNOT CONTAINSALL CONTAINSANY CONTAINSNONE INSIDE NOTINSIDE ALLINSIDE ANYINSIDE NONEINSIDE OUTSIDE INTERSECTS MATCHES'.split(
    ' ',
  ),
);

const LITERAL_WORDS = new Set(['TRUE', 'FALSE', 'NONE', 'NULL']);

/** Words that may follow DURATION in a definition: `DURATION FOR TOKEN 1h, FOR SESSION NONE`. */
const DURATION_WORDS = new Set(['FOR', 'TOKEN', 'SESSION', 'GRANT', 'NONE']);

function tokens(source: string): Token[] {
  const lexer = new SurqlLexer(source);
  const result: Token[] = [];
  let depth = 0;
  let token = lexer.next(true);
  while (token) {
    const { kind, start, end } = token;
    const text = source.slice(start, end);
    if (kind === 'close') depth = Math.max(0, depth - 1);
    const upper = kind === 'word' || kind === 'ident' ? text.toUpperCase() : text;
    result.push({ kind, start, end, text, upper, depth });
    if (kind === 'open') depth++;
    // A `/` is a regex where a value is expected, not after one.
    const afterValue =
      kind === 'word' || kind === 'number' || kind === 'string' || kind === 'ident' || kind === 'close';
    token = lexer.next(!afterValue);
  }
  return result;
}

/** A name as `INFO FOR …` keys and the migrations write it compare: unescaped, `[*]` as `.*`. */
function sameName(name: string): string {
  return name.replace(/[`⟨⟩]/g, '').replace(/\[\*\]/g, '.*');
}

function key(kind: SchemaKind, table: string | undefined, name: string): string {
  return `${kind}\u0000${table === undefined ? '' : sameName(table)}\u0000${sameName(name)}`;
}

/**
 * What the applied migrations (in order) define with a computed clause, by object; the last
 * DEFINE of an object decides (an `IF NOT EXISTS` one only when none came before; a REMOVE
 * forgets it). A DEFINE whose name cannot be read marks its kind (`*` for the name).
 */
export function computedClauses(scripts: readonly string[]): Map<string, Set<ComputedClause>> {
  const byObject = new Map<string, Set<ComputedClause>>();
  for (const script of scripts) {
    const all = tokens(script);
    for (let i = 0; i < all.length; i++) {
      const word = all[i]!.upper;
      if ((word !== 'DEFINE' && word !== 'REMOVE') || !startsStatement(all, i)) continue;
      const end = statementEnd(all, i);
      const statement = all.slice(i, end);
      const object = definedObject(statement);
      if (!object) continue;
      const id = key(object.kind, object.table, object.name);
      if (word === 'REMOVE') byObject.delete(id);
      else if (!object.ifNotExists || !byObject.has(id)) byObject.set(id, computedIn(statement, object));
    }
  }
  return byObject;
}

function startsStatement(all: readonly Token[], i: number): boolean {
  const before = all[i - 1];
  if (!before) return true;
  if (before.kind === 'semi') return true;
  if (before.kind === 'open') return before.text === '{' || before.text === '(';
  return before.upper === 'THEN' || before.upper === 'ELSE';
}

/** Index past the statement that starts at `i`: its `;`, or the bracket that closes around it. */
function statementEnd(all: readonly Token[], i: number): number {
  const depth = all[i]!.depth;
  for (let j = i + 1; j < all.length; j++) {
    const t = all[j]!;
    if (t.depth < depth || (t.depth === depth && t.kind === 'semi')) return j;
  }
  return all.length;
}

interface DefinedObject {
  kind: SchemaKind;
  table: string | undefined;
  name: string;
  ifNotExists: boolean;
  /** Index of the first token after the name (and its ON clause). */
  rest: number;
}

function definedObject(statement: readonly Token[]): DefinedObject | undefined {
  const kind = KINDS[statement[1]?.upper ?? ''];
  if (!kind) return undefined;
  let i = 2;
  let ifNotExists = false;
  if (statement[i]?.upper === 'OVERWRITE') i++;
  else if (statement[i]?.upper === 'IF' && statement[i + 2]?.upper === 'EXISTS') {
    ifNotExists = true;
    i += 3;
  }
  if (statement[i]?.upper === 'IF' && statement[i + 1]?.upper === 'EXISTS') i += 2; // REMOVE … IF EXISTS
  const depth = statement[0]!.depth;
  let name = '';
  if (kind === 'param' && statement[i]?.text === '$') {
    name = unescape(statement[i + 1]);
    i += 2;
  } else if (kind === 'function') {
    // fn::a::b
    const parts: string[] = [];
    while (statement[i] && (statement[i]!.kind === 'word' || statement[i]!.kind === 'ident')) {
      parts.push(unescape(statement[i]));
      if (statement[i + 1]?.text !== '::') break;
      i += 2;
    }
    i++;
    name = parts.slice(parts[0]?.toLowerCase() === 'fn' ? 1 : 0).join('::');
  } else if (kind === 'field') {
    // An idiom, up to ON.
    const start = i;
    while (statement[i] && !(statement[i]!.depth === depth && statement[i]!.upper === 'ON')) i++;
    name = statement
      .slice(start, i)
      .map((t) => (t.kind === 'ident' ? unescape(t) : t.text))
      .join('');
  } else if (statement[i]) {
    const t = statement[i]!;
    name = t.kind === 'string' ? t.text.slice(1, -1) : unescape(t);
    i++;
  }
  let table: string | undefined;
  if (statement[i]?.upper === 'ON') {
    i++;
    if (kind === 'field' || kind === 'index' || kind === 'event') {
      if (statement[i]?.upper === 'TABLE') i++;
      table = unescape(statement[i]);
      i++;
    } else if (statement[i]?.upper !== 'DATABASE' && statement[i]?.upper !== 'DB') {
      // A namespace's or the root's user or access: not part of a database's schema.
      return undefined;
    } else {
      i++;
    }
  }
  return { kind, table, name: name || '*', ifNotExists, rest: i };
}

function unescape(token: Token | undefined): string {
  if (!token) return '';
  return token.kind === 'ident'
    ? identifierText(token.text, { ...token, start: 0, end: token.text.length })
    : token.text;
}

/** The clauses of a DEFINE that the engine evaluates, written as something else than a literal. */
function computedIn(statement: readonly Token[], object: DefinedObject): Set<ComputedClause> {
  const computed = new Set<ComputedClause>();
  const evaluated = new Set<string>([...(EVALUATED[object.kind] ?? []), 'COMMENT']);
  const depth = statement[0]!.depth;
  for (let i = object.rest; i < statement.length; i++) {
    const t = statement[i]!;
    if (t.depth !== depth || t.kind !== 'word' || !evaluated.has(t.upper)) continue;
    if (statement[i - 1]?.text === '.' || statement[i + 1]?.text === ':') continue;
    const clause = t.upper as ComputedClause;
    if (clause === 'VALUE') {
      // Up to the next clause of a param.
      let j = i + 1;
      while (j < statement.length && !isClauseWord(statement[j]!, depth, ['COMMENT', 'PERMISSIONS'])) j++;
      if (!isLiteral(statement.slice(i + 1, j))) computed.add(clause);
      i = j - 1;
    } else if (clause === 'DURATION') {
      // FOR TOKEN <value>, FOR SESSION <value>, …
      let j = i + 1;
      while (statement[j]?.upper === 'FOR') {
        if (!isSingleLiteral(statement, j + 2, depth, true)) computed.add(clause);
        // Past the value: to the `,` before the next FOR, or to the next clause.
        j += 3;
        while (j < statement.length && !(statement[j]!.depth === depth && statement[j]!.text === ',')) {
          if (isClauseWord(statement[j]!, depth, [])) break;
          j++;
        }
        if (statement[j]?.text === ',') j++;
      }
      i = j - 1;
    } else if (!isSingleLiteral(statement, i + 1, depth, false)) {
      computed.add(clause);
    }
  }
  return computed;
}

/** A word at the statement's level that starts a clause (any word but an operator, or one of `only`). */
function isClauseWord(t: Token, depth: number, only: readonly string[]): boolean {
  if (t.depth !== depth || t.kind !== 'word') return false;
  return only.length > 0 ? only.includes(t.upper) : !OPERATOR_WORDS.has(t.upper) && !LITERAL_WORDS.has(t.upper);
}

/** One literal token at `i` (a string, a number or duration, NONE…), then the next clause or the end. */
function isSingleLiteral(statement: readonly Token[], i: number, depth: number, inList: boolean): boolean {
  let at = i;
  if (statement[at]?.text === '-' && statement[at + 1]?.kind === 'number') at++;
  const value = statement[at];
  if (!value) return false;
  const literal =
    value.kind === 'string' || value.kind === 'number' || (value.kind === 'word' && LITERAL_WORDS.has(value.upper));
  if (!literal) return false;
  const next = statement[at + 1];
  if (!next) return true;
  if (inList && next.depth === depth && next.text === ',') return true;
  return next.kind === 'word' && next.depth === depth && !OPERATOR_WORDS.has(next.upper);
}

/**
 * Whether an expression is a literal the engine stores as written: strings, numbers, durations,
 * `d'…'`/`u'…'`/`r'…'` strings, booleans, NONE, NULL, record ids (`user:1`), and arrays and
 * objects of them. Anything else (a call, a parameter, an operator, a cast, a subquery, a record
 * read, a range) is computed: when in doubt, not compared rather than a false alarm.
 */
function isLiteral(expression: readonly Token[]): boolean {
  if (expression.length === 0) return false;
  const containers: string[] = [];
  for (let i = 0; i < expression.length; i++) {
    const t = expression[i]!;
    const before = expression[i - 1];
    const after = expression[i + 1];
    switch (t.kind) {
      case 'string':
      case 'number':
        break;
      case 'open':
        if (t.text === '(') return false;
        containers.push(t.text);
        break;
      case 'close':
        containers.pop();
        break;
      case 'word':
      case 'ident': {
        if (t.kind === 'word' && LITERAL_WORDS.has(t.upper)) break;
        // An object's key, or a record id's table.
        if (after?.text === ':') break;
        // A record id's key, outside an object's values.
        if (before?.text === ':' && containers.at(-1) !== '{') break;
        return false;
      }
      case 'punct':
        if (t.text === ',' || t.text === ':') break;
        if (t.text === '-' && after?.kind === 'number' && (!before || /^[,:[{]$/.test(before.text))) break;
        return false;
      default:
        return false;
    }
  }
  return true;
}

/**
 * A definition with its computed clauses' values replaced by `…` (the engine's text, so each
 * clause is where the engine writes it).
 */
export function withoutComputed(definition: string, clauses: ReadonlySet<ComputedClause>): string {
  if (clauses.size === 0) return definition;
  const all = tokens(definition);
  const spans: [number, number][] = [];
  for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    if (t.depth !== 0 || t.kind !== 'word' || !clauses.has(t.upper as ComputedClause)) continue;
    if (all[i - 1]?.text === '.' || all[i + 1]?.text === ':') continue;
    let j = i + 1;
    if (t.upper === 'VALUE') {
      while (j < all.length && !isClauseWord(all[j]!, 0, ['COMMENT', 'PERMISSIONS'])) j++;
    } else if (t.upper === 'DURATION') {
      while (
        j < all.length &&
        (all[j]!.depth > 0 ||
          all[j]!.kind !== 'word' ||
          DURATION_WORDS.has(all[j]!.upper) ||
          OPERATOR_WORDS.has(all[j]!.upper))
      )
        j++;
    } else {
      if (all[j]?.text === '-') j++;
      j++;
    }
    if (j > i + 1) spans.push([all[i + 1]!.start, all[j - 1]!.end]);
    i = j - 1;
  }
  let text = definition;
  for (const [start, end] of spans.reverse()) text = `${text.slice(0, start)}…${text.slice(end)}`;
  return text;
}

/** The drift between the schema the migrations produce and the live one, computed clauses aside. */
export function compareDefinitions(
  expected: DatabaseSchema,
  live: DatabaseSchema,
  scripts: readonly string[],
): { changes: SchemaChange[]; computed: ComputedDefinition[] } {
  const byObject = computedClauses(scripts);
  const clausesOf = (o: DatabaseSchema[number]): Set<ComputedClause> => {
    const found = byObject.get(key(o.kind, o.table, o.name)) ?? byObject.get(key(o.kind, o.table, '*'));
    // A param defined where no DEFINE of the migrations says how (a function, a generated
    // statement): its value is computed, as every param's is.
    if (!found && o.kind === 'param') return new Set(['VALUE']);
    return found ?? new Set();
  };
  const clauses = new Map(expected.map((o) => [schemaKey(o), clausesOf(o)]));
  const masked = (schema: DatabaseSchema) =>
    schema.map((o) => ({ ...o, definition: withoutComputed(o.definition, clauses.get(schemaKey(o)) ?? new Set()) }));
  const was = new Map(expected.map((o) => [schemaKey(o), o.definition]));
  const is = new Map(live.map((o) => [schemaKey(o), o.definition]));
  const changes = compareSchemas(masked(expected), masked(live)).map((c) => ({
    ...c,
    before: was.get(schemaKey(c)),
    after: is.get(schemaKey(c)),
  }));
  const computed = expected
    .filter((o) => is.has(schemaKey(o)) && (clauses.get(schemaKey(o))?.size ?? 0) > 0)
    .map((o) => ({
      kind: o.kind,
      table: o.table,
      name: o.name,
      clauses: [...clauses.get(schemaKey(o))!].map((c) => (c === 'DURATION' ? 'durations' : c.toLowerCase())),
    }));
  return { changes, computed };
}

/** `param $p: computed at definition: value not compared`. */
export function describeComputed(o: ComputedDefinition): string {
  const name = o.kind === 'function' ? `fn::${o.name}` : o.kind === 'param' ? `$${o.name}` : o.name;
  const clauses =
    o.clauses.length === 1 ? o.clauses[0] : `${o.clauses.slice(0, -1).join(', ')} and ${o.clauses.at(-1)}`;
  return `${o.kind} ${name}${o.table ? ` on ${o.table}` : ''}: computed at definition: ${clauses} not compared`;
}
