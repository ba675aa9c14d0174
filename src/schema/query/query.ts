import { CardinalityError, QueryError, UnknownAttributeError } from '../../errors.js';
import type { Connection } from '../connection/connection.js';
import { Heading, type Attribute } from '../definition/heading.js';
import { COMPUTED_TYPE } from '../definition/types.js';
import type { TableInfo } from '../declare/table-info.js';
import { toColumns, type Columns } from './columns.js';
import { compileCount, compileQuery, type Modifiers, type ProjColumn, type QueryNode } from './compile.js';
import { decodeRow } from './decode.js';
import { expandOrder, type OrderSpec } from './order.js';
import type { KeyOfRow, Selectable } from './row-types.js';
import { Not, SqlFragment, type SqlType } from './sql.js';
import { streamRows } from './stream.js';
import { mergeTops, Top } from './top.js';

/** What restrict() accepts. Object keys are checked against the row type. */
export type Restriction<Row> =
  | Partial<Row>
  | readonly Restriction<Row>[]
  | string
  | SqlFragment
  | Not
  | Top
  | AnyQuery
  | {
    /** A table class: restricts by its query (semijoin). */
    query(): AnyQuery;
  }
  | boolean;

/** A query of any row type (what restrictions and joins accept). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQuery = Query<any, any>;

/** A table class, seen structurally (its instances carry the declared row interface). */
export type TableLike<Declared extends object> = abstract new (...args: never[]) => { readonly __row?: Declared };

/** A query or a table class: what join, aggr and U take. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Operand = AnyQuery | TableLike<any>;

/** The row type of an operand. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RowIn<O> = O extends Query<infer R, any> ? R : O extends TableLike<infer D> ? Selectable<D> : never;

/** The primary-key type of an operand. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KeyIn<O> = O extends Query<any, infer K> ? K : O extends TableLike<infer D> ? KeyOfRow<D> : never;

/** What proj() accepts: attribute names, `'*'`, and objects of renames or `sql` expressions. */
export type ProjArg<Row> = (keyof Row & string) | '*' | Readonly<Record<string, (keyof Row & string) | SqlFragment>>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The row type proj(...args) produces. The primary key is always kept at run time but the type
 * cannot know it, so attributes that were not named stay in the type as optional.
 */
export type ProjectedFrom<Row, Args extends readonly ProjArg<Row>[]> = Projected<
  Row,
  Extract<Args[number], keyof Row>,
  [Extract<Args[number], object>] extends [never] ? Record<never, never> : UnionToIntersection<Extract<Args[number], object>> & Record<string, keyof Row | SqlFragment>
> & ('*' extends Args[number] ? Row : Partial<Omit<Row, Extract<Args[number], keyof Row>>>);

/** The row type of a projection with renames and computed attributes (typed by `sql<T>`). */
export type Projected<Row, Keep extends keyof Row, Renames extends Record<string, keyof Row | SqlFragment>> =
  Pick<Row, Keep> & { [K in keyof Renames as string extends K ? never : K]: Renames[K] extends keyof Row ? Row[Renames[K]] : SqlType<Renames[K]> };

/** Attributes computed by aggr: their `sql<T>` types. */
export type ComputedAttributes<C> = { [K in keyof C]: SqlType<C[K]> };

/** The row type of `aggr`: the left side's primary key, the attributes named, and the computed ones. */
export type Aggregated<Row, Key, Named extends string, C> = Simplify<('*' extends Named ? Row : Key & Pick<Row, Extract<Named, keyof Row>>) & ComputedAttributes<C>>;

/** Options of aggr(). */
export interface AggrOptions<Row, Named extends string = string> {
  /** Attributes of the left side kept beside its primary key; `'*'` keeps them all. */
  readonly attributes?: readonly Named[];
  /**
   * Drop the rows of the left side that match nothing (an inner join). By default every row is
   * kept, as in DataJoint 2, and its aggregates see one row of NULLs: `count(attr)` is 0 there
   * while `count(*)` is 1.
   */
  readonly excludeNonmatching?: boolean;
  /** Phantom: ties the options to the row type. */
  readonly __row?: Row;
}

