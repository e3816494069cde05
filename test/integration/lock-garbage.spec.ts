import { MigrationManager } from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { MEM } from '../support/engine.js';

/** Lock records that an operator or another tool left unreadable are taken over, not waited out. */
describe('a lock record that cannot be read as a lease', () => {
  let folder: TempMigrations;
  const managers: MigrationManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0).reverse()) await manager.close();
    await folder.dispose();
  });

  it.each([
    ['an array', "['2001-01-01']"],
    ['an object', '{ at: 1 }'],
    ['a uuid', "u'0190b1d2-0000-7000-8000-000000000000'"],
    ['a string', "'tomorrow'"],
    ['nothing', 'NONE'],
  ])('with %s as expires_at is taken as expired, with a warning naming it', async (_name, value) => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const warnings: string[] = [];
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 't',
      database: 't',
      directory: folder.dir,
      // Were the lease waited out, the run would fail with MigrationLockError after this.
      lock: { waitTimeoutMs: 20_000, retryMs: 50 },
      logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} },
    });
    managers.push(manager);
    await manager.db.query(
      `DEFINE TABLE _sbl_migrations_lock SCHEMALESS; CREATE _sbl_migrations_lock:lock SET ` +
        `owner = { host: 'gone', pid: 1, token: 'x' }, expires_at = ${value}`,
    );
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([1]);
    expect(warnings.join('\n')).toMatch(/_sbl_migrations_lock:lock could not be read as a lease/);
    expect(await manager.lockHolder()).toBeUndefined();
  });

  it('does not say a garbage lease is held until a date it does not hold', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const manager = await MigrationManager.create({
      ...MEM,
      namespace: 't',
      database: 't',
      directory: folder.dir,
    });
    managers.push(manager);
    await manager.db.query(
      "DEFINE TABLE _sbl_migrations_lock SCHEMALESS; CREATE _sbl_migrations_lock:lock SET owner = { host: 'h', pid: 2, token: 'y' }, expires_at = ['2001-01-01']",
    );
    const holder = await manager.lockHolder();
    expect(holder).toMatchObject({ host: 'h', pid: 2 });
    expect(holder!.expiresAt).toBeUndefined();
  });
});
