import fc from 'fast-check';

import { splitSurql, surqlStatements } from '../../src/core/surql/surql-splitter.js';

// ---------------------------------------------------------------------------
// Arbitrary inputs
// ---------------------------------------------------------------------------

/** Tokens that drive the lexer through all of its states. */
// prettier-ignore
const LEXER_TOKENS = [
  ';', ';', ';', ' ', '\n', '\r\n', '\r', '\t', "'", '"', '`', '⟨', '⟩', '\\',
  '-', '--', '/', '//', '/*', '*/', '*', '#', '{', '}', '(', ')', '[', ']',
  '=', ',', '->', '<-', 'a', 'RETURN', 'AND', '$x', '1', 'é', '😀', '\uFEFF',
  '\u2028', '\u0085', '\u00A0', ':',
];

const anyInput = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 200,
  }),
  fc.string({ unit: fc.constantFrom(...LEXER_TOKENS), maxLength: 200 }),
);

/** Line and column of `offset`, computed the slow and obvious way. */
function lineColumnAt(source: string, offset: number): [number, number] {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return [line, column];
}

// SurrealDB's whitespace (a BOM is not: only a leading one is skipped, as the file's).
const ASCII_WS = /^[ \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/;

// ---------------------------------------------------------------------------
// A grammar of statements whose only ';' are nested or quoted
// ---------------------------------------------------------------------------

/** Building blocks of contents; none is a line terminator except the CRLF/LF units. */
// prettier-ignore
const COMMON = [
  'a', 'Z', '0', ' ', ';', ';', '-', '--', '/', '//', '/*', '*/', '*', '#',
  '{', '}', '(', ')', '[', ']', '<-', '->', 'é', '😀', '⟨', '⟩', '`', "'",
  '"', '\n', '\r\n',
];

function contentOf(units: string[], escapes: string[] = []) {
  const unit =
    escapes.length > 0
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...units) },
          { weight: 1, arbitrary: fc.constantFrom(...escapes) },
        )
      : fc.constantFrom(...units);
  return fc.string({ unit, maxLength: 12 });
}

const without = (...excluded: string[]) => COMMON.filter((u) => !excluded.includes(u));

const ws = fc.constantFrom(' ', '  ', '\n', '\r\n', '\t', ' \n  ', '\n\n');

const quoted = fc
  .tuple(fc.constantFrom('', 'r', 'd', 'u', 's', 'b'), fc.constantFrom("'", '"'))
  .chain(([prefix, q]) =>
    contentOf(without(q), ['\\' + q, '\\\\', '\\;', '\\n', '\\\n']).map((body) => `${prefix}${q}${body}${q}`),
  );

const backtickIdent = contentOf(without('`'), ['\\`', '\\\\']).map((body) => `\`${body}\``);

const angleIdent = contentOf(without('⟩'), ['\\⟩', '\\\\']).map((body) => `⟨${body}⟩`);

const lineComment = fc
  .tuple(fc.constantFrom('--', '#', '//'), contentOf(without('\n', '\r\n'), ['\\']), fc.constantFrom('\n', '\r\n'))
  .map(([marker, body, eol]) => marker + body + eol);

const blockComment = contentOf(without('*', '*/', '/*')).map((body) => `/*${body}*/`);

// prettier-ignore
const REGEX_UNITS = [
  'a', ';', ' ', '-', '--', '#', '{', '}', '(', ')', '[', ']', "'", '"', '`',
  '⟨', '⟩', 'é', '😀', '.',
];

const regex = fc
  .tuple(
    fc.constantFrom('=', 'CONTAINS', ',', 'AND', 'RETURN'),
    fc.string({
      unit: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...REGEX_UNITS) },
        { weight: 1, arbitrary: fc.constantFrom('\\/', '\\;', '\\\\') },
      ),
      minLength: 1,
      maxLength: 10,
    }),
  )
  // A regex where the engine expects a value: after an operator or an infix keyword that follows an
  // operand, or inside `( … )` after RETURN (a keyword where a value is expected is a name).
  .map(([head, body]) => (head === 'RETURN' ? `(RETURN /${body}/)` : `(a ${head} /${body}/)`));

const division = fc
  .tuple(fc.nat(99), fc.constantFrom(' / ', '/', ' /', '/ '), fc.nat(99))
  .map(([a, op, b]) => `${a}${op}${b}`);

// prettier-ignore
const WORDS = [
  'DEFINE', 'SELECT', 'RETURN', 'LET', 'IF', 'ELSE', 'FOR', 'IN', 'FROM',
  'WHERE', 'AND', 'value', 'x', 'r', 'd', '$a', '$return', 'person:1', 'fn::x',
  '10', '1.5', '3d', 'true',
];
const word = fc.constantFrom(...WORDS);

// prettier-ignore
const OPERATORS = [
  '=', '+', '-', '*', ',', ':', '->', '<-', '<->', '<string>', '..', '!=',
  '?:', '|$v|', '@@', '>', '<',
];
const operator = fc.constantFrom(...OPERATORS);

/** Joins pieces, each pair separated by whitespace. */
function spaced(pieces: Array<[string, string]>): string {
  return pieces.map(([p, sep], i) => (i < pieces.length - 1 ? p + sep : p)).join('');
}

