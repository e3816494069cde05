import { kindAccepts } from '../../src/core/surql/kind-predicate.js';
import { parseKind, surqlString, type KindNode } from '../../src/core/surql/kind-syntax.js';

/** Reading the text after TYPE; what the predicates mean is the integration spec's (kind-predicate.spec.ts). */

const int: KindNode = { type: 'scalar', name: 'int' };
const string: KindNode = { type: 'scalar', name: 'string' };
const none: KindNode = { type: 'scalar', name: 'none' };
const lit = (text: string, literal: 'string' | 'number' | 'duration' | 'bool' = 'string'): KindNode => ({
  type: 'literal',
  literal,
  text,
});

describe('parseKind', () => {
  it('reads the scalar kinds, whatever their case', () => {
    for (const name of ['any', 'none', 'null', 'bool', 'int', 'float', 'decimal', 'number', 'string'] as const) {
      expect(parseKind(name)).toEqual({ type: 'scalar', name });
      expect(parseKind(name.toUpperCase())).toEqual({ type: 'scalar', name });
    }
    for (const name of ['datetime', 'duration', 'uuid', 'bytes', 'object', 'regex', 'range', 'function'] as const) {
      expect(parseKind(` ${name}\n`)).toEqual({ type: 'scalar', name });
    }
  });

  it('reads both spellings of an optional kind: option<T> (SurrealDB 2) and none | T (3)', () => {
    expect(parseKind('option<int>')).toEqual({ type: 'option', item: int });
    expect(parseKind('none | int')).toEqual({ type: 'union', members: [none, int] });
    expect(parseKind('option<int | string>')).toEqual({
      type: 'option',
      item: { type: 'union', members: [int, string] },
    });
  });

  it('reads unions and nestings, with or without spaces', () => {
    const expected: KindNode = {
      type: 'option',
      item: { type: 'array', item: { type: 'record', tables: ['user', 'team'] }, size: 3 },
    };
    expect(parseKind('option<array<record<user | team>, 3>>')).toEqual(expected);
    expect(parseKind('option<array<record<user|team>,3>>')).toEqual(expected);
    expect(parseKind(' option < array < record < user | team > , 3 > > ')).toEqual(expected);
    expect(parseKind('int | string | array<int> | set')).toEqual({
      type: 'union',
      members: [int, string, { type: 'array', item: int }, { type: 'set', item: { type: 'scalar', name: 'any' } }],
    });
  });

  it('reads string literals in both quote styles, with their escapes, as one single-quoted spelling', () => {
    expect(parseKind(`"a" | 'b'`)).toEqual({ type: 'union', members: [lit("'a'"), lit("'b'")] });
    expect(parseKind(`'it\\'s'`)).toEqual(lit(`'it\\'s'`));
    expect(parseKind(`"q\\"" | "\\u00e9\\n"`)).toEqual({
      type: 'union',
      members: [lit(`'q"'`), lit(`'é\\u{a}'`)],
    });
    expect(surqlString("a'b\\c\t")).toBe(`'a\\'b\\\\c\\u{9}'`);
    expect(parseKind(`array<"a" | "b">`)).toEqual({
      type: 'array',
      item: { type: 'union', members: [lit("'a'"), lit("'b'")] },
    });
  });

  it('reads number, duration and boolean literals as the engines write them', () => {
    expect(parseKind('1 | 2')).toEqual({ type: 'union', members: [lit('1', 'number'), lit('2', 'number')] });
    expect(parseKind(' 1.5f')).toEqual(lit('1.5f', 'number'));
    expect(parseKind('-1.5f')).toEqual(lit('-1.5f', 'number'));
    expect(parseKind('1dec | 1_000')).toEqual({
      type: 'union',
      members: [lit('1dec', 'number'), lit('1_000', 'number')],
    });
    expect(parseKind('1d2h | 500ms')).toEqual({
      type: 'union',
      members: [lit('1d2h', 'duration'), lit('500ms', 'duration')],
    });
    expect(parseKind('true | FALSE')).toEqual({ type: 'union', members: [lit('true', 'bool'), lit('false', 'bool')] });
  });

  it('reads object literals (keys unescaped, in key order) and array literals', () => {
    expect(parseKind('{ b: option<string>, a: int, }')).toEqual({
      type: 'object',
      fields: [
        { key: 'a', kind: int },
        { key: 'b', kind: { type: 'option', item: string } },
      ],
    });
    expect(parseKind('{ "a b": int, `c`: string, 1: int, \'d\': none | int }')).toEqual({
      type: 'object',
      fields: [
        { key: '1', kind: int },
        { key: 'a b', kind: int },
        { key: 'c', kind: string },
        { key: 'd', kind: { type: 'union', members: [none, int] } },
      ],
    });
    expect(parseKind('{}')).toEqual({ type: 'object', fields: [] });
    expect(parseKind('[int, string]')).toEqual({ type: 'tuple', items: [int, string] });
    expect(parseKind('[]')).toEqual({ type: 'tuple', items: [] });
  });

  it('reads tables (escaped or not), geometries and the kinds of SurrealDB 3', () => {
    expect(parseKind('record<`a b` | ⟨c-d⟩ | user>')).toEqual({ type: 'record', tables: ['a b', 'c-d', 'user'] });
    expect(parseKind('record')).toEqual({ type: 'record', tables: [] });
    expect(parseKind('geometry<point | Polygon>')).toEqual({ type: 'geometry', shapes: ['point', 'polygon'] });
    expect(parseKind('point')).toEqual({ type: 'geometry', shapes: ['point'] });
    expect(parseKind('geometry<feature>')).toEqual({ type: 'geometry', shapes: [] });
    expect(parseKind('table<user>')).toEqual({ type: 'table', tables: ['user'] });
    expect(parseKind('file<bucket>')).toEqual({ type: 'file' });
    expect(parseKind('set<int, 3>')).toEqual({ type: 'set', item: int, size: 3 });
  });

  it('gives undefined for anything else', () => {
    for (const text of [
      '',
      'literal',
      'closure',
      'references<user>',
      'option<>',
      'option<int',
      'array<int,>',
      'array<int, -1>',
      'array<int, 1.5>',
      'int |',
      '| int',
      'int string',
      'int;',
      'geometry<feature2>',
      "d'2024-01-01T00:00:00Z'",
      "u'0189a5b8-0000-7000-8000-000000000000'",
      "'unterminated",
      "'bad \\q escape'",
      '{ a int }',
      '{ a: int',
      '[int, string',
      'record<1>',
      'record<user',
      '1x',
      '-1s',
      'function(int) -> int',
      '<int>',
    ]) {
      expect([text, parseKind(text)]).toEqual([text, undefined]);
    }
    const deep = 'array<'.repeat(100) + 'int' + '>'.repeat(100);
    expect(parseKind(deep)).toBeUndefined();
    expect(parseKind('array<'.repeat(20) + 'int' + '>'.repeat(20))).toBeDefined();
  });
});

