import {
  ChecksumMismatchError,
  FailedMigrationPendingError,
  MigrationError,
  MigrationManager,
  MissingMigrationFileError,
  OutOfOrderMigrationError,
  type MigrationsOptions,
} from '../../src/index.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { SURREALDB } from '../support/engine.js';

async function info(manager: MigrationManager): Promise<unknown> {
  const [result] = await manager.db.query<[unknown]>('INFO FOR DB');
  return result;
}

async function tableNames(manager: MigrationManager): Promise<string[]> {
  return Object.keys(((await info(manager)) as { tables: Record<string, string> }).tables).sort();
}

describe('integrity', () => {
  let folder: TempMigrations;
  const managers: MigrationManager[] = [];
  const open = async (extra: Partial<MigrationsOptions> = {}, db?: MigrationManager) => {
    const manager = await MigrationManager.create(
      db
        ? { client: db.db, directory: folder.dir, logger: false, ...extra }
        : { ...memOptions(folder.dir), logger: false, ...extra },
    );
    managers.push(manager);
    return manager;
  };

  afterEach(async () => {
    for (const manager of managers.splice(0).reverse()) await manager.close();
    await folder?.dispose();
  });

  it('refuses an edited applied file at bootstrap, and repair({ changed: true }) accepts it', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
    });
    const first = await open();
    await first.runMigrationUp();
    const storedSum = first.upMigrations[1]!.checksum;

    await folder.write('0002_b.surql', 'DEFINE TABLE b SCHEMAFULL;');
    await folder.write('0003_c.surql', 'DEFINE TABLE c SCHEMALESS;');
    const edited = await open({}, first);
    const error = await edited.bootstrap().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    const e = error as ChecksumMismatchError;
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.mismatches).toEqual([
      expect.objectContaining({ version: 2, stored: storedSum, current: edited.upMigrations[1]!.checksum }),
    ]);
    expect(e.message).toMatch(/0002_b\.surql/);
    expect(e.message).toMatch(/repair/);
    expect(await tableNames(edited)).not.toContain('c');

    const status = await edited.status();
    expect(status.applied.map((a) => [a.version, a.verified])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(status.drifted.map((d) => d.version)).toEqual([2]);

    expect(await edited.repair()).toEqual([]);
    await expect(edited.bootstrap()).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(await edited.repair({ changed: true })).toEqual([2]);
    expect((await edited.bootstrap()).map((r) => r.version)).toEqual([3]);
    expect((await edited.status()).drifted).toEqual([]);
  });

  it('only warns about an edited file with validateChecksums: false', async () => {
    folder = await tempMigrations({ '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;' });
    const first = await open();
    await first.runMigrationUp();
    await folder.write('0001_a.surql', '-- edited\nDEFINE TABLE a SCHEMALESS;');
    await folder.write('0002_b.surql', 'DEFINE TABLE b SCHEMALESS;');
    const warnings: string[] = [];
    const relaxed = await open(
      { validateChecksums: false, logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} } },
      first,
    );
    expect((await relaxed.bootstrap()).map((r) => r.version)).toEqual([2]);
    expect(warnings.join('\n')).toMatch(/changed on disk/);
  });

  it('records checksums of adopted rows with repair(), and warns about them until then', async () => {
    folder = await tempMigrations({ '1.surrealql': 'DEFINE TABLE a SCHEMALESS;' });
    const warnings: string[] = [];
    const manager = await open({ logger: { log() {}, warn: (m: string) => warnings.push(m), error() {} } });
    await manager.db.query(
      'DEFINE TABLE a SCHEMALESS; CREATE _sbl_migrations:1 SET version = 1, applied_at = time::now();',
    );
    await manager.bootstrap();
    expect(warnings.join('\n')).toMatch(/no stored checksum/);
    expect((await manager.status()).applied[0]!.verified).toBeNull();
    expect(await manager.repair()).toEqual([1]);
    const [row] = await manager.db.query<[{ checksum: string; applied_at: unknown }[]]>(
      'SELECT * FROM _sbl_migrations',
    );
    expect(row[0]!.checksum).toBe(manager.upMigrations[0]!.checksum);
    expect(row[0]!.applied_at).toBeDefined();
    expect((await manager.status()).applied[0]!.verified).toBe(true);
  });

  it('refuses an applied migration whose file is gone, unless allowMissing', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
    });
    const first = await open();
    await first.runMigrationUp();
    await folder.remove('0002_b.surql');
    await folder.write('0003_c.surql', 'DEFINE TABLE c SCHEMALESS;');

    const strict = await open({}, first);
    const error = await strict.bootstrap().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingMigrationFileError);
    expect((error as MissingMigrationFileError).code).toBe('MISSING_FILE');
    expect((error as Error).message).toMatch(/2 \(b\)/);
    expect((await strict.status()).missing).toEqual([{ version: 2, name: 'b' }]);

    const lenient = await open({ allowMissing: true }, first);
    expect((await lenient.bootstrap()).map((r) => r.version)).toEqual([3]);
  });

  it('refuses an out-of-order migration, and applies it when allowed', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
    });
    const first = await open();
    await first.runMigrationUp();
    await folder.write('0002_b.surql', 'DEFINE TABLE b SCHEMALESS;');

    const strict = await open({}, first);
    const error = await strict.bootstrap().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutOfOrderMigrationError);
    expect((error as OutOfOrderMigrationError).code).toBe('OUT_OF_ORDER');
    expect((error as Error).message).toMatch(/2 \(.*0002_b\.surql\).*newest applied version 3/);
    expect(await tableNames(strict)).not.toContain('b');

    const lenient = await open({ allowOutOfOrder: true }, first);
    expect((await lenient.bootstrap()).map((r) => r.version)).toEqual([2]);
    expect(await tableNames(lenient)).toContain('b');
  });

  describe('no-transaction files', () => {
    // SurrealDB 2 calls a full-text index SEARCH.
    const analyzerAndIndex = `DEFINE ANALYZER simple TOKENIZERS blank, class FILTERS lowercase;\nDEFINE INDEX note_body ON note FIELDS body ${SURREALDB === 2 ? 'SEARCH' : 'FULLTEXT'} ANALYZER simple BM25;\n`;

    it('apply a FULLTEXT index over existing rows with an analyzer defined in the same file', async () => {
      folder = await tempMigrations({
        '0001_notes.surql':
          "DEFINE TABLE note SCHEMALESS;\nCREATE note:1 SET body = 'Hello World';\nCREATE note:2 SET body = 'other words';",
        '0002_search.surql': `-- Full-text search over notes.\n-- migrate:no-transaction\n${analyzerAndIndex}`,
      });
      const manager = await open();
      expect(manager.upMigrations.map((m) => m.noTransaction)).toEqual([false, true]);
      // Inside one transaction the index cannot see the analyzer defined before it.
      await manager.runner.runOneUp();
      await folder.write('0002_search.surql', analyzerAndIndex);
      await manager.refresh();
      await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(MigrationError);
      await folder.write(
        '0002_search.surql',
        `-- Full-text search over notes.\n-- migrate:no-transaction\n${analyzerAndIndex}`,
      );
      await manager.refresh();
      expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([2]);
      const [hits] = await manager.db.query<[{ id: unknown }[]]>("SELECT id FROM note WHERE body @@ 'hello'");
      expect(hits.map((h) => String(h.id))).toEqual(['note:1']);
      expect(await manager.getCurrentVersion()).toBe(2);
    });

    it('record a failure part-way, refuse start-up, and go on after resolve', async () => {
      folder = await tempMigrations({
        '0001_base.surql': 'DEFINE TABLE base SCHEMALESS;',
        '0002_partial.surql':
          '-- migrate:no-transaction\nDEFINE TABLE one SCHEMALESS;\nDEFINE TABLE two SCHEMALESS;\nTHROW "statement three fails";\nDEFINE TABLE four SCHEMALESS;\nDEFINE TABLE five SCHEMALESS;\n',
        '0003_after.surql': 'DEFINE TABLE after SCHEMALESS;',
      });
      const manager = await open();
      const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
      expect(error).toBeInstanceOf(MigrationError);
      expect(error.line).toBe(4);
      expect(error.message).toMatch(/0002_partial\.surql:4/);
      expect(error.message).toMatch(/statement three fails/);
      expect(error.message).toMatch(/statements 1-2 of 5 were applied/);
      expect(error.message).toMatch(/resolve\(2/);
      const tables = await tableNames(manager);
      expect(tables).toEqual(expect.arrayContaining(['one', 'two']));
      expect(tables).not.toContain('four');
      expect(await manager.getCurrentVersion()).toBe(1);
      const [failedRows] = await manager.db.query<[Record<string, unknown>[]]>('SELECT * FROM _sbl_migrations_failed');
      expect(failedRows).toEqual([
        expect.objectContaining({
          version: 2,
          statements_applied: 2,
          statement_count: 5,
          error: expect.stringMatching(/statement three fails/),
        }),
      ]);

      // Start-up refuses, in 'apply' and 'validate' alike.
      const restarted = await open({}, manager);
      const refusal = await restarted.bootstrap().catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(FailedMigrationPendingError);
      expect((refusal as FailedMigrationPendingError).code).toBe('FAILED_MIGRATION_PENDING');
      expect((refusal as Error).message).toMatch(/2 .*0002_partial\.surql: 2 statement\(s\) applied/);
      expect((await restarted.status()).failed.map((f) => f.version)).toEqual([2]);

      // The operator finishes the job by hand, then resolves.
      await manager.db.query('DEFINE TABLE four SCHEMALESS; DEFINE TABLE five SCHEMALESS;');
      await restarted.resolve(2, 'applied');
      expect((await restarted.bootstrap()).map((r) => r.version)).toEqual([3]);
      expect((await restarted.status()).failed).toEqual([]);
      expect(await restarted.getCurrentVersion()).toBe(3);
    });

    it("leave a usable manager in mode 'off', where resolve('rolled-back') clears the record", async () => {
      folder = await tempMigrations({
        '0001_partial.surql': '-- migrate:no-transaction\nDEFINE TABLE one SCHEMALESS;\nTHROW "no";\n',
      });
      const manager = await open();
      await expect(manager.runMigrationUp()).rejects.toBeInstanceOf(MigrationError);
      const off = await open({ mode: 'off' }, manager);
      await expect(off.bootstrap()).resolves.toEqual([]);
      expect((await off.status()).failed.map((f) => [f.version, f.statementsApplied])).toEqual([[1, 1]]);
      await off.db.query('REMOVE TABLE one;');
      await off.resolve(1, 'rolled-back');
      expect((await off.status()).failed).toEqual([]);
      expect((await off.status()).pending.map((p) => p.version)).toEqual([1]);
      await expect(off.resolve(1, 'applied')).rejects.toThrow(/no failed record/);
    });
  });

  it('refuses BEGIN/COMMIT inside a script, naming the line', async () => {
    folder = await tempMigrations({
      '0001_tx.surql': 'DEFINE TABLE a SCHEMALESS;\nBEGIN TRANSACTION;\nDEFINE TABLE b;\nCOMMIT;',
    });
    const manager = await open();
    const error = (await manager.runMigrationUp().catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/BEGIN is not allowed/);
    expect(await tableNames(manager)).not.toContain('a');
  });

  describe('plan and dry run', () => {
    it('plan lists what would run, touching nothing', async () => {
      folder = await tempMigrations({
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;\nDEFINE FIELD x ON a TYPE int;',
        '0001_a.down.surql': 'REMOVE TABLE a;',
        '0002_b.surql': '-- migrate:no-transaction\nDEFINE TABLE b SCHEMALESS;',
        '0002_b.down.surql': 'REMOVE TABLE b;',
      });
      const manager = await open();
      const before = await info(manager);
      expect(await manager.plan()).toEqual({
        direction: 'up',
        migrations: [
          expect.objectContaining({ version: 1, name: 'a', statements: 2, noTransaction: false }),
          expect.objectContaining({ version: 2, name: 'b', statements: 1, noTransaction: true }),
        ],
        // The checks a run makes before it applies anything (data-safety.md) find nothing to refuse.
        refusals: { dataLoss: [], invalidRows: [] },
        // No repeatable/ folder: nothing after the versions.
        repeatable: { pending: [], deleted: [] },
      });
      expect(await info(manager)).toEqual(before);
      await manager.runMigrationUp();
      const down = await manager.plan({ direction: 'down', to: 0 });
      expect(down.migrations.map((m) => [m.version, m.file.endsWith('0002_b.down.surql')])).toEqual([
        [2, true],
        [1, false],
      ]);
    });

    it('dry run executes every pending migration in order and leaves INFO FOR DB identical', async () => {
      folder = await tempMigrations({
        '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      });
      const manager = await open();
      await manager.runMigrationUp();
      await folder.write(
        '0002_b.surql',
        'DEFINE TABLE b SCHEMAFULL;\nDEFINE FIELD n ON b TYPE int;\nCREATE b:1 SET n = 1;',
      );
      // 0003 depends on 0002: it only passes if it sees 0002's effects.
      await folder.write(
        '0003_c.surql',
        'UPDATE b:1 SET n = 2;\nIF (SELECT VALUE n FROM ONLY b:1) != 2 { THROW "did not see 0002" };',
      );
      await folder.write('0004_d.surql', '-- migrate:no-transaction\nDEFINE TABLE d SCHEMALESS;');
      await manager.refresh();
      const before = await info(manager);
      const report = await manager.dryRun();
      expect(report.verified.map((m) => m.version)).toEqual([2, 3]);
      expect(report.notVerifiable.map((m) => m.version)).toEqual([4]);
      expect(await info(manager)).toEqual(before);
      expect(await manager.getCurrentVersion()).toBe(1);
    });

    it('dry run reports the failing file and line', async () => {
      folder = await tempMigrations({
        '0001_a.surql': 'DEFINE TABLE a SCHEMAFULL;\nDEFINE FIELD n ON a TYPE int;',
        '0002_b.surql': '-- bad data\n\nCREATE a:1 SET n = "x";',
      });
      const manager = await open();
      const before = await info(manager);
      const error = (await manager.dryRun().catch((e: unknown) => e)) as MigrationError;
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ version: 2, line: 3 });
      expect(error.message).toMatch(/0002_b\.surql:3/);
      expect(await info(manager)).toEqual(before);
    });
  });

  it('baseline records versions as applied without running them', async () => {
    folder = await tempMigrations({
      '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
      '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
      '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
    });
    const manager = await open();
    await manager.db.query('DEFINE TABLE a SCHEMALESS; DEFINE TABLE b SCHEMALESS;');
    expect(await manager.baseline(2)).toEqual([1, 2]);
    const status = await manager.status();
    expect(status.applied.map((a) => [a.version, a.verified])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(status.pending.map((p) => p.version)).toEqual([3]);
    expect((await manager.runMigrationUp()).map((r) => r.version)).toEqual([3]);
    expect(await manager.baseline(3)).toEqual([]);
  });

  it('baseline records more versions than one write transaction holds', async () => {
    const files: Record<string, string> = {};
    for (let v = 1; v <= 1201; v++) files[`${v}.surql`] = '';
    folder = await tempMigrations(files);
    const manager = await open();
    expect(await manager.baseline(1201)).toHaveLength(1201);
    const [count] = await manager.db.query<[number]>('RETURN count(SELECT VALUE version FROM _sbl_migrations)');
    expect(count).toBe(1201);
    expect(await manager.needsMigration()).toBe(false);
  });
});
