/**
 * A folder with one object of every kind the schema prints in these tests: an analyzer, a
 * function, a param, tables (a relation table among them), an `array<string>` field (and so its
 * `tags.*` item field), indexes and an event.
 */
export const RICH_FOLDER: Record<string, string> = {
  '0001_people.surql': [
    'DEFINE ANALYZER simple TOKENIZERS blank FILTERS lowercase;',
    'DEFINE FUNCTION fn::greet($name: string) { RETURN "Hello " + $name; };',
    'DEFINE PARAM $page_size VALUE 20;',
    'DEFINE TABLE person SCHEMAFULL;',
    'DEFINE FIELD name ON person TYPE string;',
    'DEFINE FIELD tags ON person TYPE array<string> DEFAULT [];',
    'DEFINE INDEX person_name ON person FIELDS name;',
    'DEFINE TABLE company SCHEMAFULL;',
    'DEFINE FIELD title ON company TYPE string;',
    'DEFINE TABLE works_at TYPE RELATION IN person OUT company SCHEMAFULL;',
    'DEFINE FIELD since ON works_at TYPE datetime;',
    'DEFINE TABLE log SCHEMALESS;',
    'DEFINE EVENT person_created ON person WHEN $event = "CREATE" THEN { CREATE log SET person = $after.id };',
    '',
  ].join('\n'),
  '0001_people.down.surql': [
    'REMOVE TABLE works_at;',
    'REMOVE TABLE company;',
    'REMOVE TABLE person;',
    'REMOVE TABLE log;',
    'REMOVE PARAM $page_size;',
    'REMOVE FUNCTION fn::greet;',
    'REMOVE ANALYZER simple;',
    '',
  ].join('\n'),
  '0002_nicknames.surql': 'DEFINE FIELD nickname ON person TYPE option<string>;\n',
  '0002_nicknames.down.surql': 'REMOVE FIELD nickname ON person;\n',
};

/** Three tables, one per migration, each with its down script. */
export const THREE_TABLES: Record<string, string> = {
  '0001_a.surql': 'DEFINE TABLE a SCHEMALESS;',
  '0001_a.down.surql': 'REMOVE TABLE a;',
  '0002_b.surql': 'DEFINE TABLE b SCHEMALESS;',
  '0002_b.down.surql': 'REMOVE TABLE b;',
  '0003_c.surql': 'DEFINE TABLE c SCHEMALESS;',
  '0003_c.down.surql': 'REMOVE TABLE c;',
};
