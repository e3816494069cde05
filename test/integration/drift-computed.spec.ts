import { MigrationManager, type DriftReport } from '../../src/index.js';
import { memOptions, tempMigrations, type TempMigrations } from '../support/migrations-dir.js';
import { ENGINE, itOn } from '../support/engine.js';

/**
 * Drift compares what is schema (issue 19, item 6): a clause the engine evaluates when the DEFINE
 * runs (a param's VALUE; on SurrealDB 3 a COMMENT, a sequence's numbers, an access's durations)
 * stores a value no shadow reproduces. Written as an expression, it is not compared, and the object
 * is reported once as computed; the rest of its definition, and every literal, is still compared.
 */
describe(`drift of definitions computed when they ran (SurrealDB ${ENGINE === 'v2' ? 2 : 3})`, () => {
  let folder: TempMigrations;
  let manager: MigrationManager | undefined;
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await folder.dispose();
  });

  async function migrated(files: Record<string, string>, where = { namespace: 'acme', database: 'live' }) {
    folder = await tempMigrations(files);
    manager = await MigrationManager.create({ ...memOptions(folder.dir), ...where, logger: false });
    await manager.runMigrationUp();
    return manager;
  }

  async function byHand(text: string): Promise<void> {
    const answers = await manager!.db.query(text).responses();
    expect(answers.filter((a) => !a.success)).toEqual([]);
  }

  const changed = (report: DriftReport) => report.drift.map((d) => [d.change, d.kind, d.name]);
  const computedNames = (report: DriftReport) => report.computed.map((c) => [c.kind, c.name, c.clauses]);

  /** Params whose value is computed, one of each class of expression. */
  const COMPUTED_PARAMS = {
    '0001_params.surql': [
      'DEFINE TABLE counter SCHEMALESS;',
      'CREATE counter:1 SET n = 7;',
      'DEFINE FUNCTION fn::stamp() { RETURN rand::uuid(); };',
      'DEFINE PARAM $now VALUE time::now();',
      'DEFINE PARAM $id VALUE rand::uuid();',
      'DEFINE PARAM $db VALUE session::db();',
      'DEFINE PARAM $ns VALUE session::ns();',
      'DEFINE PARAM $count VALUE (SELECT VALUE n FROM counter);',
      'DEFINE PARAM $read VALUE counter:1.n;',
      'DEFINE PARAM $own VALUE fn::stamp();',
      'DEFINE PARAM $sum VALUE 1 + 2;',
      "DEFINE PARAM $cast VALUE <datetime> '2020-01-01';",
      'DEFINE PARAM $ref VALUE $now;',
      'DEFINE PARAM $nested VALUE { at: time::now(), tags: [rand::uuid()] };',
      "DEFINE PARAM $kept VALUE time::now() COMMENT 'when the schema was made' PERMISSIONS WHERE $auth.admin = true;",
      '{ DEFINE PARAM $inBlock VALUE rand::uuid(); };',
    ].join('\n'),
  };

  /** Params whose value is a literal: compared as written. */
  const LITERAL_PARAMS = {
    '0002_literals.surql': [
      'DEFINE PARAM $size VALUE 50;',
      'DEFINE PARAM $negative VALUE -5;',
      "DEFINE PARAM $name VALUE 'acme';",
      'DEFINE PARAM $config VALUE { size: 50, tags: [\'a\', "b"], ok: true, none: NONE, every: 1h30m };',
      "DEFINE PARAM $from VALUE d'2020-01-01T00:00:00Z';",
      'DEFINE PARAM $owner VALUE counter:1;',
    ].join('\n'),
  };

  it('is none right after `up`: each computed param is reported once, as computed, never as drift', async () => {
    const m = await migrated({ ...COMPUTED_PARAMS, ...LITERAL_PARAMS });
    const report = await m.drift();
    expect(report.drift).toEqual([]);
    expect(report.ok).toBe(true);
    expect(computedNames(report)).toEqual(
      ['cast', 'count', 'db', 'id', 'inBlock', 'kept', 'nested', 'now', 'ns', 'own', 'read', 'ref', 'sum'].map(
        (name) => ['param', name, ['value']],
      ),
    );
  });

  it('still finds a literal param edited by hand, and a computed one added, removed or re-permitted', async () => {
    const m = await migrated({ ...COMPUTED_PARAMS, ...LITERAL_PARAMS });
    await byHand(
      [
        'DEFINE PARAM OVERWRITE $size VALUE 51;',
        "DEFINE PARAM OVERWRITE $config VALUE { size: 50, tags: ['a', 'c'], ok: true, none: NONE, every: 1h30m };",
        "DEFINE PARAM OVERWRITE $kept VALUE time::now() COMMENT 'changed' PERMISSIONS WHERE $auth.admin = true;",
        'DEFINE PARAM OVERWRITE $now VALUE time::now() PERMISSIONS NONE;',
        'REMOVE PARAM $id;',
        'DEFINE PARAM $extra VALUE time::now();',
        // A computed value redefined by hand: its value is not compared.
        'DEFINE PARAM OVERWRITE $db VALUE rand::uuid();',
      ].join('\n'),
    );
    const report = await m.drift();
    expect(changed(report)).toEqual([
      ['changed', 'param', 'config'],
      ['added', 'param', 'extra'],
      ['removed', 'param', 'id'],
      ['changed', 'param', 'kept'],
      ['changed', 'param', 'now'],
      ['changed', 'param', 'size'],
    ]);
    // Both definitions, as the engine writes them.
    expect(report.drift.find((d) => d.name === 'size')).toMatchObject({
      live: expect.stringContaining('VALUE 51'),
      expected: expect.stringContaining('VALUE 50'),
    });
    expect(computedNames(report).map(([, name]) => name)).not.toContain('id');
    expect(computedNames(report).map(([, name]) => name)).toContain('db');
  });

  it('builds its shadow under the live names: what depends on session::ns() and session::db() is no drift', async () => {
    const m = await migrated(
      {
        '0001_by_name.surql': [
          "IF session::ns() = 'acme' AND session::db() = 'live' { DEFINE TABLE only_here SCHEMALESS; }",
          'ELSE { DEFINE TABLE elsewhere SCHEMALESS; };',
        ].join('\n'),
      },
      { namespace: 'acme', database: 'live' },
    );
    expect(await m.drift()).toMatchObject({ ok: true, drift: [] });
  });

  it('reads a DEFINE PARAM inside a function the migration calls', async () => {
    // Defined by a function the migration calls: no DEFINE PARAM statement to read.
    const m = await migrated({
      '0001_indirect.surql':
        'DEFINE FUNCTION fn::setup() { DEFINE PARAM $made VALUE time::now(); RETURN true; };\nLET $done = fn::setup();',
    });
    const report = await m.drift();
    expect(report.drift).toEqual([]);
    expect(computedNames(report)).toEqual([['param', 'made', ['value']]]);
  });

  itOn(['v3'], 'SurrealDB 2 takes only a literal COMMENT, sequence start and duration')(
    'on SurrealDB 3, a COMMENT, a sequence’s numbers and an access’s durations written as expressions are not compared',
    async () => {
      const m = await migrated({
        '0001_v3.surql': [
          'DEFINE TABLE person SCHEMALESS COMMENT <string> time::now();',
          "DEFINE FIELD name ON person TYPE string COMMENT string::concat('made ', <string> time::now());",
          'DEFINE INDEX person_name ON person FIELDS name COMMENT <string> rand::uuid();',
          'DEFINE FIELD `odd name` ON person COMMENT <string> rand::uuid();',
          "DEFINE TABLE plain SCHEMALESS COMMENT 'a literal';",
          'DEFINE SEQUENCE ticket BATCH 10 + 10 START math::max([1, 7]) TIMEOUT 1s + 1s;',
          "DEFINE ACCESS api ON DATABASE TYPE JWT ALGORITHM HS512 KEY 'secret' DURATION FOR TOKEN 1h + 1h, FOR SESSION 1d;",
          "DEFINE PARAM $lit VALUE 5 COMMENT 'made ' + <string> time::now();",
        ].join('\n'),
      });
      const report = await m.drift();
      expect(report.drift).toEqual([]);
      expect(computedNames(report)).toEqual([
        ['param', 'lit', ['comment']],
        ['access', 'api', ['durations']],
        ['sequence', 'ticket', ['batch', 'start', 'timeout']],
        ['table', 'person', ['comment']],
        ['field', '`odd name`', ['comment']],
        ['field', 'name', ['comment']],
        ['index', 'person_name', ['comment']],
      ]);
      // What is literal is compared: the table's comment, the param's value.
      await byHand("DEFINE TABLE OVERWRITE plain SCHEMALESS COMMENT 'edited'; DEFINE PARAM OVERWRITE $lit VALUE 6;");
      expect(changed(await m.drift())).toEqual([
        ['changed', 'param', 'lit'],
        ['changed', 'table', 'plain'],
      ]);
    },
  );
});
