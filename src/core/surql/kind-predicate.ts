/**
 * A field's kind as a SurrealQL boolean expression: true exactly for the values the engine accepts
 * when it writes a row under `DEFINE FIELD … TYPE <kind>`, so that the rows a new kind would refuse
 * can be counted before it is defined. Pure text. The rules were measured on SurrealDB 2.6.0 and
 * 3.0.2 (test/integration/kind-predicate.spec.ts compares every verdict with the engine's):
 *
 * - numbers coerce: `int` takes a float or decimal with no fraction (a float out of range saturates,
 *   so `1e20` is taken; a decimal must fit 64 bits), `float` any number, `decimal` any int or
 *   decimal and a float below 2^96 in magnitude; NaN and the infinities only `float` and `number`;
 * - NONE (a missing field) only `any`, `none`, `option<T>` and unions with `none`; NULL only `null`
 *   (`option<T>` refuses it on both engines);
 * - a record kind names tables only: whether the record exists is not checked.
 *
 * The engines differ on strings (2 takes a datetime or uuid for a string), sizes (2's
 * `array<T, n>` is at most n long, 3's exactly n), sets (2's are arrays), object literals (2 counts
 * their keys, 3 names them) and unions (kind-unions.ts).
 */
import { parseKind, surqlString, type KindNode } from './kind-syntax.js';
import { unionVerdict } from './kind-unions.js';
import { FALSE, Rules, TRUE, and, not, or, plain, type Verdict } from './kind-verdicts.js';

/** The largest magnitude a float may have to become a decimal (2^96, rust_decimal's range). */
const DECIMAL_LIMIT = '7.9228162514264337593543950336e28';

/** Kinds that one type test decides. */
const SIMPLE: Readonly<Record<string, string>> = {
  bool: 'bool',
  number: 'number',
  datetime: 'datetime',
  duration: 'duration',
  uuid: 'uuid',
  bytes: 'bytes',
  object: 'object',
  range: 'range',
  null: 'null',
  none: 'none',
};

class Judgement {
  readonly rules: Rules;

  constructor(major: 2 | 3) {
    this.rules = new Rules(major);
  }

  /** What `node` says about the value `x`; undefined where this module cannot tell. */
  readonly judge = (node: KindNode, x: string): Verdict | undefined => {
    const { rules } = this;
    switch (node.type) {
      case 'scalar':
        return this.#scalar(node.name, x);
      case 'literal': {
        // Numbers compare by value across int, float and decimal: `1` takes 1.0 and 1dec.
        return plain(and(rules.is(node.literal, x), `${x} == ${node.text}`), x);
      }
      case 'record': {
        const tables = node.tables.length ? `record::tb(${x}) IN [${node.tables.map(surqlString).join(', ')}]` : TRUE;
        return plain(and(rules.is('record', x), tables), x);
      }
      case 'table':
        return this.#table(node.tables, x);
      case 'geometry':
        if (node.shapes.length === 0) return plain(rules.is('geometry', x), x);
        return plain(or(...node.shapes.map((s) => rules.is(s, x))), x);
      case 'file':
        // Files are experimental on SurrealDB 3 and absent from 2: no expression tells a bucket.
        return undefined;
      case 'array':
      case 'set':
        return this.#collection(node, x);
      case 'option':
        return this.#option(node.item, x);
      case 'union':
        return unionVerdict(node.members, x, rules, this.judge);
      case 'tuple':
        return this.#tuple(node.items, x);
      case 'object':
        return this.#object(node.fields, x);
    }
  };

