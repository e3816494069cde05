/**
 * The migration, up and down, from one schema to another. Each change becomes units of work
 * (schema-units.ts), put in dependency order in each direction; the down is planned as the up of
 * the inverse change, so both obey the same rules.
 *
 * What cannot share a transaction is split into two migrations (`part` 0, then 1):
 * - an index over a table that already exists (and so may hold rows) is built with the analyzers
 *   committed before its transaction: one this diff defines fails it ("The analyzer 'simple' does
 *   not exist"), so such analyzers, and what they use, go first;
 * - a view defined again: SurrealDB 3 cannot define a view in the transaction that removed it
 *   ("The key being inserted already exists"), so its removal, and what must precede it, go first.
 */
import { MigrationArgumentError } from '../support/errors.js';
import { PossibleRenameError } from '../support/state-errors.js';
import { SECRET_PLACEHOLDER } from './schema-secrets.js';
import { isView, orderUnits, ranked, unitEdges, Direction, type Unit } from './schema-units.js';
import { compareSchemas, describeObject, schemaKey, type DatabaseSchema, type SchemaChange } from '../shadow/shadow.js';

export { overwrite } from './schema-units.js';

/** A step of a generated migration: one change, and the statements that make and undo it. */
export interface DiffStep {
  change: SchemaChange;
  /** Its statements in the up, and in the down (empty when a recreated view's statements cover it). */
  up: string;
  down: string;
  /** REMOVE TABLE, REMOVE FIELD, a changed field type, or a table that becomes a view: data may be lost. */
  destructive: boolean;
  /** A DEFINE of it leaves out a secret the server hides: the real one is to be set by hand. */
  secret: boolean;
  /** @internal The units of work of each direction. */
  units: { up: Unit[]; down: Unit[] };
}

/** The next migration, from `current` to `desired`. Refuses a possible rename, never guesses. */
export function planDiff(current: DatabaseSchema, desired: DatabaseSchema): DiffStep[] {
  const changes = compareSchemas(current, desired);
  refuseRenames(changes.filter((c) => !isItemField(c)));
  // SurrealDB 3 has no REMOVE CONFIG: a config added or removed cannot be undone by a migration.
  const config = changes.find((c) => c.kind === 'config' && c.change !== 'changed');
  if (config) {
    throw new MigrationArgumentError(
      `diff: ${describeObject(config)} is ${config.change}, and SurrealDB has no REMOVE CONFIG to write its ` +
        `${config.change === 'added' ? 'down' : 'up'} with. Write that change in a migration by hand.`,
    );
  }
  const up = new Direction(current, desired);
  const down = new Direction(desired, current);
  const steps: DiffStep[] = changes.map((change) => {
    const key = schemaKey(change);
    const units = { up: up.units(key), down: down.units(key) };
    const before = up.from.get(key);
    const destructive =
      (change.change === 'removed' && (change.kind === 'field' || (change.kind === 'table' && !isView(before)))) ||
      (change.change === 'changed' && change.kind === 'field' && typeOf(change.before!) !== typeOf(change.after!)) ||
      (change.change === 'changed' && change.kind === 'table' && !isView(before) && isView(up.to.get(key)));
    const mark = units.up.find((u) => u.removal === (change.change === 'removed' || up.recreated.has(key)));
    if (destructive && mark) {
      mark.statements.unshift(`-- DESTRUCTIVE: ${change.change} ${describeObject(change)}; data may be lost.`);
    }
    const written = (list: Unit[]) => list.flatMap((u) => u.statements).join('\n');
    return {
      change,
      up: written(units.up),
      down: written(units.down),
      destructive,
      secret: [...units.up, ...units.down].some((u) => u.statements.some((s) => s.startsWith('-- SECRET:'))),
      units,
    };
  });
  // A key the server hides cannot be written: its placeholder would be a key anyone can read.
  const hidden = steps.find((s) => s.up.includes(SECRET_PLACEHOLDER) || s.down.includes(SECRET_PLACEHOLDER));
  if (hidden) {
    throw new MigrationArgumentError(
      `diff: ${describeObject(hidden.change)} is ${hidden.change.change}, and it signs with a key the server shows ` +
        `only as [REDACTED], so its DEFINE cannot be written from the schema. Write that change in a migration by hand.`,
    );
  }
  assignParts(steps, current, desired);
  const order = new Map(
    orderUnits(steps.flatMap((s) => s.units.up))
      .sort((a, b) => a.part - b.part)
      .map((u, i) => [u, i]),
  );
  const first = (s: DiffStep) => Math.min(Infinity, ...s.units.up.map((u) => order.get(u)!));
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => first(a.s) - first(b.s) || a.i - b.i)
    .map(({ s }) => s);
}

