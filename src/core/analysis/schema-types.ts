/**
 * The TypeScript types of a schema's tables (issue 23): one module, written from the schema the
 * shadow reads, for the `surrealdb` SDK's values on the target's SurrealDB version. Per table, a
 * type of its records and one of what `create` accepts; `Tables` maps each table's name to its
 * type. Object types, not interfaces: the SDK's `content()`, `merge()` and `insert()` take
 * `Partial<T> & Record<string, unknown>`, which an interface (without an index signature) is not.
 * Pure text: the same schema gives the same bytes, as Prettier prints them.
 */
import type { DatabaseSchema } from '../shadow/shadow.js';
import { definitionChanges, type FieldDefinition, type TableDefinition } from '../surql/definition-changes.js';
import { parseKind, type KindNode } from '../surql/kind-syntax.js';
import { shapeTokens } from '../surql/surql-shapes.js';
import { acceptsNone, kindType, unionOf, withoutNone, type KindContext, type TsType } from './kind-types.js';
import { byCodePoints, commentText, propertyKey, tableTypeNames, tsString } from './type-names.js';

/** Prettier's line width in this project (`.prettierrc`): a longer union is broken, one member a line. */
const WIDTH = 120;

/** A field and the fields defined under it (`a.b` under `a`, `a.*` under `a` as `*`). */
interface FieldNode {
  definition: FieldDefinition | undefined;
  children: Map<string, FieldNode>;
}

/** One table: its definition, and its fields as a tree. */
interface TableShape {
  name: string;
  definition: TableDefinition | undefined;
  fields: FieldNode;
}

/** What the types are written for. */
interface Mode {
  major: 2 | 3;
  /** `create`: what `create` accepts (a DEFAULT or VALUE makes a field optional, COMPUTED absent). */
  create: boolean;
  imports: Set<string>;
}

/**
 * The TypeScript module of `schema`'s tables, for the SDK's values on SurrealDB `major`: per table,
 * `<Name>` (its records) and `<Name>Create` (what `create` accepts; none for a view), and `Tables`.
 * Deterministic: tables and fields in code-point order, names resolved as `tableTypeNames` says.
 */
export function schemaTypes(schema: DatabaseSchema, major: 2 | 3): string {
  const tables = tableShapes(schema);
  const names = tableTypeNames(tables.map((t) => t.name));
  const imports = new Set<string>();
  const body: string[] = [];
  for (const table of tables) {
    const { name, create } = names.get(table.name)!;
    body.push(tableType(table, name, { major, create: false, imports }));
    if (!table.definition?.view) body.push(tableType(table, create, { major, create: true, imports }));
  }
  const map = tables.map((t) => `  ${propertyKey(t.name)}: ${names.get(t.name)!.name};`);
  body.push(
    ['/** Each table, by its name, and the type of its records. */', 'export type Tables = {', ...map, '};'].join('\n'),
  );
  const renamed = tables.filter((t) => names.get(t.name)!.renamed);
  const header = [
    `// The tables of a SurrealDB ${major} schema as the surrealdb SDK returns their records. Generated; do not edit.`,
    '// int, float: number (an int beyond ±2^53 comes back as a bigint); number: number | Decimal; set: ' +
      (major === 3 ? 'Set.' : 'an array.'),
    ...renamed.map((t) => `// The table ${commentText(t.name)}: ${names.get(t.name)!.name} (its name was taken).`),
  ];
  return [header.join('\n'), importLine(imports), ...body].filter((s) => s !== '').join('\n\n') + '\n';
}

/** The tables of `schema`, each with its fields as a tree, in code-point order of their names. */
function tableShapes(schema: DatabaseSchema): TableShape[] {
  const tables = new Map<string, TableShape>();
  const shape = (name: string) => {
    let table = tables.get(name);
    if (!table) tables.set(name, (table = { name, definition: undefined, fields: node() }));
    return table;
  };
  for (const object of schema) {
    if (object.kind === 'table') {
      const [definition] = definitionChanges(object.definition);
      shape(object.name).definition = definition?.kind === 'table' ? definition : undefined;
    }
  }
  for (const object of schema) {
    if (object.kind !== 'field' || object.table === undefined || !tables.has(object.table)) continue;
    const [definition] = definitionChanges(object.definition);
    if (definition?.kind !== 'field') continue;
    const path = fieldPath(definition.idiom);
    if (!path) continue;
    let at = shape(object.table).fields;
    for (const part of path) {
      if (!at.children.has(part)) at.children.set(part, node());
      at = at.children.get(part)!;
    }
    at.definition = definition;
  }
  return [...tables.values()].sort((a, b) => byCodePoints(a.name, b.name));
}

