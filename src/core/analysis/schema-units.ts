/**
 * The units of work of one direction of a diff (the up, or the down), and their order. A unit is
 * one or more statements that go together, with what they define, remove and need:
 *
 * - a definition comes after the definitions it uses that the same migration writes;
 * - a removal comes after every statement that stops using what it removes (a view re-pointed away
 *   from a table comes before that table's REMOVE);
 * - a view that changes (or a table that becomes one, or stops being one) is removed and defined
 *   again, with its fields, indexes and events, and so is every view that reads it: SurrealDB 3
 *   refuses to overwrite a view that holds rows and keeps its old source bound to it, and
 *   SurrealDB 2, on removing that source, turns the view into a plain table. Its rows are computed
 *   again from its sources;
 * - an array field defined again sets the type of its item fields (`tags.*`, `tags[*]`), so those
 *   are restated after it.
 */
import { definitionHead, removeStatement } from './schema-names.js';
import { dependencyOrder, refKey, usesOf } from './schema-order.js';
import { secretNote, withoutSecrets } from './schema-secrets.js';
import { compareObjects, schemaKey, type DatabaseSchema, type SchemaObject } from '../shadow/shadow.js';

/** Statements that go together, and what they define, remove and need. */
export interface Unit {
  statements: string[];
  defines: string[];
  removes: string[];
  /** What its definitions use: defined first. */
  uses: string[];
  /** What the definitions it replaces or removes used: removed only after it. */
  releases: string[];
  /** A view defined again: only after the tables it read are removed (SurrealDB 2 would strip it). */
  afterRemovalOf: string[];
  /** The object it is about, for the order among independent units. */
  object: Pick<SchemaObject, 'kind' | 'table' | 'name'>;
  removal: boolean;
  /** The removal of a view defined again, which cannot share a transaction with its new DEFINE. */
  viewDrop: boolean;
  /** Which migration of the diff it belongs to. */
  part: number;
}

export const isView = (o: SchemaObject | undefined): boolean =>
  o !== undefined && o.kind === 'table' && /\sAS\s+SELECT\b/i.test(o.definition);

/** `DEFINE FIELD x ON t …` → `DEFINE FIELD OVERWRITE x ON t …`. */
export function overwrite(definition: string): string {
  return definition.replace(/^DEFINE\s+([A-Z]+)\s+(?!OVERWRITE\b)(?:IF NOT EXISTS\s+)?/, 'DEFINE $1 OVERWRITE ');
}

/** A DEFINE to write: with OVERWRITE, without secrets, under a comment when one was left out. */
function defineStatements(o: SchemaObject): string[] {
  const { text, secret } = withoutSecrets(o.definition);
  const statement = `${overwrite(text)};`;
  return secret ? [secretNote(o, secret), statement] : [statement];
}

function emptyUnit(o: SchemaObject, removal: boolean): Unit {
  return {
    statements: [],
    defines: [],
    removes: [],
    uses: [],
    releases: [],
    afterRemovalOf: [],
    object: { kind: o.kind, table: o.table, name: o.name },
    removal,
    viewDrop: false,
    part: 0,
  };
}

const tableKey = (name: string) => schemaKey({ kind: 'table', table: undefined, name });

/** One direction of a diff: the schema it starts from and the one it reaches. */
export class Direction {
  readonly from: Map<string, SchemaObject>;
  readonly to: Map<string, SchemaObject>;
  /** Tables defined again in this direction: changed views and, transitively, the views that read one. */
  readonly recreated = new Set<string>();
  /** Unchanged views defined again with a view they read (key → that view's key). */
  readonly carried = new Map<string, string>();

  constructor(from: DatabaseSchema, to: DatabaseSchema) {
    this.from = new Map(from.map((o) => [schemaKey(o), o]));
    this.to = new Map(to.map((o) => [schemaKey(o), o]));
    for (const [key, before] of this.from) {
      const after = this.to.get(key);
      if (after && before.definition !== after.definition && (isView(before) || isView(after))) {
        this.recreated.add(key);
      }
    }
    // A view that reads a recreated table is recreated with it (SurrealDB 3 refuses to remove a
    // table a view reads).
    const views = [...this.from.values()].filter((o) => isView(o) && this.to.has(schemaKey(o)));
    for (let grew = true; grew;) {
      grew = false;
      for (const view of views) {
        const key = schemaKey(view);
        if (this.recreated.has(key)) continue;
        const source = usesOf(view).find((u) => this.recreated.has(u));
        if (source === undefined) continue;
        this.recreated.add(key);
        this.carried.set(key, source);
        grew = true;
      }
    }
  }

