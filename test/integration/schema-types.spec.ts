import { DateTime, Decimal, Duration, Geometry, Range, RecordId, type Surreal, Table, Uuid } from 'surrealdb';
import { schemaTypes } from '../../src/core/analysis/schema-types.js';
import { readSchema } from '../../src/core/shadow/shadow.js';
import { memClient, SURREALDB } from '../support/engine.js';
import { prettierTs, typeCheck } from '../support/type-check.js';

const v3 = SURREALDB === 3;

/** A schema with every kind the generator maps (regex and file only as options left unset: no values to read). */
const SCHEMA = `
DEFINE TABLE account SCHEMAFULL;
DEFINE FIELD name ON account TYPE string;
DEFINE FIELD age ON account TYPE int;
DEFINE FIELD f ON account TYPE float;
DEFINE FIELD n ON account TYPE number;
DEFINE FIELD nd ON account TYPE number;
DEFINE FIELD d ON account TYPE decimal;
DEFINE FIELD b ON account TYPE bool;
DEFINE FIELD dt ON account TYPE datetime DEFAULT time::now();
DEFINE FIELD du ON account TYPE duration;
DEFINE FIELD u ON account TYPE uuid;
DEFINE FIELD \`by\` ON account TYPE bytes;
DEFINE FIELD g ON account TYPE geometry<point>;
DEFINE FIELD gl ON account TYPE geometry<line>;
DEFINE FIELD gp ON account TYPE geometry<polygon>;
DEFINE FIELD gmp ON account TYPE geometry<multipoint>;
DEFINE FIELD gml ON account TYPE geometry<multiline>;
DEFINE FIELD gmy ON account TYPE geometry<multipolygon>;
DEFINE FIELD gc ON account TYPE geometry<collection>;
DEFINE FIELD ga ON account TYPE geometry;
DEFINE FIELD o ON account TYPE option<string>;
DEFINE FIELD nu ON account TYPE null | string;
DEFINE FIELD tags ON account TYPE array<string>;
DEFINE FIELD st ON account TYPE set<int>;
DEFINE FIELD lit ON account TYPE 'a' | 'b' | 1 | true;
DEFINE FIELD lits ON account TYPE array<'x' | 'y'>;
DEFINE FIELD obj ON account TYPE object;
DEFINE FIELD fl ON account ${v3 ? 'TYPE object FLEXIBLE' : 'FLEXIBLE TYPE object'};
DEFINE FIELD fl.k ON account TYPE int;
DEFINE FIELD addr ON account TYPE object;
DEFINE FIELD addr.city ON account TYPE string;
DEFINE FIELD ob ON account TYPE option<object>;
DEFINE FIELD ob.c ON account TYPE int;
DEFINE FIELD items ON account TYPE array<object>;
DEFINE FIELD items.*.sku ON account TYPE string;
DEFINE FIELD r ON account TYPE record<account>;
DEFINE FIELD ru ON account TYPE option<record<account | likes>>;
DEFINE FIELD an ON account TYPE any;
DEFINE FIELD rg ON account TYPE range;
DEFINE FIELD rx ON account TYPE option<regex>;
DEFINE FIELD tup ON account TYPE [int, string];
DEFINE FIELD ol ON account TYPE { a: int, b: option<string> };
DEFINE FIELD ro ON account TYPE string READONLY DEFAULT 'x';
DEFINE FIELD cv ON account VALUE 1;
DEFINE FIELD da ON account TYPE int DEFAULT ALWAYS 3;
${v3 ? 'DEFINE FIELD tb ON account TYPE table<account>; DEFINE FIELD k ON account COMPUTED 1 + 1; DEFINE FIELD fi ON account TYPE option<file>;' : ''}
DEFINE TABLE likes TYPE RELATION IN account OUT account SCHEMAFULL;
DEFINE FIELD since ON likes TYPE datetime;
DEFINE TABLE free SCHEMALESS;
DEFINE FIELD a ON free TYPE option<object>;
DEFINE FIELD a.b ON free TYPE string;
DEFINE TABLE keyed SCHEMAFULL;
DEFINE FIELD id ON keyed TYPE int;
DEFINE TABLE \`project-member\` SCHEMAFULL;
DEFINE TABLE project_member SCHEMAFULL;
DEFINE TABLE counted AS SELECT count() AS total FROM account GROUP ALL;
`;

/** What \`create\` is given for \`account\`: no id, no field with a DEFAULT or a VALUE, nothing COMPUTED. */
const CREATE = `{
  name: 'n', age: 1, f: 1.5, n: 2, nd: 1.5dec, d: 1.25dec, b: true, du: 1h, u: rand::uuid(), \`by\`: <bytes>'ab',
  g: (1.0, 2.0), gl: { type: 'LineString', coordinates: [[0.0, 0.0], [1.0, 1.0]] },
  gp: { type: 'Polygon', coordinates: [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]] },
  gmp: { type: 'MultiPoint', coordinates: [[0.0, 0.0], [1.0, 1.0]] },
  gml: { type: 'MultiLineString', coordinates: [[[0.0, 0.0], [1.0, 1.0]]] },
  gmy: { type: 'MultiPolygon', coordinates: [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]] },
  gc: { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1.0, 2.0] }] },
  ga: (3.0, 4.0), nu: null, tags: ['x'], st: <set>[3, 1, 3], lit: 'a', lits: ['y'], obj: {}, fl: { k: 1, z: { y: 1 } },
  addr: { city: 'c' }, items: [{ sku: 's' }], r: account:one, ru: likes:x, an: 5, rg: 1..3, tup: [1, 's'], ol: { a: 1 }
  ${v3 ? ', tb: type::table("account")' : ''}
}`;

