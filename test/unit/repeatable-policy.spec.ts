import { repeatableRefusals } from '../../src/core/surql/repeatable-policy.js';

/** What a repeatable file may not hold, found on SurrealDB's lexical rules, with its place. */
describe('repeatableRefusals', () => {
  const refused = (text: string) => repeatableRefusals(text).map((r) => [r.line, r.column, r.reason.split(' ')[0]]);

  it('passes definitions that run twice to the same effect', () => {
    const text = [
      'DEFINE FUNCTION OVERWRITE fn::a() { RETURN 1 };',
      'define param if not exists $p value 1;',
      'DEFINE EVENT OVERWRITE e ON person WHEN true THEN { CREATE log SET at = time::now() };',
      'DEFINE ACCESS OVERWRITE api ON DATABASE TYPE JWT ALGORITHM HS512 KEY "k";',
      'REMOVE FUNCTION IF EXISTS fn::old;',
      'UPSERT config:main SET theme = "dark";',
      'UPDATE person SET flag = true;',
      'DELETE person WHERE gone = true;',
      'LET $x = 1;',
      'IF true { CREATE thing };',
    ].join('\n');
    expect(refused(text)).toEqual([]);
  });

  it('refuses data writes, a DEFINE without OVERWRITE or IF NOT EXISTS, a REMOVE without IF EXISTS', () => {
    const text = [
      '-- a comment',
      'DEFINE FUNCTION fn::a() { RETURN 1 };',
      '  create person:one SET n = 1;',
      'INSERT INTO person { n: 2 };',
      'RELATE person:one->knows->person:two;',
      'REMOVE FUNCTION fn::old;',
      'DEFINE /* c */ TABLE t IF EXISTS;',
      'DEFINE INDEX IF NOT EXISTS i ON t FIELDS n;',
    ].join('\n');
    expect(refused(text)).toEqual([
      [2, 1, 'DEFINE'],
      [3, 3, 'CREATE'],
      [4, 1, 'INSERT'],
      [5, 1, 'RELATE'],
      [6, 1, 'REMOVE'],
      [7, 1, 'DEFINE'],
    ]);
    const [first] = repeatableRefusals('DEFINE FUNCTION fn::a() { RETURN 1 };');
    expect(first!.fix).toMatch(/DEFINE FUNCTION OVERWRITE/);
  });

  it('refuses what a migration may not hold either: the runner owns the transaction', () => {
    expect(refused('BEGIN;\nDEFINE PARAM OVERWRITE $a VALUE 1;\nCOMMIT;')).toEqual([
      [1, 1, 'BEGIN'],
      [3, 1, 'COMMIT'],
    ]);
    expect(refused('USE DB other;')).toEqual([[1, 1, 'USE']]);
  });
});

describe('repeatableRefusals: writes as values', () => {
  const refused = (text: string) => repeatableRefusals(text).map((r) => [r.line, r.reason.split(' ')[0]]);

  it('refuses a CREATE, INSERT or RELATE a statement runs as a value, and ACCESS … GRANT', () => {
    const text = [
      'LET $x = (CREATE person CONTENT { n: 1 });',
      'SELECT * FROM (INSERT INTO person { n: 2 });',
      '(RELATE person:a->knows->person:b);',
      'UPDATE person SET friend = (create person SET n = 3);',
      'ACCESS api ON DATABASE GRANT FOR USER admin;',
    ].join('\n');
    expect(refused(text)).toEqual([
      [1, 'CREATE'],
      [2, 'INSERT'],
      [3, 'RELATE'],
      [4, 'CREATE'],
      [5, 'ACCESS'],
    ]);
  });

  it('passes what only runs later or elsewhere: a block, an event, a function body, a field named create', () => {
    const text = [
      'IF $go { CREATE thing };',
      'DEFINE EVENT OVERWRITE e ON person WHEN true THEN (CREATE log SET at = time::now());',
      'DEFINE FUNCTION OVERWRITE fn::make() { RETURN (CREATE thing) };',
      'UPDATE person SET flags.create = true;',
      'ACCESS api ON DATABASE SHOW ALL;',
    ].join('\n');
    expect(refused(text)).toEqual([]);
  });
});
