import { upgradeHint, upgradeScript } from '../../src/core/v3-upgrade.js';

describe('the SurrealDB 2 -> 3 rewrites', () => {
  it('rewrite code, and leave strings, identifiers and comments as written', () => {
    const source =
      'DEFINE FIELD x ON a FLEXIBLE TYPE object; -- FLEXIBLE TYPE object\n' +
      'RETURN type::is::string("type::is::x"); /* SEARCH ANALYZER a */ # type::thing\n' +
      'DEFINE INDEX i ON t FIELDS b SEARCH ANALYZER s BM25 DOC_IDS_ORDER 100;';
    expect(upgradeScript(source)).toEqual({
      text:
        'DEFINE FIELD x ON a TYPE object FLEXIBLE; -- FLEXIBLE TYPE object\n' +
        'RETURN type::is_string("type::is::x"); /* SEARCH ANALYZER a */ # type::thing\n' +
        'DEFINE INDEX i ON t FIELDS b FULLTEXT ANALYZER s BM25;',
      rules: ['renamed-function', 'flexible-placement', 'search-analyzer'],
    });
  });

  it('leave FLEXIBLE on a type that is not an object for a person, with its hint', () => {
    const source = 'DEFINE FIELD x ON a FLEXIBLE TYPE string;';
    expect(upgradeScript(source)).toEqual({ text: source, rules: [] });
    expect(upgradeHint('FLEXIBLE can only be used with types containing object', source)).toMatch(
      /only an object type/,
    );
  });

  it('give a typo no rename hint', () => {
    expect(upgradeHint('Invalid function/constant path, did you maybe mean `string::len`', 'string::lenght($v)')).toBe(
      undefined,
    );
  });
});
