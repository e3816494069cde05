/**
 * A field's kind as the TypeScript type of the value the `surrealdb` SDK (2.x) gives for it, on
 * SurrealDB 2 or 3 (measured on both engines through the SDK, `test/integration/schema-types.spec.ts`):
 *
 * | kind                         | TypeScript                                                     |
 * | ---------------------------- | -------------------------------------------------------------- |
 * | `int`, `float`               | `number` (an int beyond ±2^53 comes back as a `bigint`)        |
 * | `number`                     | `number \| Decimal` (a decimal stays one)                     |
 * | `decimal`                    | `Decimal`                                                      |
 * | `datetime`, `duration`, `uuid` | `DateTime`, `Duration`, `Uuid`                               |
 * | `bytes`                      | `ArrayBuffer`                                                  |
 * | `record<a \| b>`, `record`   | `RecordId<'a' \| 'b'>`, `RecordId`                             |
 * | `table<a>` (SurrealDB 3)     | `Table<'a'>`                                                   |
 * | `geometry<point>`, …         | `GeometryPoint`, …; `geometry`: `Geometry`                     |
 * | `range`                      | `Range<unknown, unknown>`                                      |
 * | `file`                       | `FileRef`                                                      |
 * | `regex`                      | `never`: the SDK reads no regex (the query that returns one fails) |
 * | `array<T>`                   | `T[]`                                                          |
 * | `set<T>`                     | `Set<T>` on SurrealDB 3, `T[]` on SurrealDB 2                  |
 * | `any`, `function`            | `unknown`                                                      |
 * | `none`, `null`               | `undefined` (an optional property), `null`                     |
 * | literals, tuples, `{ a: T }` | the same literals, tuples and object types                     |
 *
 * `object` is the caller's: its shape comes from the fields defined under it.
 */
import type { KindNode } from '../surql/kind-syntax.js';
import { propertyKey, tsString } from './type-names.js';

/** A TypeScript type as text, and whether it is a union at its top (an array of it needs parentheses). */
export interface TsType {
  text: string;
  union: boolean;
}

/** What rendering a kind needs from its caller. */
export interface KindContext {
  major: 2 | 3;
  /** The SDK's names the text uses; each is added as it is used. */
  imports: Set<string>;
  /** The type of an `object` kind (its fields are the caller's), at `indent`. */
  object(indent: string): TsType;
  /** The type of an array's or a set's item kind, at `indent` (an item field may say more). */
  item(kind: KindNode, indent: string): TsType;
}

const GEOMETRIES: Readonly<Record<string, string>> = {
  point: 'GeometryPoint',
  line: 'GeometryLine',
  polygon: 'GeometryPolygon',
  multipoint: 'GeometryMultiPoint',
  multiline: 'GeometryMultiLine',
  multipolygon: 'GeometryMultiPolygon',
  collection: 'GeometryCollection',
};

const plain = (text: string): TsType => ({ text, union: false });

/** Whether the kind accepts NONE: the property may be missing. */
export function acceptsNone(kind: KindNode): boolean {
  if (kind.type === 'option') return true;
  if (kind.type === 'scalar') return kind.name === 'any' || kind.name === 'none';
  return kind.type === 'union' && kind.members.some(acceptsNone);
}

/** The kind without NONE: what a present property holds (`option<T>` and `none | T` give T). */
export function withoutNone(kind: KindNode): KindNode {
  if (kind.type === 'option') return withoutNone(kind.item);
  if (kind.type !== 'union') return kind;
  const members = kind.members.filter((m) => !(m.type === 'scalar' && m.name === 'none')).map(withoutNone);
  if (members.length === 0) return { type: 'scalar', name: 'none' };
  return members.length === 1 ? members[0]! : { type: 'union', members };
}

/** Members joined as a union, each once, in their first order; `unknown` absorbs the rest. */
export function unionOf(types: readonly TsType[]): TsType {
  const texts = [...new Set(types.map((t) => t.text))];
  if (texts.includes('unknown')) return plain('unknown');
  return texts.length === 1 ? types.find((t) => t.text === texts[0])! : { text: texts.join(' | '), union: true };
}