  #scalar(name: string, x: string): Verdict | undefined {
    const { rules } = this;
    switch (name) {
      case 'any':
        return plain(TRUE, x);
      case 'int':
        return this.#int(x);
      case 'float':
        return { ...plain(rules.is('number', x), x), coerced: this.#as(rules.is('decimal', x), 'float', x) };
      case 'decimal': {
        const fromFloat = and(rules.is('float', x), `${x} > -${DECIMAL_LIMIT}`, `${x} < ${DECIMAL_LIMIT}`);
        const accepts = or(rules.is('int', x), rules.is('decimal', x), fromFloat);
        return { ...plain(accepts, x), coerced: this.#as(fromFloat, 'decimal', x) };
      }
      case 'string':
        // SurrealDB 2 takes a datetime or a uuid for a string (and writes it as one); 3 does not.
        if (rules.major === 2) return plain(or(rules.is('string', x), rules.is('datetime', x), rules.is('uuid', x)), x);
        return plain(rules.is('string', x), x);
      case 'regex':
        // SurrealDB 2 also takes a string that compiles as a regex, which no expression tells
        // without failing on the others; 3 takes regex values only.
        return rules.major === 3 ? plain(`type::of(${x}) == 'regex'`, x) : undefined;
      case 'function':
        // A closure cannot be stored in a row on either engine: no stored value is one.
        return plain(FALSE, x);
      default:
        return plain(rules.is(SIMPLE[name]!, x), x);
    }
  }

  /**
   * `x` cast `to` where `cond` holds. Only SurrealDB 3 needs it: there a decimal with a fraction,
   * but not a float, makes a union with `int` fail (kind-unions.ts).
   */
  #as(cond: string, to: string, x: string): string {
    return this.rules.major === 3 ? this.rules.when(cond, `<${to}>${x}`, x) : x;
  }