/** What fetch() takes to return columns instead of rows. */
export interface FetchColumnsOptions<K extends string> {
  readonly format: 'columns';
  /** The attributes to fetch; all by default. */
  readonly attributes?: readonly K[];
}

/**
 * An immutable query expression: a table, or an operation on queries. Nothing runs until it is
 * fetched; every operation returns a new Query. `Row` is the type of its rows and `Key` the type of
 * its primary key.
 *
 * @example
 * ```ts
 * const rows = await Session.restrict({ subject_name: 'KO (chx10)' }).join(Stimulation).fetch();
 * // SELECT … FROM `rgc`.`session` AS `_q1` JOIN … USING (`subject_name`, …) WHERE (`_q1`.`subject_name` = ?)
 * ```
 */
export class Query<Row extends object = Record<string, unknown>, Key extends object = Partial<Row>> {
  readonly node: QueryNode;
  readonly connection: Connection;
  readonly modifiers: Modifiers;
  /** Phantom member that carries the key type. */
  declare readonly __key?: Key;

  constructor(node: QueryNode, connection: Connection, modifiers: Modifiers = {}) {
    this.node = node;
    this.connection = connection;
    this.modifiers = modifiers;
  }

  /** The query of a whole table. */
  static ofTable<Row extends object, Key extends object = Partial<Row>>(info: TableInfo, heading: Heading): Query<Row, Key> {
    return new Query<Row, Key>({ kind: 'table', info, heading }, info.schema.connection);
  }

  /** A table class or a query, as a query. */
  static of<O extends Operand>(operand: O): Query<RowIn<O>, KeyIn<O>> {
    if (operand instanceof Query) return operand as Query<RowIn<O>, KeyIn<O>>;
    const query = (operand as unknown as { query?: () => unknown }).query;
    if (typeof query !== 'function') throw new QueryError(`Expected a query or a table class; got ${String(operand)}.`);
    return query.call(operand) as Query<RowIn<O>, KeyIn<O>>;
  }

  /** The attributes this query's rows have. */
  get heading(): Heading {
    return this.node.heading;
  }

  /** The names of the attributes that identify a row of the result. */
  get primaryKey(): string[] {
    return this.heading.primaryKey;
  }

  private derive<R extends object, K extends object>(node: QueryNode): Query<R, K> {
    return new Query<R, K>(node, this.connection);
  }

  /** Throws unless `other` runs on this query's connection (queries combine within one server only). */
  ensureConnection(other: AnyQuery): void {
    if (other.connection !== this.connection) {
      throw new QueryError('These queries are on different connections; a query can only combine tables of one database server.');
    }
  }

  /**
   * Keeps the rows that match: an object (AND of equalities), an array (OR), a string (raw SQL),
   * `sql\`…\`` (bound values), `not(…)`, another query (semijoin on common attributes), or
   * `top(…)` (the first rows in an order).
   *
   * @example
   * ```ts
   * Neuron.restrict({ subject_name: 'KO (chx10)' });   // WHERE (`_q1`.`subject_name` = ?)
   * Neuron.restrict([{ neuron_id: 1 }, { neuron_id: 2 }]); // WHERE ((… = ?) OR (… = ?))
   * Session.restrict(Stimulation);                      // WHERE EXISTS (SELECT 1 FROM `rgc`.`_stimulation` AS `_q2` WHERE `_q2`.`subject_name` = `_q1`.`subject_name` AND …)
   * Spike.restrict(top(3, 'spike_time DESC'));         // ORDER BY `spike_time` DESC LIMIT ?
   * ```
   */
  restrict(condition: Restriction<Row>): Query<Row, Key> {
    if (condition instanceof Top) return this.withTop(condition);
    const normalized = asQueries(condition);
    for (const q of queriesIn(normalized)) this.ensureConnection(q);
    return this.derive<Row, Key>({ kind: 'restrict', source: this.node, condition: normalized, heading: this.heading });
  }