/** The TypeScript type of the values of `kind`, its nested lines indented from `indent`. */
export function kindType(kind: KindNode, context: KindContext, indent: string): TsType {
  const sdk = (name: string, text = name): TsType => {
    context.imports.add(name);
    return plain(text);
  };
  switch (kind.type) {
    case 'scalar':
      return scalarType(kind.name, context, indent, sdk);
    case 'option':
      return unionOf([kindType(kind.item, context, indent), plain('undefined')]);
    case 'union':
      return unionOf(kind.members.map((m) => kindType(m, context, indent)));
    case 'array':
    case 'set': {
      const item = context.item(kind.item, indent);
      const items = item.union ? `(${item.text})[]` : `${item.text}[]`;
      return kind.type === 'set' && context.major === 3 ? plain(`Set<${item.text}>`) : plain(items);
    }
    case 'record':
      context.imports.add('RecordId');
      return plain(kind.tables.length === 0 ? 'RecordId' : `RecordId<${kind.tables.map(tsString).join(' | ')}>`);
    case 'table':
      context.imports.add('Table');
      return plain(kind.tables.length === 0 ? 'Table' : `Table<${kind.tables.map(tsString).join(' | ')}>`);
    case 'geometry':
      if (kind.shapes.length === 0) return sdk('Geometry');
      return unionOf(kind.shapes.map((s) => sdk(GEOMETRIES[s]!)));
    case 'file':
      return sdk('FileRef');
    case 'literal':
      return literalType(kind, sdk);
    case 'object':
      return objectLiteralType(kind.fields, context, indent);
    case 'tuple':
      return plain(`[${kind.items.map((i) => kindType(i, context, indent).text).join(', ')}]`);
  }
}

function scalarType(
  name: Extract<KindNode, { type: 'scalar' }>['name'],
  context: KindContext,
  indent: string,
  sdk: (name: string, text?: string) => TsType,
): TsType {
  switch (name) {
    case 'any':
    case 'function':
      return plain('unknown');
    case 'none':
      return plain('undefined');
    case 'null':
      return plain('null');
    case 'bool':
      return plain('boolean');
    case 'int':
    case 'float':
      return plain('number');
    case 'number':
      context.imports.add('Decimal');
      return { text: 'number | Decimal', union: true };
    case 'string':
      return plain('string');
    case 'decimal':
      return sdk('Decimal');
    case 'datetime':
      return sdk('DateTime');
    case 'duration':
      return sdk('Duration');
    case 'uuid':
      return sdk('Uuid');
    case 'bytes':
      return plain('ArrayBuffer');
    case 'regex':
      return plain('never');
    case 'range':
      return sdk('Range', 'Range<unknown, unknown>');
    case 'object':
      return context.object(indent);
  }
}

function literalType(
  kind: Extract<KindNode, { type: 'literal' }>,
  sdk: (name: string, text?: string) => TsType,
): TsType {
  switch (kind.literal) {
    case 'string':
      return plain(tsString(surqlStringValue(kind.text)));
    case 'bool':
      return plain(kind.text);
    case 'duration':
      return sdk('Duration');
    case 'number': {
      if (kind.text.endsWith('dec')) return sdk('Decimal');
      const text = kind.text.replace(/_/g, '').replace(/f$/, '');
      return plain(String(Number(text)));
    }
  }
}

/** `{ a: int, b: option<string> }` as an object type. */
function objectLiteralType(fields: { key: string; kind: KindNode }[], context: KindContext, indent: string): TsType {
  if (fields.length === 0) return plain('Record<string, never>');
  const inner = `${indent}  `;
  const lines = fields.map(({ key, kind }) => {
    const optional = acceptsNone(kind) ? '?' : '';
    return `${inner}${propertyKey(key)}${optional}: ${kindType(withoutNone(kind), context, inner).text};`;
  });
  return plain(`{\n${lines.join('\n')}\n${indent}}`);
}

/** The value of a string literal as kind-syntax.ts writes one (`surqlString`). */
function surqlStringValue(text: string): string {
  return text
    .slice(1, -1)
    .replace(/\\(u\{([0-9a-f]+)\}|.)/gu, (_, escape: string, hex: string | undefined) =>
      hex === undefined ? escape : String.fromCodePoint(parseInt(hex, 16)),
    );
}
