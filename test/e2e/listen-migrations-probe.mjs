/**
 * Runs the demo's migrations (argv[3]) up and down, one at a time, on a private in-memory engine
 * through the built library (argv[2], a dist/index.js), and prints what it saw as one JSON line.
 *
 * A child process of listen.e2e.spec.ts: the demo migrations define indexes, after which the
 * embedded engine keeps its process alive, so this ends with process.exit.
 */
import { MEM } from '../support/engine-env.mjs';

const [, , indexJs, directory] = process.argv;
const { MigrationManager } = await import(indexJs);

const manager = await MigrationManager.create({ ...MEM, namespace: 'probe', database: 'probe', directory });
const db = manager.db;

/** Every definition in the database, history tables left out. */
async function schema() {
  const [info] = await db.query('INFO FOR DB');
  const tables = {};
  for (const name of Object.keys(info.tables)
    .filter((t) => !t.startsWith('_sbl_'))
    .sort()) {
    const [table] = await db.query(`INFO FOR TABLE ${name}`);
    tables[name] = { definition: info.tables[name], ...table };
  }
  return { ...info, tables };
}

/** The rows of `table` as plain JSON (record ids and dates as strings), ordered by id. */
async function rows(table) {
  const [result] = await db.query(`SELECT * FROM type::table($table) ORDER BY id`, { table });
  return JSON.parse(JSON.stringify(result));
}

/** Runs `sql` and reports whether it failed instead of throwing. */
async function rejected(sql) {
  try {
    await db.query(sql);
    return false;
  } catch {
    return true;
  }
}

try {
  const latest = manager.getLatestVersion();
  const before = [await schema()];
  for (let version = 1; version <= latest; version++) {
    await manager.migrateTo(version);
    if (version === 2) {
      // Data that the display_name migration must backfill, and keep when it is rolled back.
      await db.query(
        "CREATE user:ada SET email = 'ada@example.com', name = 'Ada Lovelace';" +
          "CREATE post:first SET author = user:ada, title = 'Notes on the engine';",
      );
    }
    before.push(await schema());
  }
  const usersAfterUp = await rows('user');
  const checks = {
    badEmailRejected: await rejected("CREATE user SET email = 'not-an-address', name = 'X'"),
    duplicateEmailRejected: await rejected("CREATE user SET email = 'ada@example.com', name = 'Twin'"),
    stringAuthorRejected: await rejected("CREATE post SET author = 'user:ada', title = 'A string, not a link'"),
  };
  await db.query("CREATE user:bob SET email = 'bob@example.com', name = 'Bob'");
  const newUser = (await rows('user')).find((u) => u.id === 'user:bob');
  await db.query('DELETE user:bob');

  // Down, one at a time: after each, the schema must be what it was before that version's up.
  const reversed = [];
  const usersAfterDown = [];
  // A down that would delete rows is refused first (DATA_LOSS, nothing rolled back), then run knowingly.
  const refused = [];
  for (let version = latest; version >= 1; version--) {
    const plain = await manager.rollback({ steps: 1 }).then(
      () => undefined,
      (error) => error,
    );
    if (plain !== undefined) {
      if (plain.code !== 'DATA_LOSS') throw plain;
      refused.push({
        version,
        current: await manager.getCurrentVersion(),
        losses: plain.losses.map((l) => [l.name, l.rows]),
      });
      await manager.rollback({ steps: 1, acceptDataLoss: true });
    }
    reversed.push({
      version,
      current: await manager.getCurrentVersion(),
      // The up changed the schema, and the down brought back the schema from before it.
      upChanged: JSON.stringify(before[version]) !== JSON.stringify(before[version - 1]),
      matches: JSON.stringify(await schema()) === JSON.stringify(before[version - 1]),
    });
    if (version === 3) usersAfterDown.push(...(await rows('user')));
  }

  console.log(
    JSON.stringify({
      latest,
      schemaAfterUp: Object.keys(before[latest].tables),
      indexes: Object.fromEntries(Object.entries(before[latest].tables).map(([n, t]) => [n, Object.keys(t.indexes)])),
      usersAfterUp,
      newUser,
      checks,
      reversed,
      refused,
      usersAfterDown,
      schemaAfterDown: Object.keys((await schema()).tables),
    }),
  );
  await manager.close();
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