/**
 * Puts what must commit first into part 0 and the rest into part 1 (all in 0 when nothing must).
 * The down of each migration undoes its up and runs in reverse order (part 1's down first), so
 * what the down must commit first goes to part 1. Parts are kept so that each migration's up and
 * down run in dependency order.
 */
function assignParts(steps: readonly DiffStep[], current: DatabaseSchema, desired: DatabaseSchema): void {
  // Each down unit undoes an up unit: a recreated view's DEFINE of the old view undoes its
  // removal, its removal of the new one undoes the new DEFINE.
  const counterpart = new Map<Unit, Unit>();
  for (const s of steps) {
    const [a, b] = s.units.up;
    const [c, d] = s.units.down;
    if (b && c && d) {
      counterpart.set(c, b);
      counterpart.set(d, a!);
    } else if (a) for (const u of s.units.down) counterpart.set(u, a);
  }
  const first = new Set<Unit>();
  const last = new Set<Unit>();
  for (const [x, y] of commitFirst(steps, 'up', current)) {
    first.add(x);
    last.add(y);
  }
  for (const [x, y] of commitFirst(steps, 'down', desired)) {
    last.add(counterpart.get(x)!);
    first.add(counterpart.get(y)!);
  }
  if (first.size === 0) return;
  // Part 0 holds what precedes its units in the up, and what follows them in the down.
  const upBefore = neighbours(
    steps.flatMap((s) => s.units.up),
    'before',
  );
  const downAfter = neighbours(
    steps.flatMap((s) => s.units.down),
    'after',
  );
  const downOf = new Map<Unit, Unit[]>();
  for (const [down, up] of counterpart) downOf.set(up, [...(downOf.get(up) ?? []), down]);
  const part0 = new Set<Unit>();
  const pending = [...first];
  for (let u = pending.pop(); u !== undefined; u = pending.pop()) {
    if (part0.has(u)) continue;
    part0.add(u);
    pending.push(...(upBefore.get(u) ?? []));
    for (const d of downOf.get(u) ?? []) pending.push(...(downAfter.get(d) ?? []).map((n) => counterpart.get(n)!));
  }
  const clash = [...last].find((u) => part0.has(u));
  if (clash) {
    throw new MigrationArgumentError(
      `diff: the steps around ${describeObject(clash.object)} need more than two migrations, each committed ` +
        `before the next (an analyzer and the index that uses it, a view defined again). Reach the desired ` +
        `schema in two diffs: first with part of the change, then the rest.`,
    );
  }
  for (const s of steps) for (const u of s.units.up) u.part = part0.has(u) ? 0 : 1;
  for (const [down, up] of counterpart) down.part = up.part;
}

/**
 * Pairs `[a, b]` of one direction's units where `a` must be committed before `b` runs: a view's
 * removal and its new DEFINE; an analyzer this direction defines, and an index that uses it on a
 * table that exists before (and so may hold rows).
 */