  /** The antijoin: rows that do not match. `Session.exclude(Stimulation)` are sessions without one. */
  exclude(condition: Restriction<Row>): Query<Row, Key> {
    if (condition instanceof Top) throw new QueryError('exclude(top(…)) has no meaning; restrict by top(…) with the order reversed instead.');
    return this.restrict(new Not(condition));
  }

  /**
   * The first `limit` rows in `orderBy` order after `offset`: `restrict(top(limit, orderBy, offset))`,
   * with the order names checked against the row type.
   *
   * @example
   * ```ts
   * Spike.top(10, 'spike_time DESC');   // … ORDER BY `spike_time` DESC LIMIT ?
   * ```
   */
  top(limit: number | null = 1, orderBy: OrderSpec<Row> | readonly OrderSpec<Row>[] | null = 'KEY', offset = 0): Query<Row, Key> {
    return this.withTop(new Top(limit, orderBy, offset));
  }

  private withTop(top: Top): Query<Row, Key> {
    const order = top.orderBy === undefined ? undefined : expandOrder(this.heading, top.orderBy);
    const node = this.node;
    if (node.kind === 'top' && (order === undefined || order.join() === node.top.orderBy.join())) {
      return this.derive({ ...node, top: mergeTops(node.top, { limit: top.limit, offset: top.offset }) });
    }
    const spec = { orderBy: order ?? this.primaryKey, limit: top.limit, offset: top.offset };
    return this.derive({ kind: 'top', source: node, top: spec, heading: this.heading });
  }

  /**
   * The natural join on common attributes. A common attribute must be in the primary key of one
   * side (DataJoint's rule); rename it with proj() otherwise.
   */
  join<O extends Operand>(other: O): Query<Row & RowIn<O>, Key & KeyIn<O>> {
    const right = Query.of(other);
    this.ensureConnection(right);
    return this.derive({ kind: 'join', left: this.node, right: right.node, heading: joinHeading(this.heading, right.heading) });
  }

