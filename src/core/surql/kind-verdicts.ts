/**
 * The pieces kind predicates are written with: what a kind says about one value (a `Verdict`,
 * four SurrealQL expressions), boolean text that folds constants, and each engine's function names.
 */
import type { KindNode } from './kind-syntax.js';

/** What a kind says about one value, each part a SurrealQL expression. */
export interface Verdict {
  /** True when a write of the value succeeds. */
  accepts: string;
  /**
   * SurrealDB 3: the looser test (`can_coerce_to_kind`) a union picks its member by, and an object
   * or array literal checks its members by. It differs from `accepts` only where `int` meets a
   * decimal with a fraction (`1.5dec`), which it truncates.
   */
  tries: string;
  /**
   * SurrealDB 2: the value fails with an error that ends a union's search at once (a collection
   * longer than its size), rather than with a coercion error.
   */
  aborts: string;
  /**
   * SurrealDB 2: the value a coercion error names. A union tries its next member with that value,
   * not with the original: for an array, the first element that failed.
   */
  from: string;
  /**
   * The value as written, where `accepts` holds: faithful in what later checks can tell apart (its
   * arrays, sets and objects; on SurrealDB 3 whether a number is a float or a decimal).
   */
  coerced: string;
}

/** What `node` says about the value `x`; undefined where it cannot be told. */
export type Judge = (node: KindNode, x: string) => Verdict | undefined;

export const TRUE = 'true';
export const FALSE = 'false';

export function and(...parts: string[]): string {
  if (parts.includes(FALSE)) return FALSE;
  const kept = parts.filter((p) => p !== TRUE);
  if (kept.length === 0) return TRUE;
  return kept.length === 1 ? kept[0]! : `(${kept.join(' AND ')})`;
}

export function or(...parts: string[]): string {
  if (parts.includes(TRUE)) return TRUE;
  const kept = parts.filter((p) => p !== FALSE);
  if (kept.length === 0) return FALSE;
  return kept.length === 1 ? kept[0]! : `(${kept.join(' OR ')})`;
}

export function not(part: string): string {
  if (part === TRUE) return FALSE;
  if (part === FALSE) return TRUE;
  return `!(${part})`;
}

/** A verdict with nothing engine-specific: the looser test is the test, no abort, the value itself. */
export function plain(accepts: string, x: string): Verdict {
  return { accepts, tries: accepts, aborts: FALSE, from: x, coerced: x };
}

/** The engine's function names, and fresh closure parameters for one predicate. */
export class Rules {
  readonly major: 2 | 3;
  #params = 0;

  constructor(major: 2 | 3) {
    this.major = major;
  }

  /** `type::is::int(x)` on SurrealDB 2, `type::is_int(x)` on 3. */
  is(name: string, x: string): string {
    return this.major === 2 ? `type::is::${name}(${x})` : `type::is_${name}(${x})`;
  }

  /** A closure parameter used nowhere else in the predicate, so that no closure shadows another. */
  fresh(): string {
    this.#params += 1;
    return `$kind_v${this.#params}`;
  }

  /** `IF cond { then } ELSE { otherwise }`, an expression; constant conditions folded. */
  when(cond: string, then: string, otherwise: string): string {
    if (cond === TRUE || then === otherwise) return then;
    if (cond === FALSE) return otherwise;
    return `(IF ${cond} { ${then} } ELSE { ${otherwise} })`;
  }

  /** `body`, an expression in `param`, for the value `arg`: a closure called at once. */
  bind(param: string, body: string, arg: string): string {
    if (body === param) return arg;
    if (body === TRUE || body === FALSE) return body;
    return `(|${param}| ${body})(${arg})`;
  }
}