  /** The fields, indexes and events of a table in one schema, by kind and name. */
  children(schema: Map<string, SchemaObject>, table: string): SchemaObject[] {
    return [...schema.values()].filter((o) => o.table === table).sort(compareObjects);
  }

  /** The units that take one object from `from` to `to` (none where a recreated view's cover it). */
  units(key: string): Unit[] {
    const before = this.from.get(key);
    const after = this.to.get(key);
    const object = (after ?? before)!;
    if (object.table !== undefined && this.recreated.has(tableKey(object.table))) return [];
    if (this.recreated.has(key)) return this.recreate(key);
    if (!after) {
      return [
        {
          ...emptyUnit(object, true),
          statements: [`${removeStatement(before!)};`],
          removes: [refKey(before!)],
          releases: usesOf(before!),
        },
      ];
    }
    const unit: Unit = {
      ...emptyUnit(object, false),
      statements: defineStatements(after),
      defines: [refKey(after)],
      uses: usesOf(after),
      releases: before ? usesOf(before) : [],
    };
    // An array field defined again sets its item fields' type: the unchanged ones are restated.
    for (const item of after.kind === 'field' ? this.itemsOf(after) : []) {
      unit.statements.push(...defineStatements(item));
      unit.defines.push(refKey(item));
    }
    return [unit];
  }

  /** `tags.*`, `tags.*.*` (`tags[*]` on SurrealDB 2) of `tags`, unchanged in this direction. */
  itemsOf(field: SchemaObject): SchemaObject[] {
    const idiom = definitionHead(field.definition).name;
    return this.children(this.to, field.table!).filter((o) => {
      if (o.kind !== 'field') return false;
      const name = definitionHead(o.definition).name;
      if (!name.startsWith(idiom) || !/^(?:\.\*|\[\*\])+$/.test(name.slice(idiom.length))) return false;
      return this.from.get(schemaKey(o))?.definition === o.definition;
    });
  }

  /** A table removed and defined again, with its children and the unchanged views that read it. */
  recreate(key: string): Unit[] {
    if (this.carried.has(key)) return [];
    const tables = [key, ...this.carriedBy(key)];
    const drop: Unit = { ...emptyUnit(this.from.get(key)!, true), viewDrop: true };
    const define = emptyUnit(this.to.get(key)!, false);
    for (const table of [...tables].reverse()) {
      const before = this.from.get(table)!;
      drop.statements.push(`${removeStatement(before)};`);
      for (const o of [before, ...this.children(this.from, before.name)]) {
        drop.removes.push(refKey(o));
        drop.releases.push(...usesOf(o));
      }
      define.afterRemovalOf.push(...usesOf(before));
    }
    for (const table of tables) {
      const after = this.to.get(table)!;
      for (const o of [after, ...this.children(this.to, after.name)]) {
        define.statements.push(...defineStatements(o));
        define.defines.push(refKey(o));
        define.uses.push(...usesOf(o));
      }
    }
    return [drop, define];
  }

  /** The unchanged views recreated because they read `key`, transitively. */
  carriedBy(key: string): string[] {
    const out: string[] = [];
    for (const [view, source] of this.carried) if (source === key) out.push(view, ...this.carriedBy(view));
    return out;
  }
}

/** Units ranked for the order among independent ones: removals (children before their table), then definitions. */
export function ranked(units: readonly Unit[]): Unit[] {
  return [
    ...units.filter((u) => u.removal).sort((a, b) => compareObjects(b.object, a.object)),
    ...units.filter((u) => !u.removal).sort((a, b) => compareObjects(a.object, b.object)),
  ];
}

/** `[a, b]`: unit `a` must run before unit `b` (indexes into `units`). */
export function unitEdges(units: readonly Unit[]): [number, number][] {
  const definers = new Map<string, number[]>();
  const removers = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, i: number) => map.set(key, [...(map.get(key) ?? []), i]);
  units.forEach((u, i) => {
    u.defines.forEach((k) => add(definers, k, i));
    u.removes.forEach((k) => add(removers, k, i));
  });
  const edges: [number, number][] = [];
  units.forEach((u, i) => {
    for (const k of u.uses) for (const j of definers.get(k) ?? []) edges.push([j, i]);
    for (const k of u.releases) for (const j of removers.get(k) ?? []) edges.push([i, j]);
    for (const k of [...u.afterRemovalOf, ...u.defines]) for (const j of removers.get(k) ?? []) edges.push([j, i]);
  });
  return edges.filter(([a, b]) => a !== b);
}

/** Units in dependency order; among free ones, as {@link ranked}. */
export function orderUnits(units: readonly Unit[]): Unit[] {
  const list = ranked(units);
  return dependencyOrder(list.length, unitEdges(list)).map((i) => list[i]!);
}
