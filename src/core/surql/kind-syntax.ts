/**
 * A field's kind, the text after `TYPE` as `INFO FOR TABLE` writes it, read into a tree with the
 * SurrealQL lexer: `int`, `option<array<record<user | team>, 3>>`, `'a' | 'b'`, `{ a: int }`,
 * `[int, string]`. Both engines' spellings are read: SurrealDB 2 writes `option<int>`, SurrealDB 3
 * writes the same kind as `none | int`. Pure text: what the kind means is kind-predicate.ts's job.
 */
import { SurqlLexer, identifierText, type SurqlToken } from './surql-lexer.js';

/** Kinds without parameters. */
const SCALAR_NAMES = ['any', 'none', 'null', 'bool', 'int', 'float', 'decimal', 'number', 'string'] as const;
const MORE_SCALAR_NAMES = ['datetime', 'duration', 'uuid', 'bytes', 'object', 'regex', 'range', 'function'] as const;
export type ScalarKindName = (typeof SCALAR_NAMES)[number] | (typeof MORE_SCALAR_NAMES)[number];
const SCALARS: ReadonlySet<string> = new Set<string>([...SCALAR_NAMES, ...MORE_SCALAR_NAMES]);

/** The shapes `geometry<…>` names; `feature` is any (SurrealDB 2 only). */
const SHAPES = ['feature', 'point', 'line', 'polygon', 'multipoint', 'multiline', 'multipolygon', 'collection'];

/** A kind read into a tree. Names and object keys are unescaped; string literals are rewritten as `'…'`. */
export type KindNode =
  | { type: 'scalar'; name: ScalarKindName }
  /** `array`, `array<T>`, `array<T, n>`, and the same for `set`. */
  | { type: 'array' | 'set'; item: KindNode; size?: number }
  /** `record<a | b>`, `table<a | b>` (SurrealDB 3); no tables: any. */
  | { type: 'record' | 'table'; tables: string[] }
  /** `geometry<point | polygon>`; no shapes: any geometry. SurrealDB 2's `point` is `geometry<point>`. */
  | { type: 'geometry'; shapes: string[] }
  /** `file`, `file<bucket>` (SurrealDB 3's experimental files). */
  | { type: 'file' }
  /** `option<T>`: SurrealDB 2's spelling of `none | T`. */
  | { type: 'option'; item: KindNode }
  | { type: 'union'; members: KindNode[] }
  /**
   * A literal, `text` as SurrealQL writes it: a string (always single-quoted), a number or a duration
   * (with its sign, as written), `true` or `false`.
   */
  | { type: 'literal'; literal: 'string' | 'number' | 'duration' | 'bool'; text: string }
  /** An object literal `{ a: int, 'b c': string }`, its fields in the engine's order (by key). */
  | { type: 'object'; fields: { key: string; kind: KindNode }[] }
  /** An array literal `[int, string]`. */
  | { type: 'tuple'; items: KindNode[] };

/** Deeper kinds than this are not read (no engine writes them; it bounds the recursion). */
const MAX_DEPTH = 64;

/** A number literal as the engines write one (`1`, `1.5f`, `1000dec`, `1_000`), read one token at a time. */
const NUMBER = /^[0-9][0-9_]*(\.[0-9]+)?(f|dec)?$/;
/** A duration literal (`1s`, `1d2h`, `500ms`). */
const DURATION = /^([0-9]+(ns|us|µs|ms|s|m|h|d|w|y))+$/;

/** `text` as a single-quoted SurrealQL string literal (both engines read these escapes). */
export function surqlString(text: string): string {
  let out = "'";
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '\\' || c === "'") out += `\\${c}`;
    else if (code < 0x20) out += `\\u{${code.toString(16)}}`;
    else out += c;
  }
  return `${out}'`;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** The value of a quoted string token, with the escapes both engines read; undefined for any other. */
