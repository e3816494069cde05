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

/**
 * Functions whose names start with a backtick, which both engines define (` and `\::x y, here in
 * JavaScript's escapes): a name read bare is then a prefix of its own escaped writing, fn::`\``,
 * and must not be escaped a second time (fn::`\``\``, which no version parses). What SurrealDB
 * 2.6 and 3.0 wrote in `INFO FOR DB` for them.
 */
describe('readableDefinition, functions named with a backtick', () => {
  const names = { functions: ['`', '`\\::x y'], params: [] };

  it.each([
    // SurrealDB 3: every reference escaped.
    ['DEFINE FUNCTION fn::`\\``($s: string) { RETURN fn::`\\`\\\\`::`x y`($s) } PERMISSIONS FULL'],
    ['DEFINE FUNCTION fn::`\\`\\\\`::`x y`($s: string) { RETURN $s } PERMISSIONS FULL'],
    ['DEFINE ANALYZER an FUNCTION fn::`\\`\\\\`::`x y` TOKENIZERS BLANK'],
    ["DEFINE FIELD f ON t VALUE fn::`\\``('a') PERMISSIONS FULL"],
    ["DEFINE EVENT e ON t WHEN true THEN fn::`\\``('b')"],
    // Both: an analyzer's function of one segment.
    ['DEFINE ANALYZER an FUNCTION fn::`\\`` TOKENIZERS BLANK'],
  ])('leaves %s as it is', (definition) => {
    expect(readableDefinition(definition, names)).toBe(definition);
  });

  it.each([
    // SurrealDB 2: bare, and an analyzer's function of two segments in one pair of backticks.
    [
      'DEFINE FUNCTION fn::`($s: string) { RETURN fn::`\\::x y($s); } PERMISSIONS FULL',
      'DEFINE FUNCTION fn::`\\``($s: string) { RETURN fn::`\\`\\\\`::`x y`($s); } PERMISSIONS FULL',
    ],
    [
      'DEFINE FUNCTION fn::`\\::x y($s: string) { RETURN $s; } PERMISSIONS FULL',
      'DEFINE FUNCTION fn::`\\`\\\\`::`x y`($s: string) { RETURN $s; } PERMISSIONS FULL',
    ],
    [
      'DEFINE ANALYZER an FUNCTION fn::`\\`\\\\::x y` TOKENIZERS BLANK',
      'DEFINE ANALYZER an FUNCTION fn::`\\`\\\\`::`x y` TOKENIZERS BLANK',
    ],
    [
      "DEFINE FIELD f ON t VALUE fn::`('a') PERMISSIONS FULL",
      "DEFINE FIELD f ON t VALUE fn::`\\``('a') PERMISSIONS FULL",
    ],
  ])('escapes the bare references of %s', (definition, readable) => {
    expect(readableDefinition(definition, names)).toBe(readable);
  });
});
