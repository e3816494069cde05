/**
 * `lint --fix`'s judge: of the candidate rewrites (v3-rewrites.ts), keep one only where the target
 * engine refuses the statement as written, at the candidate, and accepts it rewritten (at least up
 * to the end of the rewrite). The engine parses; nothing runs. A statement the engine accepts is
 * never rewritten, so a folder that lints clean on the target comes out byte for byte the same.
 */
import type { MigrationError } from '../support/run-errors.js';
import type { MigrationFile } from '../files/migration-files.js';
import { serverMessage } from '../db/surreal-errors.js';
import { surqlStatements } from '../surql/surql-splitter.js';
import { applyRewrites, findRewrites, type UpgradeRewrite } from '../surql/v3-rewrites.js';

/** A rewrite `lint --fix` made, where it is in the file as written. */
export interface AppliedRewrite {
  rule: UpgradeRewrite['rule'];
  /** 1-based; the column counts characters (code points), as SurrealDB's messages do. */
  line: number;
  column: number;
  from: string;
  to: string;
}

/** Where the engine refuses a text (line and column 1-based, in the text), or undefined when it parses. */
export interface ParseRefusal {
  line: number | undefined;
  column: number | undefined;
  message: string;
}

export type ParseCheck = (text: string) => Promise<ParseRefusal | undefined>;

/** The result of {@link upgradeOnEngine}. */
export interface EngineUpgrade {
  /** The script with the kept rewrites applied; the input itself when none was kept. */
  text: string;
  rewrites: AppliedRewrite[];
  /** When rewrites were kept: the engine's refusal of the whole rewritten script, if any. */
  refusal: ParseRefusal | undefined;
}

/**
 * A parser on a shadow database (`ShadowDatabase.parse`): each text is parsed by the engine as a
 * migration would be, without running it.
 */
export function parserOn(
  shadow: { parse(file: MigrationFile, direction: 'up' | 'down'): Promise<MigrationError | undefined> },
  file: string,
): ParseCheck {
  return async (text) => {
    const script: MigrationFile = {
      version: 0,
      name: '',
      direction: 'up',
      path: file,
      file,
      text,
      checksum: '',
      noTransaction: false,
      allowDataLoss: false,
      allowInvalidRows: false,
    };
    const error = await shadow.parse(script, 'up');
    return error && { line: error.line, column: error.column, message: serverMessage(error.reason) };
  };
}

/**
 * The script with the rewrites the engine asks for, statement by statement: while the engine
 * refuses a statement at a candidate, the candidate is applied, and kept if the engine then gets
 * past it. The whole rewritten script is then parsed again. `text` is the file as written (a BOM
 * and CRLF line ends stay).
 */
export async function upgradeOnEngine(text: string, parse: ParseCheck): Promise<EngineUpgrade> {
  const candidates = findRewrites(text);
  if (candidates.length === 0) return { text, rewrites: [], refusal: undefined };
  const kept: UpgradeRewrite[] = [];
  for (const statement of surqlStatements(text)) {
    const end = statement.offset + statement.text.length;
    const inside = candidates
      .filter((c) => c.start >= statement.offset && c.end <= end)
      .map((c) => ({ ...c, start: c.start - statement.offset, end: c.end - statement.offset }));
    if (inside.length === 0) continue;
    const accepted = await judgeStatement(statement.text, inside, parse);
    kept.push(...accepted.map((c) => ({ ...c, start: c.start + statement.offset, end: c.end + statement.offset })));
  }
  if (kept.length === 0) return { text, rewrites: [], refusal: undefined };
  const upgraded = applyRewrites(text, kept);
  // The file as discovery reads it: without a BOM, CRLF as LF.
  const refusal = await parse(upgraded.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
  return {
    text: upgraded,
    rewrites: kept.map((r) => ({ rule: r.rule, ...lineAndColumn(text, r.start), from: r.from, to: r.to })),
    refusal,
  };
}

/** The candidates of one statement the engine asks for, in source order. */
async function judgeStatement(
  statement: string,
  candidates: readonly UpgradeRewrite[],
  parse: ParseCheck,
): Promise<UpgradeRewrite[]> {
  const kept: UpgradeRewrite[] = [];
  const pending = [...candidates];
  let refusal = await parse(statement);
  while (refusal && pending.length > 0) {
    const current = applyRewrites(statement, kept);
    const at = offsetOf(current, refusal);
    const index = pending.findIndex((c) => {
      const start = shifted(c.start, kept);
      return at !== undefined && start <= at && at < start + (c.end - c.start);
    });
    if (index < 0) break;
    const candidate = pending[index]!;
    const trial = [...kept, candidate].sort((a, b) => a.start - b.start);
    const rewritten = applyRewrites(statement, trial);
    const after = await parse(rewritten);
    const past = shifted(candidate.start, trial) + candidate.replacement.length;
    if (after) {
      const now = offsetOf(rewritten, after);
      if (now === undefined || now < past) break;
    }
    kept.splice(0, kept.length, ...trial);
    pending.splice(index, 1);
    refusal = after;
  }
  return kept;
}

/** Where `offset` of the original text is after `rewrites` before it are applied. */
function shifted(offset: number, rewrites: readonly UpgradeRewrite[]): number {
  let delta = 0;
  for (const r of rewrites) if (r.end <= offset) delta += r.replacement.length - (r.end - r.start);
  return offset + delta;
}

/** The offset in `text` of a refusal's line and column (code points); its end when past it. */
function offsetOf(text: string, refusal: ParseRefusal): number | undefined {
  if (refusal.line === undefined) return undefined;
  let offset = 0;
  for (let line = 1; line < refusal.line; line++) {
    const newline = text.indexOf('\n', offset);
    if (newline < 0) return text.length;
    offset = newline + 1;
  }
  if (refusal.column === undefined) return text.length;
  for (let column = 1; column < refusal.column && offset < text.length; column++) {
    offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
  }
  return offset;
}

/** 1-based line and column (code points) of `offset`, as discovery reads the file (without a BOM). */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const line = text.slice(0, offset).split('\n').length;
  const from = lineStart === 0 && text.charCodeAt(0) === 0xfeff ? 1 : lineStart;
  return { line, column: [...text.slice(from, offset)].length + 1 };
}