function stringValue(token: string): string | undefined {
  if (token.length < 2 || token[token.length - 1] !== token[0]) return undefined;
  let out = '';
  const body = token.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e !== 'u') {
      if (!(e in ESCAPES)) return undefined;
      out += ESCAPES[e];
      continue;
    }
    const hex = /^\{([0-9a-fA-F]{1,6})\}|^([0-9a-fA-F]{4})/.exec(body.slice(i + 1));
    const code = hex ? parseInt(hex[1] ?? hex[2]!, 16) : NaN;
    if (!hex || code > 0x10ffff) return undefined;
    out += String.fromCodePoint(code);
    i += hex[0].length;
  }
  return out;
}

/** Keys in the order of SurrealDB's maps (by UTF-8 bytes, which is by code points). */
function byCodePoints(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Thrown inside the parser only; parseKind turns it into undefined. */
class Unreadable extends Error {}

class KindParser {
  readonly #src: string;
  readonly #lexer: SurqlLexer;
  #next: SurqlToken | undefined;

  constructor(src: string) {
    this.#src = src;
    this.#lexer = new SurqlLexer(src);
    this.#next = this.#lexer.next(false);
  }

  get atEnd(): boolean {
    return this.#next === undefined;
  }

  /** A kind, unions included. */
  kind(depth: number): KindNode {
    if (depth > MAX_DEPTH) throw new Unreadable();
    const members = [this.#single(depth)];
    while (this.#peekPunct('|')) {
      this.#take();
      members.push(this.#single(depth));
    }
    return members.length === 1 ? members[0]! : { type: 'union', members };
  }

  #single(depth: number): KindNode {
    const token = this.#take();
    const text = this.#text(token);
    switch (token.kind) {
      case 'string':
        return { type: 'literal', literal: 'string', text: surqlString(this.#string(token)) };
      case 'number':
        return this.#numeric('', text);
      case 'punct':
        if (text !== '-' && text !== '+') throw new Unreadable();
        return this.#numeric(text === '-' ? '-' : '', this.#text(this.#expect('number')));
      case 'open':
        if (text === '{') return this.#objectLiteral(depth);
        if (text === '[') return { type: 'tuple', items: this.#list(']', depth) };
        throw new Unreadable();
      case 'word':
        return this.#named(text.toLowerCase(), depth);
      default:
        throw new Unreadable();
    }
  }

  #numeric(sign: string, text: string): KindNode {
    if (NUMBER.test(text)) return { type: 'literal', literal: 'number', text: sign + text };
    if (DURATION.test(text) && sign === '') return { type: 'literal', literal: 'duration', text };
    throw new Unreadable();
  }

  #named(word: string, depth: number): KindNode {
    if (SCALARS.has(word)) return { type: 'scalar', name: word as ScalarKindName };
    switch (word) {
      case 'true':
      case 'false':
        return { type: 'literal', literal: 'bool', text: word };
      case 'point':
        return { type: 'geometry', shapes: ['point'] };
      case 'option': {
        this.#expectPunct('<');
        const item = this.kind(depth + 1);
        this.#expectPunct('>');
        return { type: 'option', item };
      }
      case 'array':
      case 'set':
        return this.#collection(word, depth);
      case 'record':
      case 'table':
        return { type: word, tables: this.#names((t) => identifierText(this.#src, t)) };
      case 'geometry': {
        const shapes = this.#names((t) => this.#text(t).toLowerCase());
        if (shapes.some((s) => !SHAPES.includes(s))) throw new Unreadable();
        return { type: 'geometry', shapes: shapes.includes('feature') ? [] : shapes };
      }
      case 'file':
        this.#names((t) => this.#text(t));
        return { type: 'file' };
      default:
        throw new Unreadable();
    }
  }

  /** `array`, `array<T>`, `array<T, n>` (and `set`). */
  #collection(word: 'array' | 'set', depth: number): KindNode {
    if (!this.#peekPunct('<')) return { type: word, item: { type: 'scalar', name: 'any' } };
    this.#take();
    const item = this.kind(depth + 1);
    let size: number | undefined;
    if (this.#peekPunct(',')) {
      this.#take();
      const text = this.#text(this.#expect('number'));
      if (!/^[0-9]+$/.test(text)) throw new Unreadable();
      size = Number(text);
    }
    this.#expectPunct('>');
    return size === undefined ? { type: word, item } : { type: word, item, size };
  }

  /** `<a | b>` after `record`, `table`, `geometry`, `file`, each name read by `read`; none: []. */
  #names(read: (token: SurqlToken) => string): string[] {
    if (!this.#peekPunct('<')) return [];
    this.#take();
    const names: string[] = [];
    for (;;) {
      const token = this.#take();
      if (token.kind !== 'word' && token.kind !== 'ident') throw new Unreadable();
      names.push(read(token));
      const sep = this.#text(this.#expect('punct'));
      if (sep === '>') return names;
      if (sep !== '|') throw new Unreadable();
    }
  }

  /** `{ key: kind, … }`, the `{` read. */
  #objectLiteral(depth: number): KindNode {
    const fields: { key: string; kind: KindNode }[] = [];
    while (!this.#peekClose('}')) {
      const token = this.#take();
      const text = this.#text(token);
      let key: string;
      if (token.kind === 'string') key = this.#string(token);
      else if (token.kind === 'word' || token.kind === 'ident') key = identifierText(this.#src, token);
      else if (token.kind === 'number' && /^[0-9]+$/.test(text)) key = text;
      else throw new Unreadable();
      this.#expectPunct(':');
      fields.push({ key, kind: this.kind(depth + 1) });
      if (!this.#peekPunct(',')) break;
      this.#take();
    }
    this.#expectClose('}');
    return { type: 'object', fields: fields.sort((a, b) => byCodePoints(a.key, b.key)) };
  }

  /** `kind, kind, …` up to `close` (a trailing comma allowed), the opening bracket read. */
  #list(close: string, depth: number): KindNode[] {
    const items: KindNode[] = [];
    while (!this.#peekClose(close)) {
      items.push(this.kind(depth + 1));
      if (!this.#peekPunct(',')) break;
      this.#take();
    }
    this.#expectClose(close);
    return items;
  }

  /** A quoted string's value; a prefixed string (`d'…'`, `u'…'`) is no literal kind. */
  #string(token: SurqlToken): string {
    const text = this.#text(token);
    const value = text[0] === "'" || text[0] === '"' ? stringValue(text) : undefined;
    if (value === undefined) throw new Unreadable();
    return value;
  }

  #text(token: SurqlToken): string {
    return this.#src.slice(token.start, token.end);
  }

  #take(): SurqlToken {
    const token = this.#next;
    if (!token) throw new Unreadable();
    this.#next = this.#lexer.next(false);
    return token;
  }

  #expect(kind: SurqlToken['kind']): SurqlToken {
    const token = this.#take();
    if (token.kind !== kind) throw new Unreadable();
    return token;
  }

  #peekPunct(text: string): boolean {
    return this.#next?.kind === 'punct' && this.#text(this.#next) === text;
  }

  #peekClose(text: string): boolean {
    return this.#next?.kind === 'close' && this.#text(this.#next) === text;
  }

  #expectPunct(text: string): void {
    if (!this.#peekPunct(text)) throw new Unreadable();
    this.#take();
  }

  #expectClose(text: string): void {
    if (!this.#peekClose(text)) throw new Unreadable();
    this.#take();
  }
}

/**
 * The kind written in `text` (the text after `TYPE`), or undefined when it is not a kind this
 * reader knows (a kind of a newer engine, a typo, anything after the kind).
 */
export function parseKind(text: string): KindNode | undefined {
  try {
    const parser = new KindParser(text);
    const node = parser.kind(0);
    return parser.atEnd ? node : undefined;
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
}
