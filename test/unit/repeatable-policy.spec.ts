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