function node(): FieldNode {
  return { definition: undefined, children: new Map() };
}

/** A field's idiom as its parts (`items[*].sku` and `items.*.sku`: items, *, sku); undefined if unread. */
function fieldPath(idiom: string): string[] | undefined {
  const parts: string[] = [];
  for (const token of shapeTokens(idiom)) {
    const text = idiom.slice(token.start, token.end);
    if (token.kind === 'word' || token.kind === 'ident') parts.push(token.text);
    else if (text === '*') parts.push('*');
    else if (text !== '.' && text !== '[' && text !== ']') return undefined;
  }
  return parts.length > 0 ? parts : undefined;
}

/** A table's type (its records, or what `create` accepts). */
function tableType(table: TableShape, name: string, mode: Mode): string {
  const open = table.definition?.schemafull !== true;
  const idField = table.fields.children.get('id')?.definition;
  const lines = [
    ...idLine(table.name, idField, mode),
    ...members(table.fields, mode, open, '  ', new Set(['id'])),
    ...(open ? ['  [field: string]: unknown;'] : []),
  ];
  const what = table.definition?.view ? 'a view' : table.definition?.relation ? 'a relation' : undefined;
  const kind = [table.definition?.schemafull ? 'SCHEMAFULL' : 'SCHEMALESS', what].filter(Boolean).join(', ');
  const absent = mode.create ? absentFields(table.fields, '') : [];
  const doc = mode.create
    ? [
        `/**`,
        ` * What \`create\` accepts for the table ${commentText(tsString(table.name))}: \`id\` may be left out, and so may`,
        ` * a field with a DEFAULT or a VALUE (the engine sets it).` +
          (absent.length ? ` Absent: ${absent.map(commentText).join(', ')} (COMPUTED).` : ''),
        ` */`,
      ]
    : [`/** The records of the table ${commentText(tsString(table.name))} (${kind}). */`];
  return [...doc, `export type ${name} = {`, ...lines, '};'].join('\n');
}

/** The `id` property: a record of this table (its key typed where the field `id` says). */
function idLine(table: string, definition: FieldDefinition | undefined, mode: Mode): string[] {
  mode.imports.add('RecordId');
  const kind = definition?.type === undefined ? undefined : parseKind(definition.type);
  const key =
    kind?.type === 'scalar'
      ? { int: 'number', string: 'string', uuid: 'Uuid' }[kind.name as 'int' | 'string' | 'uuid']
      : undefined;
  if (key === 'Uuid') mode.imports.add('Uuid');
  const type = key ? `RecordId<${tsString(table)}, ${key}>` : `RecordId<${tsString(table)}>`;
  return [`  id${mode.create ? '?' : ''}: ${type};`];
}

/** The fields under `parent` as property lines at `indent` (but `skip`'s). */
function members(parent: FieldNode, mode: Mode, open: boolean, indent: string, skip = new Set<string>()): string[] {
  const keys = [...parent.children.keys()].filter((k) => k !== '*' && !skip.has(k)).sort(byCodePoints);
  return keys.flatMap((key) => property(key, parent.children.get(key)!, mode, open, indent));
}