  #int(x: string): Verdict {
    const { rules } = this;
    // Comparisons order NaN beyond the infinities (0.0 / 0.0 below -inf, <float>'NaN' above inf).
    const finite = `${x} > -math::inf AND ${x} < math::inf`;
    const fromFloat = and(rules.is('float', x), finite, `math::floor(${x}) == ${x}`);
    const whole = `math::floor(${x}) == ${x} AND ${x} >= -9223372036854775808dec AND ${x} <= 9223372036854775807dec`;
    // SurrealDB 3's looser test truncates a decimal first (`i64::try_from`): 1.5dec passes it.
    const truncated = `${x} > -9223372036854775809dec AND ${x} < 9223372036854775808dec`;
    const accepts = or(rules.is('int', x), fromFloat, and(rules.is('decimal', x), `(${whole})`));
    const tries = or(rules.is('int', x), fromFloat, and(rules.is('decimal', x), `(${truncated})`));
    return { accepts, tries: rules.major === 3 ? tries : accepts, aborts: FALSE, from: x, coerced: x };
  }

  #table(tables: readonly string[], x: string): Verdict | undefined {
    const { rules } = this;
    // SurrealDB 3 only. `table` takes a string (a table value is refused), `table<a>` a string or a
    // table value naming one of its tables.
    if (rules.major === 2) return undefined;
    if (tables.length === 0) return plain(rules.is('string', x), x);
    const names = `[${tables.map(surqlString).join(', ')}]`;
    const named = or(
      and(rules.is('string', x), `${x} IN ${names}`),
      and(`type::of(${x}) == 'table'`, `<string>${x} IN ${names}`),
    );
    return plain(named, x);
  }

  /** `option<T>`: SurrealDB 3 writes it `none | T`; on 2 it passes T's errors on. */
  #option(item: KindNode, x: string): Verdict | undefined {
    const { rules } = this;
    if (rules.major === 3) return unionVerdict([{ type: 'scalar', name: 'none' }, item], x, rules, this.judge);
    const inner = this.judge(item, x);
    if (!inner) return undefined;
    const accepts = or(rules.is('none', x), inner.accepts);
    const coerced = rules.when(rules.is('none', x), x, inner.coerced);
    return { accepts, tries: accepts, aborts: inner.aborts, from: inner.from, coerced };
  }

  /** `array<T, n>`, `set<T, n>`. */
  #collection(node: Extract<KindNode, { type: 'array' | 'set' }>, x: string): Verdict | undefined {
    const { rules } = this;
    const p = rules.fresh();
    const item = this.judge(node.item, p);
    if (!item) return undefined;
    // SurrealDB 3 has sets of their own, which the array functions refuse until cast.
    const v3Set = node.type === 'set' && rules.major === 3;
    const type = v3Set ? rules.is('set', x) : rules.is('array', x);
    const items = v3Set ? `<array>${x}` : x;
    const all = (each: string) => (each === TRUE ? TRUE : `array::all(${items}, |${p}| ${each})`);
    let size = TRUE;
    if (node.size !== undefined && rules.major === 3) {
      size = `${v3Set ? 'set' : 'array'}::len(${x}) == ${node.size}`;
    } else if (node.size !== undefined) {
      // SurrealDB 2 reads the size as a maximum, and deduplicates a set (an array) first.
      size = `array::len(${node.type === 'set' ? this.#distinct(x) : x}) <= ${node.size}`;
    }
    const accepts = and(type, all(item.accepts), size);
    let coerced = x;
    if (item.coerced !== p) coerced = `array::map(${items}, |${p}| ${item.coerced})`;
    if (item.coerced !== p && v3Set) coerced = `<set>${coerced}`;
    if (rules.major === 3) return { accepts, tries: and(type, all(item.tries), size), aborts: FALSE, from: x, coerced };
    // SurrealDB 2 coerces the items in order: the first that fails names the error (its own error's
    // value, for an item that is itself an array); only then does it check the size, whose error
    // is of another sort.
    if (item.accepts === TRUE) return { accepts, tries: accepts, aborts: and(type, not(size)), from: x, coerced };
    const failing = `array::find(${x}, |${p}| ${not(item.accepts)})`;
    const aborts = and(
      type,
      or(and(not(all(item.accepts)), rules.bind(p, item.aborts, failing)), and(all(item.accepts), not(size))),
    );
    const from = rules.when(type, rules.bind(p, item.from, failing), x);
    return { accepts, tries: accepts, aborts, from, coerced };
  }

  /**
   * SurrealDB 2's set of `x`'s items. It hashes 1, 1.0 and 1dec apart but compares them equal, so
   * that it keeps both of `[1, 1.0]` most times but not always (about 1 write in 100, and the same
   * of `array::distinct`): each number is tagged with its type, for the usual verdict every time.
   */
  #distinct(x: string): string {
    const { rules } = this;
    const p = rules.fresh();
    const tag = `IF ${rules.is('int', p)} { 'int' } ELSE IF ${rules.is('float', p)} { 'float' } ELSE IF ${rules.is('decimal', p)} { 'decimal' } ELSE { '' }`;
    return `array::distinct(array::map(${x}, |${p}| [${tag}, ${p}]))`;
  }

  /** An array literal `[A, B]`: exactly that many items, each of its kind. */
  #tuple(items: readonly KindNode[], x: string): Verdict | undefined {
    const { rules } = this;
    const checks: string[] = [];
    for (const [i, item] of items.entries()) {
      const verdict = this.judge(item, `${x}[${i}]`);
      if (!verdict) return undefined;
      // SurrealDB 3 checks a literal's members by the looser test only.
      checks.push(rules.major === 3 ? verdict.tries : verdict.accepts);
    }
    return plain(and(rules.is('array', x), `array::len(${x}) == ${items.length}`, ...checks), x);
  }

  /** An object literal `{ a: A, b: B }`; a missing key is NONE, which only optional kinds take. */
  #object(fields: readonly { key: string; kind: KindNode }[], x: string): Verdict | undefined {
    const { rules } = this;
    const checks: string[] = [];
    for (const field of fields) {
      const verdict = this.judge(field.kind, `${x}[${surqlString(field.key)}]`);
      if (!verdict) return undefined;
      checks.push(rules.major === 3 ? verdict.tries : verdict.accepts);
    }
    const keys = `object::keys(${x})`;
    let extra: string;
    if (rules.major === 3) {
      const p = rules.fresh();
      extra = `array::all(${keys}, |${p}| ${p} IN [${fields.map((f) => surqlString(f.key)).join(', ')}])`;
    } else {
      // SurrealDB 2 only counts the keys: no more than the literal has, whichever they are
      // (`{ a: int, b: option<string> }` takes `{ a: 1, c: 1 }`).
      extra = `array::len(${keys}) <= ${fields.length}`;
    }
    return plain(and(rules.is('object', x), extra, ...checks), x);
  }
}

