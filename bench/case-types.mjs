// types. What `surreal-migrate types` adds to the schema it shares with `schema` and `drift`: on a
// database of 300 tables with 9 fields each (scalars, an option, a set, a record link, a literal
// union, a nested object), the schema read (`readSchema`: INFO FOR DB, then INFO FOR TABLE of every
// table in one request) with `schemaTypes` on it, against the schema read alone. The shadow's replay
// before them is the same for every command on the folder (see case drift), and is left out. On
// SurrealDB 3 and 2, side by side in the same run: read, then read + types, `runs` times, after one
// of each to warm up.
import { schemaTypes } from '../dist/core/analysis/schema-types.js';
import { createClient } from '../dist/core/db/connection.js';
import { readSchema } from '../dist/core/shadow/shadow.js';
import { row, summarize, time } from './stats.mjs';

const COUNT = 300;
const HISTORY = '_sbl_migrations';

/** One table and its fields. */
function tableScript(v) {
  const t = `t${v}`;
  return [
    `DEFINE TABLE ${t} SCHEMAFULL;`,
    `DEFINE FIELD name ON ${t} TYPE string;`,
    `DEFINE FIELD email ON ${t} TYPE option<string>;`,
    `DEFINE FIELD score ON ${t} TYPE int DEFAULT 0;`,
    `DEFINE FIELD tags ON ${t} TYPE set<string>;`,
    `DEFINE FIELD owner ON ${t} TYPE record<t1>;`,
    `DEFINE FIELD plan ON ${t} TYPE 'free' | 'pro' DEFAULT 'free';`,
    `DEFINE FIELD address ON ${t} TYPE option<object>;`,
    `DEFINE FIELD address.city ON ${t} TYPE string;`,
    `DEFINE FIELD created_at ON ${t} TYPE datetime DEFAULT time::now() READONLY;`,
  ].join('\n');
}

async function engine(surrealdb, count, runs) {
  const db = await createClient('mem://', surrealdb);
  await db.connect('mem://', { namespace: 'bench', database: `types${surrealdb}` });
  try {
    for (let start = 1; start <= count; start += 50) {
      const scripts = [];
      for (let v = start; v < Math.min(start + 50, count + 1); v++) scripts.push(tableScript(v));
      const answers = await db.query(scripts.join('\n')).responses();
      const failed = answers.find((a) => !a.success);
      if (failed) throw new Error(`case types: the schema did not apply: ${failed.error.message}`);
    }
    const read = () => readSchema(db, HISTORY);
    let text = schemaTypes(await read(), surrealdb);
    const tables = (text.match(/^export type T\d+ = \{$/gm) ?? []).length;
    if (tables !== count) throw new Error(`case types: expected ${count} record types, got ${tables}`);
    const samples = { read: [], types: [], alone: [] };
    for (let r = 0; r < runs; r++) {
      samples.read.push(await time(read));
      samples.types.push(await time(async () => (text = schemaTypes(await read(), surrealdb))));
      const schema = await read();
      samples.alone.push(await time(async () => schemaTypes(schema, surrealdb)));
    }
    const [bare, types, alone] = ['read', 'types', 'alone'].map((k) => summarize(samples[k]));
    const label = `SurrealDB ${surrealdb}, ${count} tables × 9 fields`;
    return [
      row('types', `schema read: INFO FOR DB + ${count} INFO FOR TABLE (${label})`, bare, { unit: 'ms' }),
      row('types', `schema read + schemaTypes (${label}; ${Math.round(text.length / 1024)} KiB)`, types, {
        unit: 'ms',
        ratio: types.median / bare.median,
        ratioOf: 'read + types / read',
      }),
      row('types', `schemaTypes alone (${label})`, alone, {
        unit: 'ms',
        ratio: alone.median / bare.median,
        ratioOf: 'types / read',
      }),
    ];
  } finally {
    await db.close();
  }
}

export async function run({ count = COUNT, runs = 9 } = {}) {
  return [...(await engine(3, count, runs)), ...(await engine(2, count, runs))];
}