function commitFirst(steps: readonly DiffStep[], direction: 'up' | 'down', from: DatabaseSchema): [Unit, Unit][] {
  const pairs: [Unit, Unit][] = [];
  const units = steps.flatMap((s) => s.units[direction]);
  for (const s of steps) {
    const [a, b] = s.units[direction];
    if (a?.viewDrop && b) pairs.push([a, b]);
  }
  const definer = new Map<string, Unit>();
  for (const u of units) for (const d of u.defines) definer.set(d, u);
  const tables = new Set(from.filter((o) => o.kind === 'table').map((o) => o.name));
  for (const u of units) {
    for (const index of u.defines.filter((d) => d.startsWith('index\u0000'))) {
      if (!tables.has(index.split('\u0000')[1]!)) continue;
      for (const used of u.uses.filter((k) => k.startsWith('analyzer\u0000'))) {
        const analyzer = definer.get(used);
        if (analyzer && analyzer !== u) pairs.push([analyzer, u]);
      }
    }
  }
  return pairs;
}

/** For each unit, the units that must run right before it (`before`) or after it (`after`). */
function neighbours(units: readonly Unit[], which: 'before' | 'after'): Map<Unit, Unit[]> {
  const list = ranked(units);
  const out = new Map<Unit, Unit[]>();
  for (const [a, b] of unitEdges(list)) {
    const [key, value] = which === 'before' ? [list[b]!, list[a]!] : [list[a]!, list[b]!];
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** How many migrations a diff writes: 1, or 2 when something must be committed first. */
export function diffParts(steps: readonly DiffStep[]): number {
  return steps.some((s) => s.units.up.some((u) => u.part > 0)) ? 2 : 1;
}

/** `tags.*`: an item field, which its array field's DEFINE defines too. */
function isItemField(o: Pick<SchemaChange, 'kind' | 'name'>): boolean {
  return o.kind === 'field' && /(\.\*|\[\*\])$/.test(o.name);
}

function typeOf(definition: string): string {
  return (
    /\bTYPE\s+(.+?)(?:\s+(?:DEFAULT|VALUE|ASSERT|READONLY|PERMISSIONS|COMMENT|FLEXIBLE|REFERENCE|COMPUTED)\b|$)/.exec(
      definition,
    )?.[1] ?? ''
  );
}

/**
 * A removal and an addition of the same kind in one table (or of two tables) could be a rename:
 * generating REMOVE then DEFINE would drop its data. Refused, naming both.
 */
function refuseRenames(changes: readonly SchemaChange[]): void {
  const removed = changes.filter((c) => c.change === 'removed');
  const added = changes.filter((c) => c.change === 'added');
  for (const r of removed) {
    const twin = added.find((a) => a.kind === r.kind && a.table === r.table);
    if (twin) throw new PossibleRenameError(describeObject(r), describeObject(twin));
  }
}

/**
 * The up and down scripts of a diff's migration `part` (all of it when not given), with
 * destructive steps and left-out secrets marked. `note` is a comment line under the header.
 */
export function renderDiff(
  steps: readonly DiffStep[],
  name: string,
  options: { part?: number; note?: string } = {},
): { up: string; down: string; destructive: string[]; secrets: string[] } {
  const inPart = (u: Unit) => options.part === undefined || u.part === options.part;
  const mine = steps.filter((s) => [...s.units.up, ...s.units.down].some(inPart) || s.units.up.length === 0);
  const describe = (s: DiffStep) => `${s.change.change} ${describeObject(s.change)}`;
  const header = (direction: string) =>
    `-- ${name} (${direction}), generated by \`surreal-migrate diff\`.\n${options.note ? `-- ${options.note}\n` : ''}`;
  const body = (units: Unit[]) =>
    orderUnits(units.filter(inPart))
      .flatMap((u) => u.statements)
      .join('\n');
  return {
    up: `${header('up')}${body(steps.flatMap((s) => s.units.up))}\n`,
    down: `${header('down')}${body(steps.flatMap((s) => s.units.down))}\n`,
    destructive: mine.filter((s) => s.destructive && s.units.up.some(inPart)).map(describe),
    secrets: mine.filter((s) => s.secret && [...s.units.up, ...s.units.down].some(inPart)).map(describe),
  };
}
