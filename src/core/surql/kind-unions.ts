/**
 * Unions (`int | string`, and `option<T>`, which is `none | T`), judged as each engine picks a
 * member, and SurrealDB 2's unions of object literals, which it reads as discriminated objects.
 */
import { surqlString, type KindNode } from './kind-syntax.js';
import { FALSE, and, not, or, plain, type Judge, type Rules, type Verdict } from './kind-verdicts.js';

type ObjectKind = Extract<KindNode, { type: 'object' }>;

/** What the union of `members` says about `x`; undefined when a member cannot be told. */
export function unionVerdict(members: readonly KindNode[], x: string, rules: Rules, judge: Judge): Verdict | undefined {
  if (rules.major === 3) return firstTried(flatten(members), x, rules, judge);
  const objects = members.every((m) => m.type === 'object') ? (members as ObjectKind[]) : undefined;
  const key = objects && discriminant(objects);
  if (objects && key !== undefined) return tagged(objects, key, x, rules, judge);
  return inTurn(members, 0, x, rules, judge);
}

/** SurrealDB 3 flattens unions: `option<int | string>` is `none | int | string`. */
function flatten(members: readonly KindNode[]): KindNode[] {
  return members.flatMap((m): KindNode[] => {
    if (m.type === 'union') return flatten(m.members);
    if (m.type === 'option') return [{ type: 'scalar', name: 'none' }, ...flatten([m.item])];
    return [m];
  });
}

/**
 * SurrealDB 3 coerces to the first member whose looser test passes, and to that one only. When
 * that coercion then fails (`option<int>` and 1.5dec: the looser test truncates), 3.0.2 panics
 * ("If can_coerce_to_kind returns true then coerce_to_kind must not error") and the embedded
 * engine aborts the process: no write succeeds, so the value counts as refused.
 */
function firstTried(members: readonly KindNode[], x: string, rules: Rules, judge: Judge): Verdict | undefined {
  const verdicts: Verdict[] = [];
  for (const member of members) {
    const verdict = judge(member, x);
    if (!verdict) return undefined;
    verdicts.push(verdict);
  }
  let accepts = FALSE;
  let coerced = x;
  for (const v of [...verdicts].reverse()) {
    // `accepts` implies `tries`: where they agree, a member that refuses just passes the value on.
    accepts = v.tries === v.accepts ? or(v.accepts, accepts) : or(v.accepts, and(not(v.tries), accepts));
    coerced = rules.when(v.tries, v.coerced, coerced);
  }
  return { accepts, tries: or(...verdicts.map((v) => v.tries)), aborts: FALSE, from: x, coerced };
}

/**
 * SurrealDB 2 tries the members in turn, but each with the value the previous member's coercion
 * error names: after `array<int>` fails on `[1, 'a']`, `string` is tried with `'a'`, and takes it
 * (the row is written with `'a'`); `array<int> | array<string>` refuses `['a', 'b']`. An error
 * other than a coercion error (an array longer than its size) ends the search: refused.
 */
function inTurn(members: readonly KindNode[], i: number, x: string, rules: Rules, judge: Judge): Verdict | undefined {
  const member = members[i];
  if (!member) return { accepts: FALSE, tries: FALSE, aborts: FALSE, from: x, coerced: x };
  const v = judge(member, x);
  if (!v) return undefined;
  let rest: Verdict | undefined;
  if (v.from === x) {
    rest = inTurn(members, i + 1, x, rules, judge);
  } else {
    const p = rules.fresh();
    const next = inTurn(members, i + 1, p, rules, judge);
    rest = next && {
      accepts: rules.bind(p, next.accepts, v.from),
      tries: FALSE,
      aborts: rules.bind(p, next.aborts, v.from),
      from: rules.bind(p, next.from, v.from),
      coerced: rules.bind(p, next.coerced, v.from),
    };
  }
  if (!rest) return undefined;
  const accepts = or(v.accepts, and(not(v.aborts), rest.accepts));
  return {
    accepts,
    tries: accepts,
    aborts: and(not(v.accepts), or(v.aborts, rest.aborts)),
    from: rest.from,
    coerced: rules.when(v.accepts, v.coerced, rest.coerced),
  };
}

/** Equal kinds, as the engine compares them (the parser writes each kind one way). */
function same(a: KindNode, b: KindNode): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isLiteral(k: KindNode): boolean {
  return k.type === 'literal' || k.type === 'tuple' || k.type === 'object';
}

/** SurrealDB 2's `Literal::to_kind`: the kind a literal is a value of. */
function literalKind(k: KindNode): KindNode {
  switch (k.type) {
    case 'literal':
      return { type: 'scalar', name: k.literal };
    case 'object':
      return { type: 'scalar', name: 'object' };
    case 'tuple': {
      const first = k.items[0];
      const uniform = first && k.items.every((i) => same(i, first));
      return uniform
        ? { type: 'array', item: first, size: k.items.length }
        : { type: 'array', item: { type: 'scalar', name: 'any' } };
    }
    default:
      return k;
  }
}

/**
 * SurrealDB 2's `Kind::to_discriminated`: the first key (in key order) of the first literal that
 * every other literal has too, with kinds that tell the literals apart; undefined when none does.
 */
function discriminant(objects: readonly ObjectKind[]): string | undefined {
  const [first, ...others] = objects;
  keys: for (const { key, kind } of first?.fields ?? []) {
    const kinds: KindNode[] = [kind];
    for (const other of others) {
      const k = other.fields.find((f) => f.key === key)?.kind;
      if (!k) continue keys;
      if (isLiteral(k) && kinds.some((c) => same(c, literalKind(k)) || same(c, k))) continue keys;
      if (kinds.some((c) => same(k, isLiteral(c) ? literalKind(c) : c))) continue keys;
      kinds.push(k);
    }
    return key;
  }
  return undefined;
}

/**
 * A discriminated object: the first literal whose `key` takes the value's is the only one checked
 * (`{ t: 'a', x: int } | { t: 'a' | 'b', y: string }` refuses `{ t: 'a', y: 's' }`).
 */
function tagged(
  objects: readonly ObjectKind[],
  key: string,
  x: string,
  rules: Rules,
  judge: Judge,
): Verdict | undefined {
  let accepts = FALSE;
  for (const variant of [...objects].reverse()) {
    const tag = judge(variant.fields.find((f) => f.key === key)!.kind, `${x}[${surqlString(key)}]`);
    const whole = judge(variant, x);
    if (!tag || !whole) return undefined;
    // A literal that takes the value has a tag that takes its key: `whole` implies `tag`.
    accepts = or(whole.accepts, and(not(tag.accepts), accepts));
  }
  return plain(and(rules.is('object', x), accepts), x);
}
