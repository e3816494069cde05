import { schemaTypes } from '../../src/core/analysis/schema-types.js';
import { pascalCase, tableTypeNames, tsString } from '../../src/core/analysis/type-names.js';
import type { DatabaseSchema } from '../../src/core/shadow/shadow.js';
import { prettierTs } from '../support/type-check.js';

const table = (name: string, definition: string) => ({ kind: 'table' as const, table: undefined, name, definition });
const field = (on: string, name: string, definition: string) => ({
  kind: 'field' as const,
  table: on,
  name,
  definition,
});

describe('schemaTypes', () => {
  const schema: DatabaseSchema = [
    table('user', 'DEFINE TABLE user TYPE NORMAL SCHEMAFULL PERMISSIONS NONE'),
    field('user', 'tags', 'DEFINE FIELD tags ON user TYPE set<string> PERMISSIONS FULL'),
    field('user', 'tags[*]', 'DEFINE FIELD tags[*] ON user TYPE string PERMISSIONS FULL'),
    field('user', 'at', 'DEFINE FIELD at ON user TYPE datetime DEFAULT time::now() READONLY PERMISSIONS FULL'),
    field('user', 'nick', 'DEFINE FIELD nick ON user TYPE option<string> PERMISSIONS FULL'),
    field('user', 'team', 'DEFINE FIELD team ON user TYPE record<team> PERMISSIONS FULL'),
  ];

  it('writes a type, a Create type and Tables, exactly', () => {
    expect(schemaTypes(schema, 2)).toBe(
      [
        '// The tables of a SurrealDB 2 schema as the surrealdb SDK returns their records. Generated; do not edit.',
        '// int, float: number (an int beyond ±2^53 comes back as a bigint); number: number | Decimal; set: an array.',
        '',
        "import type { DateTime, RecordId } from 'surrealdb';",
        '',
        "/** The records of the table 'user' (SCHEMAFULL). */",
        'export type User = {',
        "  id: RecordId<'user'>;",
        '  /** READONLY: set when the record is created, never changed. */',
        '  readonly at: DateTime;',
        '  nick?: string;',
        '  tags: string[];',
        "  team: RecordId<'team'>;",
        '};',
        '',
        '/**',
        " * What `create` accepts for the table 'user': `id` may be left out, and so may",
        ' * a field with a DEFAULT or a VALUE (the engine sets it).',
        ' */',
        'export type UserCreate = {',
        "  id?: RecordId<'user'>;",
        '  /** READONLY: set when the record is created, never changed; may be left out: its DEFAULT sets it. */',
        '  at?: DateTime;',
        '  nick?: string;',
        '  tags: string[];',
        "  team: RecordId<'team'>;",
        '};',
        '',
        '/** Each table, by its name, and the type of its records. */',
        'export type Tables = {',
        '  user: User;',
        '};',
        '',
      ].join('\n'),
    );
  });

  it('gives a set as SurrealDB 3 returns it, a JS Set', () => {
    expect(schemaTypes(schema, 3)).toContain('  tags: Set<string>;\n');
  });

  it('gives the same bytes whatever the order of the schema objects', () => {
    expect(schemaTypes([...schema].reverse(), 3)).toBe(schemaTypes(schema, 3));
  });

  it('writes what Prettier would: long unions broken, keys and literals quoted as it quotes them', async () => {
    const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
    const long = letters.map((c) => `'${c.repeat(4)}'`).join(' | ');
    const odd: DatabaseSchema = [
      table('odd', 'DEFINE TABLE odd TYPE ANY SCHEMALESS PERMISSIONS NONE'),
      field('odd', 'long', `DEFINE FIELD long ON odd TYPE ${long} PERMISSIONS FULL`),
      field('odd', 'a-b', 'DEFINE FIELD `a-b` ON odd TYPE "say \\"x\\"" PERMISSIONS FULL'),
      field('odd', 'q', "DEFINE FIELD q ON odd TYPE 'it\\'s' | 'a\\\\b' | 'tab\\tx' PERMISSIONS FULL"),
      table('*/x', 'DEFINE TABLE `*/x` TYPE ANY SCHEMALESS PERMISSIONS NONE'),
    ];
    const text = schemaTypes(odd, 3);
    expect(text).toContain("  long:\n    | 'aaaa'\n");
    expect(text).toContain("  q: \"it's\" | 'a\\\\b' | 'tab\\tx';");
    expect(text).toContain("  'a-b': 'say \"x\"';");
    expect(text).toContain("  '*/x': X;");
    expect(text).toContain("/** The records of the table '*\\/x' (SCHEMALESS). */");
    expect(await prettierTs(text)).toBe(text);
  });
});

describe('table type names', () => {
  it('writes names in PascalCase, made identifiers', () => {
    expect(['account', 'project_member', 'projectMember', 'a-b c', '2fa', '__', 'été'].map(pascalCase)).toEqual([
      'Account',
      'ProjectMember',
      'ProjectMember',
      'ABC',
      'T2fa',
      'Table',
      'Été',
    ]);
  });

  it('resolves collisions in code-point order, leaving the names no other table takes', () => {
    const names = tableTypeNames([
      'project_member',
      'project-member',
      'account',
      'account_create',
      'record_id',
      'x2',
      'array_buffer',
    ]);
    expect(Object.fromEntries([...names].map(([t, n]) => [t, [n.name, n.create, n.renamed]]))).toEqual({
      account: ['Account', 'AccountCreate', false],
      account_create: ['AccountCreate2', 'AccountCreate2Create', true],
      // The global type of a bytes field: a table of that name would hide it.
      array_buffer: ['ArrayBuffer2', 'ArrayBuffer2Create', true],
      'project-member': ['ProjectMember', 'ProjectMemberCreate', false],
      project_member: ['ProjectMember2', 'ProjectMember2Create', true],
      record_id: ['RecordId2', 'RecordId2Create', true],
      x2: ['X2', 'X2Create', false],
    });
  });

  it('quotes strings as Prettier does', () => {
    expect([tsString('a'), tsString("it's"), tsString('a\nb'), tsString(`'"'`)]).toEqual([
      "'a'",
      '"it\'s"',
      "'a\\nb'",
      '"\'\\"\'"',
    ]);
  });
});
