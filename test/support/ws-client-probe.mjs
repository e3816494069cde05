// Child-process probe for the ws relay:
//   node ws-client-probe.mjs <ws-url> [namespace] [database] [mode]
// mode 'upsert' (default): connects through the relay, upserts `probe:<pid>` and exits 0.
// mode 'sessions': checks forked SDK sessions (attach/use/let/detach) are isolated and exits 0.
// Runs in plain node on purpose: under Jest's vm modules the SDK's `Uuid.v4()` (used by
// forkSession/newSession) is encoded as an empty map, so sessions can't be exercised there.
// Any failure exits 1 with the reason on stderr.
import { Surreal, RecordId } from 'surrealdb';
import WebSocket from 'ws';

const [url, namespace = 'test', database = 'test', mode = 'upsert'] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: ws-client-probe.mjs <ws-url> [namespace] [database] [upsert|sessions]\n');
  process.exit(2);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function upsert(db) {
  // Three probes writing the first rows of a new table at once may meet a write conflict on
  // SurrealDB 3 (the table is defined by the first write): the server says to retry, as a client does.
  for (let attempt = 1; ; attempt++) {
    try {
      await db.query('UPSERT $id SET pid = $pid, at = time::now()', {
        id: new RecordId('probe', process.pid),
        pid: process.pid,
      });
      return;
    } catch (error) {
      if (attempt >= 5 || !/can be retried/.test(String(error?.message))) throw error;
    }
  }
}

async function sessions(db) {
  await db.set('who', 'root-session');
  const fork = await db.forkSession();
  const [inherited] = await fork.query('RETURN $who');
  check(inherited === 'root-session', `forked session inherits variables (got ${String(inherited)})`);
  await fork.set('who', 'fork');
  await fork.use({ namespace: 'probe_other_ns', database: 'probe_other_db' });
  const [[whoFork, dbFork], [whoRoot, dbRoot]] = await Promise.all([
    fork.query('RETURN $who; RETURN $session.db').collect(),
    db.query('RETURN $who; RETURN $session.db').collect(),
  ]);
  check(whoFork === 'fork' && dbFork === 'probe_other_db', `fork state (${whoFork}, ${dbFork})`);
  check(whoRoot === 'root-session' && dbRoot === database, `root session state (${whoRoot}, ${dbRoot})`);
  const listed = await db.sessions();
  check(listed.length === 1 && listed[0].equals(fork.session), 'sessions() lists the forked session');
  await fork.closeSession();
  check((await db.sessions()).length === 0, 'closeSession() detaches');
}

const db = new Surreal({ websocketImpl: /** @type {any} */ (WebSocket) });
try {
  await db.connect(url, {
    namespace,
    database,
    authentication: { username: 'root', password: 'root' },
    reconnect: false,
  });
  if (mode === 'sessions') await sessions(db);
  else await upsert(db);
  await db.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(`probe ${process.pid} (${mode}) failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}