  /**
   * Keeps (`'a'`), renames (`{ new: 'old' }`) and computes (`{ n: sql<number>\`…\` }`) attributes.
   * The primary key is always kept; `'*'` keeps everything.
   *
   * @example
   * ```ts
   * Stimulation.proj('fps', { duration: sql<number>`n_frames / fps` });
   * // SELECT `_q1`.`subject_name` AS …, `_q1`.`fps` AS `fps`, (n_frames / fps) AS `duration` FROM …
   * ```
   */
  proj<const A extends readonly ProjArg<Row>[]>(...args: A): Query<ProjectedFrom<Row, A>, Key> {
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
        attributes.push(computedAttribute(name));
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
   * DataJoint 2's aggregation: groups `other` by this query's primary key and computes aggregates
   * over each group. Every row of this query is kept (a LEFT JOIN), unless
   * `excludeNonmatching`; the result holds this query's primary key, the attributes named in
   * `attributes` (`'*'`: all) and the computed ones. `other` must hold this query's primary key.
   * On a row without matches the aggregates see one row of NULLs: `count(attr)` gives 0 there,
   * `count(*)` gives 1 (DataJoint's documented behaviour).
   *
   * @example
   * ```ts
   * Subject.aggr(Session, { n: sql<number>`count(session_date)` });
   * // SELECT `_q1`.`subject_name` AS `subject_name`, (count(session_date)) AS `n`
   * //   FROM `rgc`.`subject` AS `_q1` LEFT JOIN `rgc`.`session` AS `_q2` USING (`subject_name`) GROUP BY `_q1`.`subject_name`
   * Subject.aggr(Session, { n: sql<number>`count(*)` }, { attributes: ['species'], excludeNonmatching: true });
   * // … JOIN … (subjects with at least one session)
   * ```
   */
  aggr<O extends Operand, C extends Readonly<Record<string, SqlFragment<unknown>>>, const N extends (keyof Row & string) | '*' = never>(
    other: O, computed: C, options: AggrOptions<Row, N> = {},
  ): Query<Aggregated<Row, Key, N, C>, Key> {
    const right = Query.of(other);
    this.ensureConnection(right);
    joinHeading(this.heading, right.heading);
    const missing = this.primaryKey.filter((n) => !right.heading.has(n));
    if (missing.length > 0) {
      throw new QueryError(`aggr groups ${right.tableLabel()} by the primary key of ${this.tableLabel()}, but ${right.tableLabel()} lacks ${missing.join(', ')}. Aggregate a query that holds (${this.primaryKey.join(', ')}), e.g. join it first.`);
    }
    const named = (options.attributes ?? []) as readonly string[];
    const unknown = named.filter((n) => n !== '*' && !this.heading.has(n));
    if (unknown.length > 0) throw new UnknownAttributeError(`aggr keeps ${unknown.join(', ')}, which ${this.tableLabel()} does not have. Its attributes are: ${this.heading.names.join(', ')}.`);
    const keep = this.heading.names.filter((n) => this.heading.get(n).inKey || named.includes('*') || named.includes(n));
    const extra = Object.entries(computed).map(([name, expression]): ProjColumn => {
      if (keep.includes(name)) throw new QueryError(`aggr would compute "${name}", which it also keeps from ${this.tableLabel()}; give the computed attribute another name.`);
      if (!(expression instanceof SqlFragment)) throw new QueryError(`aggr computes "${name}" from ${String(expression)}; write it as sql\`…\`, e.g. sql\`count(*)\`.`);
      return { name, expression };
    });
    const attributes = [...keep.map((n) => this.heading.get(n)), ...extra.map((c) => computedAttribute(c.name))];
    return this.derive({
      kind: 'aggr', source: this.node, other: right.node, keep, computed: extra,
      keepAllRows: !(options.excludeNonmatching ?? false), heading: new Heading(attributes),
    });
  }

  /** Rows in either query; both must have the same attributes and primary key. */
  union(other: Query<Row, Key>): Query<Row, Key> {
    this.ensureConnection(other);
    const a = this.heading;
    const b = other.heading;
    if (a.names.slice().sort().join() !== b.names.slice().sort().join() || a.primaryKey.slice().sort().join() !== b.primaryKey.slice().sort().join()) {
      throw new QueryError(`union needs the same attributes and primary key on both sides: (${a.names.join(', ')}) vs (${b.names.join(', ')}).`);
    }
    return this.derive({ kind: 'union', left: this.node, right: other.node, heading: a });
  }

  /** Sorts the fetched rows: `orderBy('session_date DESC', 'sample_number')`; `'KEY'` is the primary key. */
  orderBy(...attributes: Array<OrderSpec<Row>>): Query<Row, Key> {
    return new Query<Row, Key>(this.node, this.connection, { ...this.modifiers, orderBy: expandOrder(this.heading, attributes) });
  }

  /** At most `count` rows (after `orderBy`). */
  limit(count: number): Query<Row, Key> {
    return new Query<Row, Key>(this.node, this.connection, { ...this.modifiers, limit: count });
  }

  /** Skips the first `count` rows (after `orderBy`). */
  offset(count: number): Query<Row, Key> {
    return new Query<Row, Key>(this.node, this.connection, { ...this.modifiers, offset: count });
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

  /**
   * All rows, or only the named attributes of each, or (`{ format: 'columns' }`) one array per
   * attribute, as DataJoint's `to_arrays`: numeric attributes that cannot be NULL come as typed
   * arrays of their width (`Int32Array`, `Float64Array`, `BigInt64Array`, …), others as arrays.
   *
   * @example
   * ```ts
   * await Spike.restrict(key).fetch('spike_time');               // [{ spike_time: 0.1 }, …]
   * await Spike.restrict(key).fetch({ format: 'columns', attributes: ['spike_time'] });
   * // { spike_time: Float64Array [0.1, …] }   SQL: SELECT `_q1`.`spike_time` AS `spike_time` FROM …
   * ```
   */
  async fetch(): Promise<Row[]>;
  async fetch<K extends keyof Row & string = keyof Row & string>(options: FetchColumnsOptions<K>): Promise<Columns<Pick<Row, K>>>;
  async fetch<K extends keyof Row & string>(...attributes: K[]): Promise<Array<Pick<Row, K>>>;
  async fetch(...args: Array<string | FetchColumnsOptions<string>>): Promise<object> {
    const options = typeof args[0] === 'object' && args[0] !== null ? args[0] : undefined;
    if (options !== undefined && options.format !== 'columns') throw new QueryError(`fetch formats are 'columns' (and rows, the default); got ${String(options.format)}.`);
    const names = this.checkNames(options ? options.attributes ?? [] : (args as string[]));
    await this.ready();
    const { sql, params } = compileQuery(this.connection.dialect, this.node, this.modifiers, names);
    const rows = await this.connection.query<Record<string, unknown>>(sql, params, this.tableLabel());
    const heading = this.heading.select(names);
    const dialect = this.connection.dialect;
    for (let i = 0; i < rows.length; i++) rows[i] = decodeRow(heading, rows[i]!, dialect);
    return options ? toColumns(heading, rows) : rows;
  }

  /** Exactly one row (or its named attributes), or a CardinalityError. */
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

  /** The primary-key values of every row, typed as the primary key. */
  async keys(): Promise<Key[]> {
    return (this.fetch as (...a: string[]) => Promise<Key[]>)(...this.primaryKey);
  }

  /**
   * The number of rows. A query without grouping or limit counts its own FROM … WHERE, so MariaDB
   * counts a semijoin in proportion to the rows it matches.
   *
   * @example
   * ```ts
   * await Spike.restrict(Neuron.restrict({ subject_name: 'a' })).count();
   * // SELECT count(*) AS `n` FROM `rgc`.`spike` AS `_q1` WHERE EXISTS (SELECT 1 FROM `rgc`.`neuron` AS `_q2` WHERE … AND `_q2`.`subject_name` = `_q1`.`subject_name` …)
   * ```
   */
  async count(): Promise<number> {
    await this.ready();
    const { sql, params } = compileCount(this.connection.dialect, this.node, this.modifiers);
    const rows = await this.connection.query<{ n: unknown }>(sql, params, this.tableLabel());
    return Number(rows[0]?.n ?? 0);
  }

  /** True when the query has at least one row. */
  async exists(): Promise<boolean> {
    return (await this.limit(1).keys()).length > 0;
  }

  /**
   * Streams rows without holding them all in memory: one cursor on MySQL/MariaDB, pages that each
   * continue after the last row of the one before on SQLite (see `streamRows` in stream.ts).
   *
   * @example
   * ```ts
   * for await (const spike of Spike.restrict(key)) total += spike.spike_time;
   * // SQLite pages: SELECT … WHERE (`neuron_id`, `spike_index`) > (?, ?) ORDER BY … LIMIT ?
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Row> {
    await this.ready();
    yield* streamRows(this) as AsyncGenerator<Row>;
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

/** The attribute a computed expression adds: its type is whatever SQL returns. */
export function computedAttribute(name: string): Attribute {
  return { name, type: COMPUTED_TYPE, inKey: false, nullable: true, default: undefined, comment: '' };
}

/** Table classes in a restriction become their queries; a Top inside OR or NOT is refused. */
function asQueries(condition: unknown): unknown {
  if (typeof condition === 'function' && typeof (condition as { query?: unknown }).query === 'function') {
    return (condition as unknown as { query(): AnyQuery }).query();
  }
  if (condition instanceof Top) {
    throw new QueryError('top(…) cannot be part of an OR list or negated; apply it on its own: query.restrict(top(…)).');
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