/**
 * The kind of the fields both engines define inside a field of kind `node` (`f[*]`, then `f[*][*]`):
 * an array's or set's item kind, and for a union, the union of its members' (`array<int> | object`
 * gives `f[*]` the kind `int`). undefined where there is none, or where it is `any`.
 */
function innerKind(node: KindNode): KindNode | undefined {
  const inner = (k: KindNode): KindNode[] => {
    if (k.type === 'array' || k.type === 'set') return k.item.type === 'union' ? k.item.members : [k.item];
    if (k.type === 'option') return inner(k.item);
    if (k.type === 'union') return k.members.flatMap(inner);
    return [];
  };
  const members = inner(node);
  if (members.length > 1) return { type: 'union', members };
  return members[0]?.type === 'scalar' && members[0].name === 'any' ? undefined : members[0];
}

/**
 * The checks of the fields inside the field: each item of an array or set, and each value of an
 * object (`array<int> | object` refuses `{ a: 'x' }`), of the value as written (`coerced`),
 * against the inner kind, and so on down.
 */
function innerFields(judgement: Judgement, node: KindNode, coerced: string): string | undefined {
  const inner = innerKind(node);
  if (!inner) return TRUE;
  const { rules } = judgement;
  const p = rules.fresh();
  const verdict = judgement.judge(inner, p);
  const deeper = verdict && innerFields(judgement, inner, verdict.coerced);
  if (deeper === undefined || !verdict) return undefined;
  const each = and(verdict.accepts, deeper);
  if (each === TRUE) return TRUE;
  const v = rules.fresh();
  const sets = rules.major === 3 ? ` ELSE IF ${rules.is('set', v)} { <array>${v} }` : '';
  const children = `IF ${rules.is('array', v)} { ${v} } ELSE IF ${rules.is('object', v)} { object::values(${v}) }${sets} ELSE { [] }`;
  return rules.bind(v, `array::all((${children}), |${p}| ${each})`, coerced);
}

/**
 * A SurrealQL boolean expression that is true exactly when the engine accepts `value` (a SurrealQL
 * expression, e.g. `qty` or `$v`) for a field of kind `kind`: when a write of a row holding that value
 * succeeds under `DEFINE FIELD … TYPE <kind>`. undefined when the kind is not one this module understands
 * (the caller then lets the engine judge without a count).
 *
 * `kind` is the text after `TYPE` as `INFO FOR TABLE` writes it on either engine (`option<int>` on
 * SurrealDB 2, `none | int` on 3). The expression never raises an error in the engine, whatever the
 * value: every cast, index and function call is guarded by a type test first (`AND` and `OR`
 * short-circuit on both engines). It may evaluate `value` several times, never inside a closure;
 * its closures' parameters are named `$kind_v1`, `$kind_v2`, ….
 */
export function kindAccepts(kind: string, value: string, major: 2 | 3): string | undefined {
  const node = parseKind(kind);
  if (!node) return undefined;
  const judgement = new Judgement(major);
  const verdict = judgement.judge(node, `(${value})`);
  const inner = verdict && innerFields(judgement, node, verdict.coerced);
  return inner === undefined || !verdict ? undefined : and(verdict.accepts, inner);
}