/** A JS value the SDK returned, as a TypeScript expression of its type (SDK classes by their class). */
function expression(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(expression).join(', ')}]`;
  if (value instanceof Set) return `new Set([${[...value].map(expression).join(', ')}])`;
  if (value instanceof ArrayBuffer) return `new ArrayBuffer(${value.byteLength})`;
  if (value instanceof RecordId) return `new RecordId(${JSON.stringify(value.table.name)}, ${expression(value.id)})`;
  if (value instanceof Table) return `new Table(${JSON.stringify(value.name)})`;
  if (value instanceof Range) return 'value<Range<number, number>>()';
  for (const sdk of [DateTime, Duration, Decimal, Uuid, Geometry]) {
    if (value instanceof sdk) return `value<${value.constructor.name.replace(/\$\d+$/, '')}>()`;
  }
  if (value !== undefined && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${expression(v)}`).join(', ')} }`;
  }
  throw new Error(`schema-types spec: no expression for ${String(value)}`);
}

async function rows(db: Surreal, text: string): Promise<Record<string, unknown>[]> {
  const answers = await db.query(text).responses();
  const last = answers.at(-1);
  const failed = answers.find((a) => !a.success);
  if (failed || !last?.success) throw new Error(failed?.error?.message ?? 'no answer');
  return last.result as Record<string, unknown>[];
}

describe(`schemaTypes on SurrealDB ${SURREALDB}`, () => {
  let db: Surreal;
  let module: string;

  beforeAll(async () => {
    db = await memClient({ namespace: 'types', database: 'types' });
    await rows(db, SCHEMA);
    module = schemaTypes(await readSchema(db, 'migrations_history'), SURREALDB);
  });

  afterAll(async () => {
    await db.close();
  });

  it('types every record the SDK reads back; refuses what a wrong mapping would let through', async () => {
    const [account] = await rows(db, `CREATE account:one CONTENT ${CREATE}; SELECT * FROM account:one;`);
    const [likes] = await rows(
      db,
      'RELATE account:one->likes->account:one SET since = time::now(); SELECT * FROM likes;',
    );
    const [free] = await rows(db, "CREATE free:1 SET a = { b: 'x', c: 1 }, z = 1; SELECT * FROM free;");
    const [keyed] = await rows(db, 'CREATE keyed:7; SELECT * FROM keyed;');
    const [counted] = await rows(db, 'SELECT * FROM counted;');
    const created = await rows(db, `SELECT * OMIT id, dt, ro, cv, da${v3 ? ', k' : ''} FROM account:one`);
    const payload = expression(created[0]);
    const check = [
      "import { RecordId, Table } from 'surrealdb';",
      "import type { DateTime, Decimal, Duration, Uuid, Range, GeometryPoint, GeometryLine, GeometryPolygon } from 'surrealdb';",
      "import type { GeometryMultiPoint, GeometryMultiLine, GeometryMultiPolygon, GeometryCollection } from 'surrealdb';",
      "import type { Account, AccountCreate, Likes, Free, Keyed, Counted, Tables } from './types.js';",
      'declare function value<T>(): T;',
      `export const account: Tables['account'] = ${expression(account)};`,
      `export const likes: Likes = ${expression(likes)};`,
      `export const free: Free = ${expression(free)};`,
      `export const keyed: Keyed = ${expression(keyed)};`,
      `export const counted: Counted = ${expression(counted)};`,
      `export const create: AccountCreate = ${payload};`,
      // The SDK's own calls take the types: content() and merge() take Partial<T> & Record<string, unknown>.
      "import type { Surreal } from 'surrealdb';",
      'declare const db: Surreal;',
      "export const selected: Promise<Account[]> = db.select<Account>(new Table('account'));",
      "export const made: Promise<Account[]> = db.create<Account>(new Table('account')).content(create);",
      "export const merged: Promise<Account> = db.update<Account>(new RecordId('account', 'one')).merge({ age: 2 });",
      '// @ts-expect-error a record of another table',
      "export const otherTable: Account = { ...account, r: new RecordId('likes', 'x') };",
      '// @ts-expect-error a set as the other engine gives it',
      `export const otherSet: Account = { ...account, st: ${v3 ? '[1]' : 'new Set([1])'} };`,
      '// @ts-expect-error a string where an int is',
      "export const stringAge: Account = { ...account, age: '1' };",
      '// @ts-expect-error a key a SCHEMAFULL object does not keep',
      'export const extraKey: Account = { ...account, addr: { city: "c", zip: 1 } };',
      '// @ts-expect-error no name: create needs it',
      `export const noName: AccountCreate = { ...create, name: undefined };`,
      '// @ts-expect-error the view has no Create type',
      "export type NoViewCreate = import('./types.js').CountedCreate;",
      ...(v3
        ? [
            '// @ts-expect-error COMPUTED: absent from create',
            'export const computed: AccountCreate = { ...create, k: 2 };',
          ]
        : []),
      '',
    ].join('\n');
    expect(await typeCheck({ 'types.ts': module, 'check.ts': check })).toEqual([]);
    // The payload the type accepts, written through the SDK, is accepted by the engine.
    await db.create(new RecordId('account', 'two')).content(created[0]!);
    expect((await rows(db, 'SELECT VALUE name FROM account:two'))[0]).toBe('n');
    expect(module).toContain(v3 ? 'st: Set<number>;' : 'st: number[];');
  });

  it('writes the module as Prettier prints it, and the same bytes every time', async () => {
    expect(await prettierTs(module)).toBe(module);
    expect(schemaTypes(await readSchema(db, 'migrations_history'), SURREALDB)).toBe(module);
  });
});
