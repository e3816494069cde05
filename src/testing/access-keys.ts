import type { MigrationFile } from '../core/files/migration-files.js';
import { SurqlLexer, identifierText, type SurqlToken } from '../core/surql/surql-lexer.js';
import { surqlStatements } from '../core/surql/surql-splitter.js';

/** Where an access method is defined. */
type Level = 'ROOT' | 'NAMESPACE' | 'DATABASE';

const LEVELS: Record<string, Level> = {
  ROOT: 'ROOT',
  NS: 'NAMESPACE',
  NAMESPACE: 'NAMESPACE',
  DB: 'DATABASE',
  DATABASE: 'DATABASE',
};

/** `DEFINE ACCESS …` or `REMOVE ACCESS …` read far enough to know what it names. */
interface AccessStatement {
  verb: 'DEFINE' | 'REMOVE';
  name: string;
  level: Level;
  /** DEFINE only: `DEFINE ACCESS OVERWRITE <the rest>`. */
  overwrite?: string;
  /** DEFINE only: it gives a key of its own (`KEY …`). */
  explicitKey: boolean;
}

/**
 * SurrealDB prints a symmetric JWT key as `'[REDACTED]'` in `INFO` and in `export()`, so a clone
 * of the template would get `[REDACTED]` as its key. For each access method of the template whose
 * key is redacted, the last top-level `DEFINE ACCESS` of it in the up scripts, as
 * `DEFINE ACCESS OVERWRITE …`, when that statement gives the key itself. (A key SurrealDB
 * generated is random in every replay: a clone's `[REDACTED]` is as good.)
 * @internal
 */
export function accessKeyRepairs(up: readonly MigrationFile[], redacted: ReadonlySet<string>): string[] {
  if (redacted.size === 0) return [];
  const last = new Map<string, AccessStatement>();
  for (const file of up) {
    for (const statement of surqlStatements(file.text)) {
      if (statement.keyword !== 'DEFINE' && statement.keyword !== 'REMOVE') continue;
      const access = readAccessStatement(statement.text);
      if (access) last.set(accessId(access.level, access.name), access);
    }
  }
  const repairs: string[] = [];
  for (const id of redacted) {
    const access = last.get(id);
    if (access?.verb === 'DEFINE' && access.explicitKey && access.overwrite) repairs.push(access.overwrite);
  }
  return repairs;
}

/** `DATABASE:name` */
export function accessId(level: Level, name: string): string {
  return `${level}:${name}`;
}

/**
 * The access methods whose key `INFO FOR ROOT / NS / DB` shows redacted, as {@link accessId}s.
 * @internal
 */
export function redactedAccesses(info: Partial<Record<Level, Record<string, unknown> | undefined>>): Set<string> {
  const ids = new Set<string>();
  for (const [level, accesses] of Object.entries(info) as [Level, Record<string, unknown> | undefined][]) {
    for (const [name, definition] of Object.entries(accesses ?? {})) {
      if (typeof definition === 'string' && definition.includes("KEY '[REDACTED]'")) ids.add(accessId(level, name));
    }
  }
  return ids;
}

function readAccessStatement(text: string): AccessStatement | undefined {
  const lexer = new SurqlLexer(text);
  const word = (token: SurqlToken | undefined) =>
    token?.kind === 'word' ? text.slice(token.start, token.end).toUpperCase() : undefined;
  const verb = word(lexer.next(false));
  if ((verb !== 'DEFINE' && verb !== 'REMOVE') || word(lexer.next(false)) !== 'ACCESS') return undefined;
  let nameToken = lexer.next(false);
  const first = word(nameToken);
  if (first === 'OVERWRITE') nameToken = lexer.next(false);
  else if (first === 'IF') {
    if (verb === 'DEFINE' && word(lexer.next(false)) !== 'NOT') return undefined;
    if (word(lexer.next(false)) !== 'EXISTS') return undefined;
    nameToken = lexer.next(false);
  }
  if (!nameToken || (nameToken.kind !== 'word' && nameToken.kind !== 'ident')) return undefined;
  if (word(lexer.next(false)) !== 'ON') return undefined;
  const level = LEVELS[word(lexer.next(false)) ?? ''];
  if (!level) return undefined;
  const name = identifierText(text, nameToken);
  if (verb === 'REMOVE') return { verb, name, level, explicitKey: false };
  let explicitKey = false;
  for (let token = lexer.next(false); token; token = lexer.next(false)) {
    if (word(token) === 'KEY') explicitKey = true;
  }
  return { verb, name, level, explicitKey, overwrite: `DEFINE ACCESS OVERWRITE ${text.slice(nameToken.start)}` };
}