const { piece, block } = fc.letrec<{ piece: string; block: string }>((tie) => ({
  piece: fc.oneof(
    { maxDepth: 3 },
    word,
    operator,
    quoted,
    backtickIdent,
    angleIdent,
    lineComment,
    blockComment,
    regex,
    division,
    tie('block'),
  ),
  block: fc
    .tuple(
      fc.constantFrom(['{', '}'], ['(', ')'], ['[', ']']),
      fc.array(fc.array(fc.tuple(tie('piece'), ws), { maxLength: 4 }), {
        maxLength: 3,
      }),
      ws,
      ws,
    )
    .map(([[open, close], stmts, w1, w2]) => open + w1 + stmts.map(spaced).join(';' + w1) + w2 + close),
}));

/** A statement: never starts with whitespace or a comment. */
const statement = fc
  .tuple(fc.oneof(word, quoted, backtickIdent, angleIdent, block), fc.array(fc.tuple(ws, piece), { maxLength: 6 }))
  .map(([first, rest]) => ({
    text: first + rest.map(([w, p]) => w + p).join(''),
    keyword: /^[A-Za-z_]\w*$/.test(first) ? first.toUpperCase() : '',
  }));

const triviaUnit = fc.oneof(ws, lineComment, blockComment);
const trivia = fc.array(fc.oneof(triviaUnit, fc.constant(';')), { maxLength: 4 }).map((parts) => parts.join(''));
const triviaWithoutSemicolon = fc.array(triviaUnit, { maxLength: 3 }).map((parts) => parts.join(''));

interface Expected {
  text: string;
  offset: number;
  keyword: string;
}

const script = fc
  .record({
    lead: trivia,
    stmts: fc.array(fc.record({ stmt: statement, after: trivia }), {
      maxLength: 6,
    }),
    lastHasSemicolon: fc.boolean(),
    tail: fc.tuple(ws, triviaWithoutSemicolon).map(([w, t]) => w + t),
  })
  .map(({ lead, stmts, lastHasSemicolon, tail }) => {
    let source = lead;
    const expected: Expected[] = [];
    stmts.forEach(({ stmt, after }, i) => {
      const offset = source.length;
      const last = i === stmts.length - 1;
      if (last && !lastHasSemicolon) {
        // No ';': trailing comments belong to the statement text.
        source += stmt.text + tail;
        expected.push({
          offset,
          keyword: stmt.keyword,
          text: (stmt.text + tail).trimEnd(),
        });
      } else {
        source += `${stmt.text};${after}`;
        expected.push({
          offset,
          keyword: stmt.keyword,
          text: stmt.text.trimEnd(),
        });
      }
    });
    return { source, expected };
  });

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

describe('splitSurql properties', () => {
  it('(1) never throws and joining raw gives back any input', () => {
    fc.assert(
      fc.property(anyInput, (source) => {
        const chunks = splitSurql(source);
        expect(chunks.map((c) => c.raw).join('')).toBe(source);
        expect(chunks.every((c) => c.raw.length > 0)).toBe(true);
        expect(chunks.slice(0, -1).every((c) => c.raw.endsWith(';'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('(2) yields exactly the statements of a generated script, with their positions', () => {
    fc.assert(
      fc.property(script, ({ source, expected }) => {
        const chunks = splitSurql(source);
        expect(chunks.map((c) => c.raw).join('')).toBe(source);
        const stmts = surqlStatements(source);
        expect(stmts.map((s) => s.text)).toEqual(expected.map((e) => e.text));
        expect(stmts.map((s) => s.offset)).toEqual(expected.map((e) => e.offset));
        expect(stmts.map((s) => [s.line, s.column])).toEqual(expected.map((e) => lineColumnAt(source, e.offset)));
        expect(stmts.map((s) => s.keyword)).toEqual(expected.map((e) => e.keyword));
      }),
      { numRuns: 400 },
    );
  });

  it('(2b) the generated statements are found the same with LF or CRLF line endings', () => {
    fc.assert(
      fc.property(script, ({ source }) => {
        const lf = source.replace(/\r\n/g, '\n');
        const crlf = lf.replace(/\n/g, '\r\n');
        const a = surqlStatements(lf);
        const b = surqlStatements(crlf);
        expect(b.map((s) => s.text.replace(/\r\n/g, '\n'))).toEqual(a.map((s) => s.text));
        expect(b.map((s) => [s.line, s.column])).toEqual(a.map((s) => [s.line, s.column]));
      }),
      { numRuns: 200 },
    );
  });

  it('(3) offsets, lines and columns are consistent for any input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyInput,
          script.map((s) => s.source),
        ),
        (source) => {
          let chunkStart = 0;
          for (const chunk of splitSurql(source)) {
            expect(source.slice(chunkStart).startsWith(chunk.raw)).toBe(true);
            expect(source.slice(chunk.offset).startsWith(chunk.text)).toBe(true);
            expect([chunk.line, chunk.column]).toEqual(lineColumnAt(source, chunk.offset));
            expect(chunk.empty).toBe(chunk.text === '');
            if (chunk.empty) {
              expect(chunk.offset).toBe(chunkStart);
              expect(chunk.keyword).toBe('');
            } else {
              expect(chunk.offset).toBeGreaterThanOrEqual(chunkStart);
              expect(chunk.offset + chunk.text.length).toBeLessThanOrEqual(chunkStart + chunk.raw.length);
              expect(ASCII_WS.test(chunk.text)).toBe(false);
              expect(ASCII_WS.test(chunk.text.slice(-1))).toBe(false);
              expect(chunk.text.toUpperCase().startsWith(chunk.keyword)).toBe(true);
            }
            chunkStart += chunk.raw.length;
          }
          expect(chunkStart).toBe(source.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
