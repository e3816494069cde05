import path from 'node:path';
import { startNode, supportDir } from '../support/child.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { connectWs, RELAY_AUTH, RELAY_ROOT, startWsRelay, type WsRelay } from '../support/ws-relay.js';

/**
 * Sessions of targets signed in with a token that expires: the SDK renews such a token on a timer,
 * which closing the session alone leaves running. A process that closed its manager must still
 * exit at once, not when the token (an hour here) would have expired.
 */
describe('many targets signed in as a namespace user', () => {
  let relay: WsRelay;
  let folder: TempMigrations;
  beforeAll(async () => {
    // It requires a sign-in, as `surreal start --user root --pass root` does: the namespace user is
    // defined by root, and the child signs in as that user.
    relay = await startWsRelay({ path: 'mem://', ...RELAY_ROOT });
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS; CREATE a:1;' });
    const db = await connectWs(relay.url, { namespace: 'saas', database: 'seed' }, { auth: RELAY_AUTH });
    await db
      .query(
        "DEFINE USER tenant_admin ON NAMESPACE PASSWORD 'Tenant-Admin-1' ROLES OWNER DURATION FOR TOKEN 1h, FOR SESSION 1h;",
      )
      .collect();
    await db.close();
  });
  afterAll(async () => {
    await relay.close();
    await folder.dispose();
  });

  it('migrates both, and the process exits by itself once the manager is closed', async () => {
    const child = startNode(path.join(supportDir, 'targets-close-child.mjs'), [relay.url, folder.dir]);
    try {
      // Without the sessions' sign-in invalidated, this waits for the token's hour (the test times out).
      expect(await child.exited).toBe(0);
      expect(child.stdout()).toContain('closed 2');
    } finally {
      child.kill();
    }
  });
});
