import { CardinalityError, QueryError, UnknownAttributeError } from '../../errors.js';
import type { Connection } from '../connection/connection.js';
import { Heading, type Attribute } from '../definition/heading.js';
import { COMPUTED_TYPE } from '../definition/types.js';
import type { TableInfo } from '../declare/table-info.js';
import { compileCount, compileQuery, type Modifiers, type ProjColumn, type QueryNode } from './compile.js';
import { decodeRow } from './decode.js';
import { Not, SqlFragment } from './sql.js';

/** What restrict() accepts. Object keys are checked against the row type. */
export type Restriction<Row> =
  | Partial<Row>
  | readonly Restriction<Row>[]
  | string
  | SqlFragment
  | Not
  | AnyQuery
  | { query(): AnyQuery }
  | boolean;

/** A query of any row type (what restrictions and joins accept). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQuery = Query<any>;

/** A table class, seen structurally (its instances carry the row type). */
export type TableLike<Row extends object> = abstract new (...args: never[]) => { readonly __row?: Row };

/** What proj() accepts: attribute names, `'*'`, and objects of renames or `sql` expressions. */
export type ProjArg<Row> = (keyof Row & string) | '*' | Readonly<Record<string, (keyof Row & string) | SqlFragment>>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The row type proj(...args) produces. The primary key is always kept at run time but the type
 * cannot know it, so attributes that were not named stay in the type as optional.
 */
export type ProjectedFrom<Row, Args extends readonly ProjArg<Row>[]> = Projected<
  Row,
  Extract<Args[number], keyof Row>,
  [Extract<Args[number], object>] extends [never] ? Record<never, never> : UnionToIntersection<Extract<Args[number], object>> & Record<string, keyof Row | SqlFragment>
> & ('*' extends Args[number] ? Row : Partial<Omit<Row, Extract<Args[number], keyof Row>>>);

/** The row type of a projection with renames and computed attributes. */
export type Projected<Row, Keep extends keyof Row, Renames extends Record<string, keyof Row | SqlFragment>> =
  Pick<Row, Keep> & { [K in keyof Renames as string extends K ? never : K]: Renames[K] extends keyof Row ? Row[Renames[K]] : unknown };

/**
 * An immutable query expression: a table, or an operation on queries. Nothing runs until it is
 * fetched; every operation returns a new Query.
 *
 * @example
 * ```ts
 * const rows = await Session.restrict({ subject_name: 'KO (chx10)' }).join(Stimulation).fetch();
 * // SELECT … FROM `rgc`.`session` AS `_q1` JOIN … USING (`subject_name`, …) WHERE (`_q1`.`subject_name` = ?)
 * ```
 */
export class Query<Row extends object = Record<string, unknown>> {
  readonly node: QueryNode;
  readonly connection: Connection;
  readonly modifiers: Modifiers;

  constructor(node: QueryNode, connection: Connection, modifiers: Modifiers = {}) {
    this.node = node;
    this.connection = connection;
    this.modifiers = modifiers;
  }

  /** The query of a whole table. */
  static ofTable<Row extends object>(info: TableInfo, heading: Heading): Query<Row> {
    return new Query<Row>({ kind: 'table', info, heading }, info.schema.connection);
  }

  get heading(): Heading {
    return this.node.heading;
  }

  get primaryKey(): string[] {
    return this.heading.primaryKey;
  }

  private derive<R extends object>(node: QueryNode): Query<R> {
    return new Query<R>(node, this.connection);
  }

  private ensureConnection(other: AnyQuery): void {
    if (other.connection !== this.connection) {
      throw new QueryError('These queries are on different connections; a query can only combine tables of one database server.');
    }
  }

  /**
   * Keeps the rows that match: an object (AND of equalities), an array (OR), a string (raw SQL),
   * `sql\`…\`` (bound values), `not(…)`, or another query (semijoin on common attributes).
   *
   * @example
   * ```ts
   * Neuron.restrict({ subject_name: 'KO (chx10)' });   // WHERE (`_q1`.`subject_name` = ?)
   * Neuron.restrict([{ neuron_id: 1 }, { neuron_id: 2 }]); // WHERE ((… = ?) OR (… = ?))
   * Session.restrict(Stimulation);                      // WHERE EXISTS (SELECT 1 FROM (…) WHERE …)
   * ```
   */
  restrict(condition: Restriction<Row>): Query<Row> {
    const normalized = asQueries(condition);
    for (const q of queriesIn(normalized)) this.ensureConnection(q);
    return this.derive<Row>({ kind: 'restrict', source: this.node, condition: normalized, heading: this.heading });
  }

