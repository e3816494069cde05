import { writtenTables } from '../../src/core/db/rolled-back-tables.js';

describe('writtenTables: the tables a script may auto-create by writing', () => {
  it.each([
    ['CREATE z:1 SET n = 1', ['z']],
    ['CREATE ONLY person SET n = 1', ['ONLY', 'person']],
    ['UPSERT y:1; UPDATE u SET a = 1', ['y', 'u']],
    // An object's keys look like record ids: named too, which is harmless (only tables that do not
    // exist are defined and removed again).
    ['INSERT INTO w { id: 1 }', ['INTO', 'w', 'id']],
    ['INSERT IGNORE INTO w2 { n: 1 }', ['IGNORE', 'w2', 'n']],
    ['RELATE a:1->likes->b:2', ['a', 'likes', 'b']],
    ['CREATE `odd name`:1', ['odd name']],
    ['CREATE ⟨other⟩:1', ['other']],
  ])('%s', (script, expected) => {
    expect(writtenTables(script).sort()).toEqual([...expected].sort());
  });

  it('reads tokens, not text: strings and comments name no table', () => {
    expect(writtenTables("-- CREATE c:1\n/* UPSERT d:1 */ RETURN 'CREATE s:1'")).toEqual([]);
  });

  it('names nothing for a script that only defines', () => {
    expect(writtenTables('DEFINE TABLE t SCHEMALESS; DEFINE FIELD f ON t TYPE string;')).toEqual([]);
  });
});