/** One field's property, with its JSDoc where it has something to say. */
function property(key: string, field: FieldNode, mode: Mode, open: boolean, indent: string): string[] {
  const definition = field.definition;
  if (mode.create && definition?.computedOnRead) return [];
  const { kind, unread } = kindOf(field);
  const notes: string[] = [];
  if (unread !== undefined) notes.push(`TYPE ${unread}: a kind this version does not read`);
  if (definition?.readonly) notes.push('READONLY: set when the record is created, never changed');
  let optional = acceptsNone(kind);
  if (mode.create && definition && !optional) {
    const set = definition.computed
      ? 'VALUE'
      : definition.defaultAlways !== undefined
        ? 'DEFAULT ALWAYS'
        : definition.default
          ? 'DEFAULT'
          : undefined;
    if (set) notes.push(`may be left out: its ${set} sets it`);
    optional = set !== undefined;
  }
  if (containsRegex(kind)) notes.push('regex: the SDK reads no regex value (a query that returns one fails)');
  const type = fieldType(withoutNone(kind), field, mode, open, indent);
  const head = `${indent}${!mode.create && definition?.readonly ? 'readonly ' : ''}${propertyKey(key)}${optional ? '?' : ''}:`;
  const note = notes.join('; ');
  const doc = note ? [`${indent}/** ${commentText(note[0]!.toUpperCase() + note.slice(1))}. */`] : [];
  const line = `${head} ${type.text};`;
  if (!type.union || line.includes('\n') || line.length <= WIDTH) return [...doc, line];
  // Prettier breaks a union too long for its line: one member a line, each after a `|`.
  const members = type.text.split(' | ');
  return [...doc, head, ...members.map((m, i) => `${indent}  | ${m}${i === members.length - 1 ? ';' : ''}`)];
}

/** A field's kind: `any` without TYPE; an object where a field under it is defined but it is not. */
function kindOf(field: FieldNode): { kind: KindNode; unread?: string } {
  const definition = field.definition;
  if (!definition) return { kind: { type: 'scalar', name: 'object' } };
  if (definition.type === undefined) return { kind: { type: 'scalar', name: 'any' } };
  const kind = parseKind(definition.type);
  return kind ? { kind } : { kind: { type: 'scalar', name: 'any' }, unread: definition.type };
}

function containsRegex(kind: KindNode): boolean {
  switch (kind.type) {
    case 'scalar':
      return kind.name === 'regex';
    case 'option':
    case 'array':
    case 'set':
      return containsRegex(kind.item);
    case 'union':
      return kind.members.some(containsRegex);
    case 'tuple':
      return kind.items.some(containsRegex);
    case 'object':
      return kind.fields.some((f) => containsRegex(f.kind));
    default:
      return false;
  }
}

/** The type of a field's values: its kind, with `object` shaped by the fields under it. */
function fieldType(kind: KindNode, field: FieldNode, mode: Mode, open: boolean, indent: string): TsType {
  const flexible = open || field.definition?.flexible === true;
  const context: KindContext = {
    major: mode.major,
    imports: mode.imports,
    object: (at) => objectType(field, mode, flexible, at),
    item: (item, at) => {
      const star = field.children.get('*');
      if (!star) return kindType(item, { ...context, object: () => emptyObject(flexible) }, at);
      const starKind = star.definition ? kindOf(star).kind : item;
      const type = fieldType(withoutNone(starKind), star, mode, flexible, at);
      return acceptsNone(starKind) ? unionOf([type, { text: 'undefined', union: false }]) : type;
    },
  };
  return kindType(kind, context, indent);
}

/** An `object` field: the fields under it, and any other key where the object is open. */
function objectType(field: FieldNode, mode: Mode, open: boolean, indent: string): TsType {
  const inner = `${indent}  `;
  const lines = members(field, mode, open, inner);
  if (lines.length === 0) return emptyObject(open);
  if (open) lines.push(`${inner}[key: string]: unknown;`);
  return { text: `{\n${lines.join('\n')}\n${indent}}`, union: false };
}

/** An object without fields: any keys where it is open, else none (a SCHEMAFULL table keeps none). */
function emptyObject(open: boolean): TsType {
  return { text: open ? 'Record<string, unknown>' : 'Record<string, never>', union: false };
}

/** The COMPUTED fields under `parent` (dotted paths): absent from what `create` accepts. */
function absentFields(parent: FieldNode, prefix: string): string[] {
  return [...parent.children.entries()]
    .sort(([a], [b]) => byCodePoints(a, b))
    .flatMap(([key, child]) => {
      const path = prefix + key;
      return child.definition?.computedOnRead ? [`\`${path}\``] : absentFields(child, `${path}.`);
    });
}

/** `import type { … } from 'surrealdb';` of the names used, as Prettier prints it. */
function importLine(imports: ReadonlySet<string>): string {
  const names = [...imports].sort(byCodePoints);
  if (names.length === 0) return '';
  const line = `import type { ${names.join(', ')} } from 'surrealdb';`;
  return line.length <= WIDTH ? line : `import type {\n${names.map((n) => `  ${n},`).join('\n')}\n} from 'surrealdb';`;
}
