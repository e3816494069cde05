import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Surreal } from 'surrealdb';
import { MigrationManager } from '../../src/index.js';
import { tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { memClient } from '../support/engine.js';

/** The same client, counting the requests (round trips) sent through `query`. */
function counting(db: Surreal): { client: Surreal; count(): number; reset(): void } {
  let requests = 0;
  const client = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (...args: Parameters<Surreal['query']>) => {
          requests++;
          return target.query(...args);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client, count: () => requests, reset: () => (requests = 0) };
}

describe('the lean path (round trips, counted)', () => {
  let folder: TempMigrations;
  let db: Surreal;
  beforeEach(async () => {
    db = await memClient({ namespace: 't', database: 't' });
    const files: Record<string, string> = {};
    for (let v = 1; v <= 20; v++)
      files[`${String(v).padStart(4, '0')}_m${v}.surql`] =
        `DEFINE TABLE t${v} SCHEMALESS;\nCREATE t${v}:1 SET v = ${v};`;
    folder = await tempMigrations(files);
  });
  afterEach(async () => {
    await db.close();
    await folder.dispose();
  });

  it('applies N migrations in N requests plus a fixed overhead, and boots a current schema in one', async () => {
    const counter = counting(db);
    const manager = await MigrationManager.create({ client: counter.client, directory: folder.dir, logger: false });
    expect(counter.count()).toBe(0);

    await manager.bootstrap();
    // read history, define the tables, take the lock, read again, learn how the server answers
    // transactions (once per connection), 20 migrations, release.
    expect(counter.count()).toBe(1 + 1 + 1 + 1 + 1 + 20 + 1);

    counter.reset();
    const restarted = await MigrationManager.create({ client: counter.client, directory: folder.dir, logger: false });
    expect(await restarted.bootstrap()).toEqual([]);
    expect(counter.count()).toBe(1);

    counter.reset();
    expect(await restarted.needsMigration()).toBe(false);
    expect(counter.count()).toBe(1);
  });
  it('applies repeatable definitions in one request each, and a no-op start with them still costs one', async () => {
    await mkdir(path.join(folder.dir, 'repeatable'));
    for (const name of ['a', 'b', 'c'])
      await writeFile(
        path.join(folder.dir, 'repeatable', `${name}.surql`),
        `DEFINE FUNCTION OVERWRITE fn::${name}() { RETURN '${name}' };`,
      );
    const counter = counting(db);
    const manager = await MigrationManager.create({ client: counter.client, directory: folder.dir, logger: false });
    await manager.bootstrap();
    // As above, plus the repeatables' table (defined once) and one request per repeatable.
    expect(counter.count()).toBe(1 + 1 + 1 + 1 + 1 + 20 + 1 + 3 + 1);

    counter.reset();
    const restarted = await MigrationManager.create({ client: counter.client, directory: folder.dir, logger: false });
    expect(await restarted.bootstrap()).toEqual([]);
    expect(counter.count()).toBe(1);
    const [names] = await db.query<[string[]]>('SELECT VALUE name FROM _sbl_migrations_repeatable ORDER BY name');
    expect(names).toEqual(['a', 'b', 'c']);
  });
});
