import { definitionChanges } from '../../src/core/surql/definition-changes.js';

describe('definitionChanges', () => {
  it('reads DEFINE FIELD with its TYPE, ASSERT and REFERENCE, whatever the clause order and spelling', () => {
    const script = [
      '-- a comment',
      'DEFINE FIELD OVERWRITE qty ON TABLE acc TYPE option<int | string> ASSERT $value > 0 AND $value IN [1, "VALUE"] DEFAULT 1 PERMISSIONS FULL;',
      'define field if not exists `select`.b on acc assert $value != NONE type array<record<user>, 5> reference on delete cascade;',
      'DEFINE FIELD tags[*] ON acc TYPE string COMMENT "TYPE int";',
      'DEFINE FIELD at ON acc TYPE datetime DEFAULT ALWAYS time::now() READONLY;',
    ].join('\n');
    expect(definitionChanges(script)).toEqual([
      {
        kind: 'field',
        table: 'acc',
        field: 'qty',
        idiom: 'qty',
        type: 'option<int | string>',
        assert: '$value > 0 AND $value IN [1, "VALUE"]',
        reference: false,
        readonly: false,
        default: true,
        defaultAlways: undefined,
        computed: false,
        computedOnRead: false,
        flexible: false,
        ifNotExists: false,
        statement: 0,
        line: 2,
        column: 1,
      },
      {
        kind: 'field',
        table: 'acc',
        field: 'select.b',
        idiom: '`select`.b',
        type: 'array<record<user>, 5>',
        assert: '$value != NONE',
        reference: true,
        readonly: false,
        default: false,
        defaultAlways: undefined,
        computed: false,
        computedOnRead: false,
        flexible: false,
        ifNotExists: true,
        statement: 1,
        line: 3,
        column: 1,
      },
      expect.objectContaining({ field: 'tags[*]', idiom: 'tags[*]', type: 'string', assert: undefined }),
      expect.objectContaining({ field: 'at', type: 'datetime', readonly: true, defaultAlways: 'time::now()' }),
    ]);
  });

  it("tells a plain DEFAULT from DEFAULT ALWAYS, VALUE from COMPUTED, and reads FLEXIBLE in both engines' places", () => {
    const script = [
      "DEFINE FIELD a ON t TYPE string DEFAULT 'x' READONLY PERMISSIONS FULL;",
      'DEFINE FIELD b ON t TYPE int DEFAULT ALWAYS 3;',
      'DEFINE FIELD c ON t VALUE 1;',
      'DEFINE FIELD d ON t COMPUTED 1 + 1;',
      'DEFINE FIELD e ON t TYPE object FLEXIBLE PERMISSIONS FULL;',
      'DEFINE FIELD f ON t FLEXIBLE TYPE object PERMISSIONS FULL;',
    ].join('\n');
    const read = (c: ReturnType<typeof definitionChanges>[number]) =>
      c.kind === 'field' ? [c.field, c.type, c.default, c.defaultAlways, c.computed, c.computedOnRead, c.flexible] : [];
    expect(definitionChanges(script).map(read)).toEqual([
      ['a', 'string', true, undefined, false, false, false],
      ['b', 'int', false, '3', false, false, false],
      ['c', undefined, false, undefined, true, false, false],
      ['d', undefined, false, undefined, true, true, false],
      ['e', 'object', false, undefined, false, false, true],
      ['f', 'object', false, undefined, false, false, true],
    ]);
  });

  it("reads a table's SCHEMAFULL, TYPE RELATION and AS SELECT as the engines write them", () => {
    const script = [
      'DEFINE TABLE account TYPE NORMAL SCHEMAFULL PERMISSIONS NONE;',
      'DEFINE TABLE likes TYPE RELATION IN account OUT account SCHEMAFULL PERMISSIONS NONE;',
      'DEFINE TABLE v TYPE ANY SCHEMALESS AS SELECT count() AS n FROM t GROUP ALL PERMISSIONS NONE;',
      "DEFINE TABLE c TYPE ANY SCHEMALESS COMMENT 'TYPE RELATION AS SELECT' PERMISSIONS NONE;",
    ].join('\n');
    const read = (c: ReturnType<typeof definitionChanges>[number]) =>
      c.kind === 'table' ? [c.table, c.schemafull, c.relation, c.view] : [];
    expect(definitionChanges(script).map(read)).toEqual([
      ['account', true, false, false],
      ['likes', true, true, false],
      ['v', false, false, true],
      ['c', false, false, false],
    ]);
  });

  it('reads REMOVE FIELD, DEFINE TABLE and ALTER TABLE … SCHEMAFULL, and ALTER FIELD as not read', () => {
    const script =
      'REMOVE FIELD IF EXISTS n ON acc;\nDEFINE TABLE OVERWRITE acc SCHEMAFULL;\nDEFINE TABLE log SCHEMALESS;\n' +
      'ALTER TABLE acc SCHEMAFULL;\nALTER TABLE acc COMMENT "x";\nALTER FIELD n ON acc TYPE int;\nREMOVE TABLE gone;';
    expect(definitionChanges(script).map((c) => [c.kind, c.table, 'field' in c ? c.field : c.schemafull])).toEqual([
      ['remove-field', 'acc', 'n'],
      ['table', 'acc', true],
      ['table', 'log', false],
      ['table', 'acc', true],
      ['altered', 'acc', 'n'],
    ]);
  });

  it('lists nothing for data statements, strings and comments that read like definitions', () => {
    expect(
      definitionChanges(
        "CREATE acc SET note = 'DEFINE FIELD x ON acc TYPE int';\n-- DEFINE FIELD y ON acc TYPE int\nUPDATE acc SET n = 1;",
      ),
    ).toEqual([]);
  });
});
