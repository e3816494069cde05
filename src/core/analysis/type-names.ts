/**
 * Names for the TypeScript module `schemaTypes` writes: a table's type name in PascalCase
 * (`project_member` → `ProjectMember`), made an identifier where the table's name cannot be one,
 * collisions resolved deterministically; property keys and string literals as Prettier prints them.
 */

/** The names the module uses or imports (globals included): no table's type may take one. */
const RESERVED = new Set([
  'Tables',
  'Array',
  'ArrayBuffer',
  'Record',
  'Set',
  'RecordId',
  'DateTime',
  'Duration',
  'Decimal',
  'Uuid',
  'Range',
  'Table',
  'FileRef',
  'Geometry',
  'GeometryPoint',
  'GeometryLine',
  'GeometryPolygon',
  'GeometryMultiPoint',
  'GeometryMultiLine',
  'GeometryMultiPolygon',
  'GeometryCollection',
]);

/** A table's two type names: its records' and what `create` accepts. */
export interface TableTypeNames {
  /** The type of its records (`Account`). */
  name: string;
  /** What `create` accepts (`AccountCreate`). */
  create: string;
  /** The name is not the table's name in PascalCase: another table or a reserved name took that. */
  renamed: boolean;
}

/** Orders strings by code points (as SurrealDB orders names), whatever the locale. */
export function byCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * `name` in PascalCase: split at every character that cannot continue an identifier (and at `_`),
 * each part's first letter upper-cased; prefixed with `T` when it cannot start one; `Table` when
 * nothing is left.
 */
export function pascalCase(name: string): string {
  const parts = name.split(/[^\p{ID_Continue}]|_/u).filter((p) => p !== '');
  const joined = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  if (joined === '') return 'Table';
  return /^\p{ID_Start}/u.test(joined) ? joined : `T${joined}`;
}

/**
 * Every table's type names. A name in PascalCase that is unique (among the tables' names and their
 * `…Create` names) and not reserved is kept; the others, in code-point order of the tables'
 * names, take the first free `<Name>2`, `<Name>3`, …, so that a table's name depends only on the
 * tables that collide with it.
 */
export function tableTypeNames(tables: readonly string[]): Map<string, TableTypeNames> {
  const sorted = [...new Set(tables)].sort(byCodePoints);
  const base = new Map(sorted.map((t) => [t, pascalCase(t)]));
  const counts = new Map<string, number>();
  for (const name of base.values()) {
    for (const n of [name, `${name}Create`]) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  const clean = (name: string) =>
    counts.get(name) === 1 &&
    counts.get(`${name}Create`) === 1 &&
    !RESERVED.has(name) &&
    !RESERVED.has(`${name}Create`);
  const taken = new Set(RESERVED);
  const names = new Map<string, TableTypeNames>();
  for (const [table, name] of base) {
    if (!clean(name)) continue;
    taken.add(name).add(`${name}Create`);
    names.set(table, { name, create: `${name}Create`, renamed: false });
  }
  for (const [table, name] of base) {
    if (names.has(table)) continue;
    let candidate = name;
    for (let n = 2; taken.has(candidate) || taken.has(`${candidate}Create`); n++) candidate = `${name}${n}`;
    taken.add(candidate).add(`${candidate}Create`);
    names.set(table, { name: candidate, create: `${candidate}Create`, renamed: candidate !== name });
  }
  return new Map(sorted.map((t) => [t, names.get(t)!]));
}

/** An identifier TypeScript reads as a property name without quotes. */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/** `key` as a property key: bare where it is an identifier, else a string literal. */
export function propertyKey(key: string): string {
  return IDENTIFIER.test(key) ? key : tsString(key);
}

/**
 * `text` as a TypeScript string literal as Prettier writes it (single quotes unless the text holds
 * more of them than double quotes), control characters and line separators escaped.
 */
export function tsString(text: string): string {
  const singles = text.split("'").length - 1;
  const doubles = text.split('"').length - 1;
  const quote = singles > doubles ? '"' : "'";
  let out = quote;
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '\\' || c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out + quote;
}

/** `text` safe inside a `/** … *\/` comment on one line: no comment end, no line break. */
export function commentText(text: string): string {
  let out = '';
  for (const c of text.replace(/\*\//g, '*\\/')) {
    const code = c.codePointAt(0)!;
    const control = code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029;
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}