  /** The antijoin: rows that do not match. `Session.exclude(Stimulation)` are sessions without one. */
  exclude(condition: Restriction<Row>): Query<Row> {
    return this.restrict(new Not(condition));
  }

  /**
   * The natural join on common attributes. A common attribute must be in the primary key of one
   * side (DataJoint's rule); rename it with proj() otherwise.
   */
  join<Other extends object>(other: Query<Other> | TableLike<Other>): Query<Row & Other> {
    const right = other instanceof Query ? other : (other as unknown as { query(): Query<Other> }).query();
    this.ensureConnection(right);
    return this.derive<Row & Other>({ kind: 'join', left: this.node, right: right.node, heading: joinHeading(this.heading, right.heading) });
  }

  /**
   * Keeps (`'a'`), renames (`{ new: 'old' }`) and computes (`{ n: sql\`…\` }`) attributes. The
   * primary key is always kept; `'*'` keeps everything.
   *
   * @example
   * ```ts
   * Stimulation.proj('fps', { duration: sql`n_frames / fps` });
   * // SELECT `_q1`.`subject_name` AS …, `_q1`.`fps` AS `fps`, (n_frames / fps) AS `duration` FROM …
   * ```
   */
  proj<const A extends readonly ProjArg<Row>[]>(...args: A): Query<ProjectedFrom<Row, A>> {
    const heading = this.heading;
    const keep = new Set<string>(heading.primaryKey);
    const columns: ProjColumn[] = [];
    const attributes: Attribute[] = [];
    const renamedAway = new Set<string>();
    const specs: Array<[string, string | SqlFragment]> = [];
    for (const arg of args) {
      if (typeof arg === 'string') {
        if (arg === '*') heading.names.forEach((n) => keep.add(n));
        else keep.add(arg);
      } else {
        for (const [name, source] of Object.entries(arg)) specs.push([name, source as string | SqlFragment]);
      }
    }
    for (const [, source] of specs) if (typeof source === 'string') renamedAway.add(source);
    const unknown = [...keep, ...specs.flatMap(([, s]) => (typeof s === 'string' ? [s] : []))].filter((n) => !heading.has(n));
    if (unknown.length > 0) {
      throw new UnknownAttributeError(`proj names ${unknown.join(', ')}, which the query does not have. Its attributes are: ${heading.names.join(', ')}.`);
    }
    for (const name of heading.names) {
      const attribute = heading.get(name);
      // A renamed key attribute leaves under its new name only; other kept attributes stay.
      if (keep.has(name) && !(renamedAway.has(name) && !(args as readonly unknown[]).includes(name))) {
        columns.push({ name, from: name });
        attributes.push(attribute);
      }
    }
    for (const [name, source] of specs) {
      if (typeof source === 'string') {
        columns.push({ name, from: source });
        attributes.push({ ...heading.get(source), name });
      } else {
        columns.push({ name, expression: source });
        attributes.push({ name, type: COMPUTED_TYPE, inKey: false, nullable: true, default: undefined, comment: '' });
      }
    }
    const names = new Set<string>();
    for (const a of attributes) {
      if (names.has(a.name)) throw new QueryError(`proj produces "${a.name}" twice; give each attribute one name.`);
      names.add(a.name);
    }
    const ordered = [...attributes.filter((a) => a.inKey), ...attributes.filter((a) => !a.inKey)];
    const byName = new Map(columns.map((c) => [c.name, c]));
    return this.derive({ kind: 'proj', source: this.node, columns: ordered.map((a) => byName.get(a.name)!), heading: new Heading(ordered) });
  }

  /**
   * Groups `other` by this query's primary key and computes aggregates. Rows of this query without
   * a match are dropped unless `keepAllRows` (then aggregates see NULLs: use count(col), not count(*)).
   *
   * @example
   * ```ts
   * Neuron.aggr(Spike, { n_spikes: sql`count(*)` });
   * // SELECT …, (count(*)) AS `n_spikes` FROM … JOIN … USING (…) GROUP BY …
   * ```
   */
  aggr<Other extends object, C extends Record<string, SqlFragment>>(
    other: Query<Other> | TableLike<Other>,
    computed: C,
    options: { keepAllRows?: boolean } = {},
  ): Query<Row & { [K in keyof C]: unknown }> {
    const right = other instanceof Query ? other : (other as unknown as { query(): Query<Other> }).query();
    this.ensureConnection(right);
    joinHeading(this.heading, right.heading);
    const extra = Object.entries(computed).map(([name, expression]): ProjColumn => {
      if (this.heading.has(name)) throw new QueryError(`aggr would add "${name}", which the query already has.`);
      return { name, expression };
    });
    const attributes = [
      ...this.heading.attributes,
      ...extra.map((c): Attribute => ({ name: c.name, type: COMPUTED_TYPE, inKey: false, nullable: true, default: undefined, comment: '' })),
    ];
    return this.derive({ kind: 'aggr', source: this.node, other: right.node, computed: extra, keepAllRows: options.keepAllRows ?? false, heading: new Heading(attributes) });
  }

