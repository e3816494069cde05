import { computedClauses, describeComputed, withoutComputed } from '../../src/core/analysis/computed-definitions.js';

/** The computed clauses the scripts leave on each object, as `kind table name` → clauses. */
function clauses(...scripts: string[]): Record<string, string[]> {
  return Object.fromEntries(
    [...computedClauses(scripts)].map(([key, set]) => [key.split('\u0000').filter(Boolean).join(' '), [...set]]),
  );
}

describe('computedClauses: what a DEFINE leaves for the engine to compute', () => {
  it('tells a param’s literal value from an expression, whatever the expression', () => {
    const literal = [
      '50',
      '-5',
      "'acme'",
      '"acme"',
      "{ size: 50, 'a b': [1, 'x', NONE, NULL, true], every: 1h30m }",
      "d'2020-01-01T00:00:00Z'",
      "u'0189d6e4-0c3c-7b0a-8c8a-5c1e7e0b3f7a'",
      'person:1',
      "person:['a', 1]",
      '[]',
      '{}',
    ];
    const computed = [
      'time::now()',
      'rand::uuid()',
      'session::db()',
      '$other',
      '1 + 2',
      "<datetime> '2020-01-01'",
      '(SELECT * FROM person)',
      'person:1.name',
      'person:1->knows',
      '1..5',
      'fn::own()',
      '{ at: time::now() }',
      '{ a: b }',
      '[rand::uuid()]',
      'count',
      '(1, 2)',
      "'a' + 'b'",
      "'a' OR 'b'",
    ];
    for (const value of literal)
      expect([value, clauses(`DEFINE PARAM $p VALUE ${value};`)]).toEqual([value, { 'param p': [] }]);
    for (const value of computed) {
      expect([value, clauses(`DEFINE PARAM $p VALUE ${value};`)]).toEqual([value, { 'param p': ['VALUE'] }]);
    }
  });

  it('reads the value up to the COMMENT or PERMISSIONS clause, and judges a COMMENT apart', () => {
    expect(clauses("DEFINE PARAM $p VALUE 5 COMMENT 'c' PERMISSIONS WHERE $auth.id = time::now();")).toEqual({
      'param p': [],
    });
    expect(clauses("DEFINE PARAM $p VALUE time::now() PERMISSIONS FULL COMMENT 'c';")).toEqual({
      'param p': ['VALUE'],
    });
    expect(clauses("DEFINE PARAM $p VALUE 5 COMMENT 'made ' + <string> time::now();")).toEqual({
      'param p': ['COMMENT'],
    });
  });

  it('leaves a field’s DEFAULT and VALUE, an event and a view alone: the engine stores them as written', () => {
    expect(
      clauses(
        'DEFINE FIELD at ON person DEFAULT time::now() VALUE time::now() COMMENT "kept";' +
          'DEFINE EVENT e ON person WHEN true THEN (CREATE log SET at = time::now());' +
          'DEFINE TABLE v AS SELECT count() FROM person GROUP ALL;',
      ),
    ).toEqual({ 'field person at': [], 'event person e': [], 'table v': [] });
  });

  it('names each object as INFO does, and the last DEFINE of it decides', () => {
    expect(
      clauses(
        'DEFINE PARAM $a VALUE time::now(); DEFINE PARAM OVERWRITE $a VALUE 5;' +
          'DEFINE PARAM $b VALUE 5; DEFINE PARAM IF NOT EXISTS $b VALUE time::now();' +
          'DEFINE PARAM $c VALUE time::now(); REMOVE PARAM $c;' +
          'DEFINE FIELD `odd name`.* ON TABLE `my table` COMMENT <string> time::now();' +
          'DEFINE FUNCTION fn::a::b() { RETURN 1 } COMMENT <string> rand::uuid();' +
          'DEFINE SEQUENCE s BATCH 10 START -5 TIMEOUT 1s + 1s;' +
          'DEFINE ACCESS x ON DATABASE TYPE JWT ALGORITHM HS512 KEY "k" DURATION FOR TOKEN 1h, FOR SESSION NONE;' +
          'DEFINE ACCESS y ON DATABASE TYPE JWT ALGORITHM HS512 KEY "k" DURATION FOR TOKEN 1h + 1h, FOR SESSION 1d;' +
          'DEFINE USER u ON ROOT PASSWORD "p" COMMENT <string> time::now();',
        'IF true { DEFINE PARAM $nested VALUE rand::uuid(); };',
      ),
    ).toEqual({
      'param a': [],
      'param b': [],
      'field my table odd name.*': ['COMMENT'],
      'function a::b': ['COMMENT'],
      'sequence s': ['TIMEOUT'],
      'access x': [],
      'access y': ['DURATION'],
      'param nested': ['VALUE'],
    });
  });
});

describe('withoutComputed: a definition with its computed values masked', () => {
  it('masks only the clauses named, where the engine writes them', () => {
    const param = "DEFINE PARAM $p VALUE { at: d'2026-01-01T00:00:00Z' } COMMENT 'c' PERMISSIONS WHERE $auth.admin";
    expect(withoutComputed(param, new Set(['VALUE']))).toBe(
      "DEFINE PARAM $p VALUE … COMMENT 'c' PERMISSIONS WHERE $auth.admin",
    );
    expect(withoutComputed(param, new Set())).toBe(param);
    expect(
      withoutComputed(
        "DEFINE ACCESS a ON DATABASE TYPE JWT ALGORITHM HS512 KEY '[REDACTED]' DURATION FOR TOKEN 2h, FOR SESSION NONE COMMENT '2026'",
        new Set(['DURATION', 'COMMENT']),
      ),
    ).toBe("DEFINE ACCESS a ON DATABASE TYPE JWT ALGORITHM HS512 KEY '[REDACTED]' DURATION … COMMENT …");
    expect(withoutComputed('DEFINE SEQUENCE s BATCH 20 START -7 TIMEOUT 2s', new Set(['START', 'TIMEOUT']))).toBe(
      'DEFINE SEQUENCE s BATCH 20 START … TIMEOUT …',
    );
  });

  it('says what was not compared, once', () => {
    expect(describeComputed({ kind: 'param', table: undefined, name: 'since', clauses: ['value'] })).toBe(
      'param $since: computed at definition: value not compared',
    );
    expect(
      describeComputed({ kind: 'sequence', table: undefined, name: 's', clauses: ['batch', 'start', 'timeout'] }),
    ).toBe('sequence s: computed at definition: batch, start and timeout not compared');
  });
});
