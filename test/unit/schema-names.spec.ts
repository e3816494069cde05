import { readableDefinition } from '../../src/core/shadow/readable-names.js';

/** What SurrealDB 2.6 and 3.0 wrote in `INFO FOR DB` for these names (asked of both engines). */
describe('readableDefinition', () => {
  const names = { functions: ['x`y', 'a-b::c'], params: ['`', 'a`b', 'feature-flags'] };

  it.each([
    // SurrealDB 3 escapes every name itself: left exactly as written.
    ['DEFINE PARAM $`\\`` VALUE 1 PERMISSIONS FULL'],
    ['DEFINE PARAM $`a\\`b` VALUE 2 PERMISSIONS FULL'],
    ['DEFINE FUNCTION fn::`x\\`y`() { RETURN $`\\`` } PERMISSIONS FULL'],
    ['DEFINE EVENT e ON t WHEN $`feature-flags` THEN fn::`a-b`::c()'],
    // Names inside strings and escaped identifiers are text, not references.
    ["DEFINE PARAM $p VALUE 'fn::a-b::c() and $feature-flags'"],
    ['DEFINE FIELD `$feature-flags` ON t TYPE int'],
  ])('leaves %s as it is', (definition) => {
    expect(readableDefinition(definition, names)).toBe(definition);
  });

  it.each([
    // SurrealDB 2 writes references bare, even where they need escaping.
    [
      'DEFINE FUNCTION fn::x`y() { RETURN $`; } PERMISSIONS FULL',
      'DEFINE FUNCTION fn::`x\\`y`() { RETURN $`\\``; } PERMISSIONS FULL',
    ],
    [
      'DEFINE EVENT e ON t WHEN $feature-flags THEN fn::a-b::c()',
      'DEFINE EVENT e ON t WHEN $`feature-flags` THEN fn::`a-b`::c()',
    ],
  ])('escapes the bare references of %s', (definition, readable) => {
    expect(readableDefinition(definition, names)).toBe(readable);
  });
});
