/**
 * Jest's `node` environment runs tests in a vm context whose globals mix two realms: `Uint8Array`
 * and `ArrayBuffer` are Node's own, the other typed arrays are the context's. A `Uint32Array`'s
 * buffer is then not an `ArrayBuffer` to `instanceof`, and the SurrealDB SDK, which makes UUIDs
 * from a `Uint32Array` (session ids, above all), encodes them as empty maps: the server refuses
 * them ("Expected a CBOR byte array with 16 elements"), and no `forkSession()` works.
 *
 * In such a context only, each typed array whose buffer is not an `ArrayBuffer` is replaced by
 * Node's own (reached through `structuredClone`, which Jest also takes from Node). Anywhere else
 * (Node, Vitest, an app) nothing is changed. Imported by the testing kit, and the jest setup
 * file of this repository.
 */
const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

export function alignTypedArrayRealm(): void {
  const scope = globalThis as unknown as Record<string, { new (length: number): { buffer: unknown } } | undefined>;
  for (const name of TYPED_ARRAYS) {
    const Local = scope[name];
    if (!Local || new Local(0).buffer instanceof ArrayBuffer) continue;
    const Outer = (structuredClone(new Local(0)) as unknown as { constructor: typeof Local }).constructor;
    if (new Outer(0).buffer instanceof ArrayBuffer) scope[name] = Outer;
  }
}

alignTypedArrayRealm();