  /** Rows in either query; both must have the same attributes and primary key. */
  union(other: Query<Row>): Query<Row> {
    this.ensureConnection(other);
    const a = this.heading;
    const b = other.heading;
    if (a.names.slice().sort().join() !== b.names.slice().sort().join() || a.primaryKey.slice().sort().join() !== b.primaryKey.slice().sort().join()) {
      throw new QueryError(`union needs the same attributes and primary key on both sides: (${a.names.join(', ')}) vs (${b.names.join(', ')}).`);
    }
    return this.derive({ kind: 'union', left: this.node, right: other.node, heading: a });
  }

  /** Sorts the fetched rows: `orderBy('session_date DESC', 'sample_number')`. */
  orderBy(...attributes: string[]): Query<Row> {
    for (const a of attributes) {
      const [name, direction] = a.trim().split(/\s+/);
      if (!name || !this.heading.has(name) || (direction !== undefined && !/^(asc|desc)$/i.test(direction))) {
        throw new UnknownAttributeError(`Cannot order by "${a}": name an attribute (${this.heading.names.join(', ')}), optionally followed by ASC or DESC.`);
      }
    }
    return new Query<Row>(this.node, this.connection, { ...this.modifiers, orderBy: attributes });
  }

  limit(count: number): Query<Row> {
    return new Query<Row>(this.node, this.connection, { ...this.modifiers, limit: count });
  }

  offset(count: number): Query<Row> {
    return new Query<Row>(this.node, this.connection, { ...this.modifiers, offset: count });
  }

  /** The schemas of every table in the tree, created in the database if needed. */
  async ready(): Promise<void> {
    const schemas = new Set<TableInfo['schema']>();
    const visit = (node: QueryNode): void => {
      if (node.kind === 'table') schemas.add(node.info.schema);
      if ('source' in node) visit(node.source);
      if ('left' in node) {
        visit(node.left);
        visit(node.right);
      }
      if (node.kind === 'aggr') visit(node.other);
      if (node.kind === 'restrict') for (const q of queriesIn(node.condition)) visit(q.node);
    };
    visit(this.node);
    for (const schema of schemas) await schema.activate();
  }

  /**
   * Deletes these rows and everything that depends on them, in one transaction. Refused without
   * `force` when dependent rows would go too.
   */
  async delete(options: { force?: boolean; partIntegrity?: 'enforce' | 'ignore' } = {}): Promise<Record<string, number>> {
    const { deleteCascade } = await import('./delete.js');
    return deleteCascade(this, options);
  }

  /** Deletes these rows only; dependent rows make it fail. */
  async deleteQuick(): Promise<number> {
    const { deleteQuick } = await import('./delete.js');
    return deleteQuick(this);
  }

  /** The SQL and parameters this query runs. */
  toSQL(): { sql: string; params: unknown[] } {
    return compileQuery(this.connection.dialect, this.node, this.modifiers);
  }

  /** All rows, or only the named attributes of each. */
  async fetch(): Promise<Row[]>;
  async fetch<K extends keyof Row & string>(...attributes: K[]): Promise<Array<Pick<Row, K>>>;
  async fetch(...attributes: string[]): Promise<object[]> {
    const names = this.checkNames(attributes);
    await this.ready();
    const { sql, params } = compileQuery(this.connection.dialect, this.node, this.modifiers, names);
    const rows = await this.connection.query(sql, params, this.tableLabel());
    const heading = this.heading.select(names);
    return rows.map((r) => decodeRow(heading, r, this.connection.dialect.name));
  }

