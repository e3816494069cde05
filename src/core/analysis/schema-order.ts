/**
 * The order of definitions by what they use. Dependencies are read from the server's own
 * definitions with the SurrealQL lexer: the functions a definition calls (`fn::a::b`), the params
 * it reads (`$name`), the analyzer an index uses, the tables a view selects from, the table of a
 * field, index or event, and the field an item field belongs to (`tags` of `tags.*`). The order is
 * a topological sort that keeps, among what is free to go next, the earliest in the given order:
 * the same input always gives the same order, and one without dependencies stays as it is.
 */
import { definitionHead, definitionTokens } from './schema-names.js';
import { schemaKey, type SchemaObject } from '../shadow/shadow.js';
import { identifierText } from '../surql/surql-lexer.js';

type Defined = Pick<SchemaObject, 'kind' | 'table' | 'name' | 'definition'>;

/**
 * What other definitions refer to an object by. A field is referred to by its idiom as the server
 * writes it in definitions (INFO's own key for it is not always escaped the same way).
 */
export function refKey(o: Defined): string {
  return o.kind === 'field'
    ? `field\u0000${o.table ?? ''}\u0000${definitionHead(o.definition).name}`
    : schemaKey({ kind: o.kind, table: o.table, name: o.name });
}

const ref = (kind: string, name: string, table = '') => `${kind}\u0000${table}\u0000${name}`;

/** The objects a definition uses, as {@link refKey}s (whether or not they exist). */
export function usesOf(o: Defined): string[] {
  const uses = new Set<string>();
  const tokens = definitionTokens(o.definition);
  const text = (i: number) => tokens[i]?.text ?? '';
  const isName = (i: number) => tokens[i]?.token.kind === 'word' || tokens[i]?.token.kind === 'ident';
  const name = (i: number) => {
    return identifierText(o.definition, tokens[i]!.token);
  };
  const glued = (i: number) => tokens[i] !== undefined && tokens[i]!.token.start === tokens[i - 1]!.token.end;
  const isView = o.kind === 'table' && /\sAS\s+SELECT\b/i.test(o.definition);
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.token.kind === 'word' ? text(i).toUpperCase() : '';
    if (text(i) === 'fn' && text(i + 1) === '::' && isName(i + 2)) {
      // fn::a::b: a call, or the function's own name.
      const segments = [name(i + 2)];
      let j = i + 3;
      while (text(j) === '::' && isName(j + 1)) {
        segments.push(name(j + 1));
        j += 2;
      }
      uses.add(ref('function', segments.join('::')));
      i = j - 1;
    } else if (text(i) === '$' && glued(i + 1) && isName(i + 1)) {
      uses.add(ref('param', name(i + 1)));
      i++;
    } else if (word === 'ANALYZER' && o.kind === 'index' && isName(i + 1)) {
      uses.add(ref('analyzer', name(i + 1)));
    } else if (word === 'FROM' && isView) {
      // FROM a, b (and FROM ONLY a): the tables a view reads, which must exist before it.
      let j = i + 1;
      for (;;) {
        if (tokens[j]?.token.kind === 'word' && text(j).toUpperCase() === 'ONLY') j++;
        if (!isName(j)) break;
        uses.add(ref('table', name(j)));
        if (text(j + 1) !== ',') break;
        j += 2;
      }
    }
  }
  if (o.table !== undefined) uses.add(ref('table', o.table));
  if (o.kind === 'field') {
    // `a.b`, `a.*` and `a[*]` belong to `a`; `a.*.b` to `a.*` and `a`.
    const idiom = definitionHead(o.definition).name;
    for (const { token, text: t } of definitionTokens(idiom)) {
      if (token.start > 0 && (t === '.' || t === '[')) uses.add(ref('field', idiom.slice(0, token.start), o.table));
    }
  }
  uses.delete(refKey(o));
  return [...uses];
}

/**
 * The indexes 0…n−1 in an order where every edge `[a, b]` puts `a` before `b`, taking the smallest
 * free index at each step. A cycle (two functions that call each other) is broken at its smallest
 * index, so every index comes out once.
 */
export function dependencyOrder(n: number, edges: Iterable<readonly [number, number]>): number[] {
  const after: number[][] = Array.from({ length: n }, () => []);
  const waiting = new Array<number>(n).fill(0);
  for (const [a, b] of edges) {
    if (a === b) continue;
    after[a]!.push(b);
    waiting[b]!++;
  }
  const ready = new MinHeap();
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const done = new Array<boolean>(n).fill(false);
  const order: number[] = [];
  let cycleFrom = 0;
  while (order.length < n) {
    let i = ready.pop();
    if (i === undefined) {
      while (done[cycleFrom]) cycleFrom++;
      i = cycleFrom;
    }
    if (done[i]) continue;
    done[i] = true;
    order.push(i);
    for (const j of after[i]!) if (--waiting[j]! === 0 && !done[j]) ready.push(j);
  }
  return order;
}

/** A binary heap of numbers, smallest first. */
class MinHeap {
  readonly #items: number[] = [];
  push(value: number): void {
    const items = this.#items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }
  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const child = left + 1 < items.length && items[left + 1]! < items[left]! ? left + 1 : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * A schema's objects in an order the engine accepts when they are defined one after another:
 * every object after what it uses (a view after the tables it reads, an index after its analyzer,
 * a param after the function its value calls, an item field after its array field), else in the
 * given order (by kind, table and name).
 */
export function inDependencyOrder<T extends Defined>(objects: readonly T[]): T[] {
  const at = new Map(objects.map((o, i) => [refKey(o), i]));
  const edges: [number, number][] = [];
  objects.forEach((o, i) => {
    for (const used of usesOf(o)) {
      const j = at.get(used);
      if (j !== undefined) edges.push([j, i]);
    }
  });
  return dependencyOrder(objects.length, edges).map((i) => objects[i]!);
}