describe('kindAccepts (text)', () => {
  it("writes each engine's function names, around the value in parentheses", () => {
    expect(kindAccepts('bool', '$v', 3)).toBe('type::is_bool(($v))');
    expect(kindAccepts('bool', '$v', 2)).toBe('type::is::bool(($v))');
    expect(kindAccepts('record<user>', 'a.b', 3)).toBe("(type::is_record((a.b)) AND record::tb((a.b)) IN ['user'])");
  });

  it('folds what is known: any is true, a closure is never stored', () => {
    expect(kindAccepts('any', 'f', 3)).toBe('true');
    expect(kindAccepts('function', 'f', 2)).toBe('false');
    expect(kindAccepts('option<function>', 'f', 3)).toBe('type::is_none((f))');
  });

  it('gives undefined for a kind it cannot read, or cannot tell on that engine', () => {
    expect(kindAccepts('int string', 'f', 3)).toBeUndefined();
    expect(kindAccepts('record<user> REFERENCE ON DELETE IGNORE', 'f', 3)).toBeUndefined();
    expect(kindAccepts('file', 'f', 3)).toBeUndefined();
    expect(kindAccepts('option<file<bucket>>', 'f', 3)).toBeUndefined();
    // SurrealDB 2 takes a string for a regex when it compiles: no expression tells that safely.
    expect(kindAccepts('regex', 'f', 2)).toBeUndefined();
    expect(kindAccepts('regex', 'f', 3)).toBe("type::of((f)) == 'regex'");
    expect(kindAccepts('array<regex> | string', 'f', 2)).toBeUndefined();
    // `table` is a kind of SurrealDB 3 only.
    expect(kindAccepts('table<user>', 'f', 2)).toBeUndefined();
  });
});