  /** Exactly one row, or a CardinalityError. */
  async fetch1(): Promise<Row>;
  async fetch1<K extends keyof Row & string>(...attributes: K[]): Promise<Pick<Row, K>>;
  async fetch1(...attributes: string[]): Promise<object> {
    const rows = await (this.limit(2).fetch as (...a: string[]) => Promise<object[]>)(...attributes);
    if (rows.length !== 1) {
      const { sql, params } = this.toSQL();
      throw new CardinalityError(`fetch1 expects exactly one row from ${this.tableLabel()} and found ${rows.length === 0 ? 'none' : 'more than one'}. Restrict the query to a single key.`, { sql, params });
    }
    return rows[0]!;
  }

  /** The primary-key values of every row. */
  async keys(): Promise<Array<Partial<Row>>> {
    return (this.fetch as (...a: string[]) => Promise<Array<Partial<Row>>>)(...this.primaryKey);
  }

  async count(): Promise<number> {
    await this.ready();
    const { sql, params } = compileCount(this.connection.dialect, this.node);
    const rows = await this.connection.query<{ n: unknown }>(sql, params, this.tableLabel());
    return Number(rows[0]?.n ?? 0);
  }

  async exists(): Promise<boolean> {
    return (await this.limit(1).keys()).length > 0;
  }

  /**
   * Streams rows without holding them all in memory.
   *
   * @example
   * ```ts
   * for await (const spike of Spike.restrict(key)) total += spike.spike_time;
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Row> {
    await this.ready();
    const dialect = this.connection.dialect.name;
    if (dialect === 'mysql') {
      const { sql, params } = compileQuery(this.connection.dialect, this.node, this.modifiers);
      for await (const raw of this.connection.stream(sql, params, this.tableLabel())) yield decodeRow(this.heading, raw, dialect) as Row;
      return;
    }
    // SQLite has one connection; an open cursor would block every other statement on it, so the
    // rows come in pages ordered by the primary key.
    const page = 5000;
    const start = this.modifiers.offset ?? 0;
    const end = this.modifiers.limit === undefined ? Number.POSITIVE_INFINITY : start + this.modifiers.limit;
    const orderBy = this.modifiers.orderBy ?? (this.primaryKey.length > 0 ? this.primaryKey : this.heading.names);
    for (let offset = start; offset < end; offset += page) {
      const modifiers = { orderBy, offset, limit: Math.min(page, end - offset) };
      const { sql, params } = compileQuery(this.connection.dialect, this.node, modifiers);
      const rows = await this.connection.query(sql, params, this.tableLabel());
      for (const raw of rows) yield decodeRow(this.heading, raw, dialect) as Row;
      if (rows.length < modifiers.limit) return;
    }
  }

  private checkNames(attributes: readonly string[]): string[] {
    if (attributes.length === 0) return this.heading.names;
    const unknown = attributes.filter((a) => !this.heading.has(a));
    if (unknown.length > 0) {
      throw new UnknownAttributeError(`Cannot fetch ${unknown.join(', ')}: the query's attributes are ${this.heading.names.join(', ')}.`);
    }
    return [...attributes];
  }

  /** The base table's name, for messages. */
  tableLabel(): string {
    let node = this.node;
    while (node.kind !== 'table') node = 'source' in node ? node.source : node.left;
    return node.info.className;
  }
}

/** Table classes in a restriction become their queries. */
function asQueries(condition: unknown): unknown {
  if (typeof condition === 'function' && typeof (condition as { query?: unknown }).query === 'function') {
    return (condition as unknown as { query(): AnyQuery }).query();
  }
  if (condition instanceof Not) return new Not(asQueries(condition.condition));
  if (Array.isArray(condition)) return condition.map(asQueries);
  return condition;
}

function queriesIn(condition: unknown): AnyQuery[] {
  if (condition instanceof Query) return [condition];
  if (condition instanceof Not) return queriesIn(condition.condition);
  if (Array.isArray(condition)) return condition.flatMap(queriesIn);
  return [];
}

/** The heading of a join; refuses to join on attributes that are secondary on both sides. */
export function joinHeading(left: Heading, right: Heading): Heading {
  const common = left.names.filter((n) => right.has(n));
  const secondary = common.filter((n) => !left.get(n).inKey && !right.get(n).inKey);
  if (secondary.length > 0) {
    throw new QueryError(`Cannot join on ${secondary.join(', ')}: secondary attributes on both sides. Rename one side with proj({ other_name: '${secondary[0]}' }).`);
  }
  const key = new Set([...left.primaryKey, ...right.primaryKey]);
  const merged = [...left.attributes, ...right.attributes.filter((a) => !left.has(a.name))].map((a) => ({ ...a, inKey: key.has(a.name) }));
  return new Heading([...merged.filter((a) => a.inKey), ...merged.filter((a) => !a.inKey)]);
}
