import { DataLossError, RgSchemaError } from '../../errors.js';
import type { Heading } from '../definition/heading.js';
import { readCatalog } from '../declare/catalog.js';
import { describeTable } from '../declare/describe.js';
import { tableInfo, type TableInfo } from '../declare/table-info.js';
import type { Tier } from '../declare/tiers.js';
import { deleteCascade, deleteQuick, type DeleteOptions } from '../query/delete.js';
import { insertRows, type InsertOptions, type RowSource } from '../query/insert.js';
import type { Columns } from '../query/columns.js';
import type { OrderSpec } from '../query/order.js';
import {
  Query, type Aggregated, type AggrOptions, type FetchColumnsOptions, type KeyIn, type Operand, type ProjArg, type ProjectedFrom, type Restriction, type RowIn,
} from '../query/query.js';
import type { Insertable, KeyOfRow, Selectable } from '../query/row-types.js';
import type { SqlFragment } from '../query/sql.js';
import { updateRow } from '../query/update.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRow = any;

/** A table class: the constructor of a Table subclass, with the statics below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TableClass<Row extends object = AnyRow> = (abstract new (...args: any[]) => Table<Row>) & Omit<typeof Table, 'prototype'>;

/** The row interface a table class was declared with (marks such as `Key<T>` included). */
export type DeclaredRowOf<C> = C extends abstract new (...args: never[]) => Table<infer R> ? R : never;

/** The rows a table class fetches. */
export type RowOf<C> = Selectable<DeclaredRowOf<C>>;

/** The rows a table class inserts: attributes with a default, nullable ones and auto_increment optional. */
export type InsertRowOf<C> = Insertable<DeclaredRowOf<C>>;

/** The primary key of a table class (its `Key<…>` attributes; `Partial<Row>` when none is marked). */
export type KeyOf<C> = KeyOfRow<DeclaredRowOf<C>>;

/**
 * The base of every table class. The class itself is a query over the whole table; its statics
 * are DataJoint's vocabulary: `restrict`, `join`, `proj`, `aggr`, `fetch`, `fetch1`, `insert`,
 * `insert1`, `delete`, `drop`, `describe`. The type argument is the row interface; mark its key
 * with `Key<T>` and the attributes the database fills with `Default<T>` (see {@link Key}).
 *
 * @example
 * ```ts
 * interface SubjectRow { subject_name: Key<string>; species: Default<string> }
 * @schema
 * class Subject extends Manual<SubjectRow> {
 *   static definition = `
 *     subject_name: varchar(64)
 *     ---
 *     species = 'mouse': varchar(32)
 *   `;
 * }
 * await Subject.insert1({ subject_name: 'KO (chx10)' });   // species takes its default
 * const rows = await Subject.fetch();   // Array<{ subject_name: string; species: string }>
 * const keys = await Subject.keys();    // Array<{ subject_name: string }>
 * ```
 */
export abstract class Table<Row extends object = Record<string, unknown>> {
  /** The DataJoint definition of the table. */
  static definition: string;
  /** The tier, set by Manual, Lookup, Imported, Computed and Part. */
  static readonly tier: Tier | undefined = undefined;
  /** Phantom member that carries the row type. */
  declare readonly __row?: Row;

  /**
   * A table's own rule on the rows inserted into it, beyond what its types say: called with each
   * row before anything is sent; throw (an InvalidValueError naming the attribute) to refuse it.
   * Values that would only fail later (in a make() downstream) are best refused here.
   *
   * @example
   * ```ts
   * static override validate(row: { n_lags: number }) {
   *   if (row.n_lags < 1) throw new InvalidValueError(`StaParams.n_lags must be 1 or more, got ${row.n_lags}.`);
   * }
   * ```
   */
  static validate?(row: object): void;

  /** Everything the library knows of the table: schema, names, tier, parsed and resolved definition. */
  static get info(): TableInfo {
    return tableInfo(this);
  }

  /** The table's name in the database, e.g. `__spike_triggered_average`. */
  static get tableName(): string {
    return tableInfo(this).tableName;
  }

  /** `database`.`table`, quoted for the connection's dialect. */
  static get fullTableName(): string {
    const info = tableInfo(this);
    return info.schema.connection.dialect.tableRef(info.schema.database, info.tableName);
  }

  /** The attributes as declared (resolving the schema's definitions if needed). */
  static get heading(): Heading {
    const info = tableInfo(this);
    info.schema.resolve();
    return info.resolved!.heading;
  }

  /** The whole table as a query. */
  static query<C extends TableClass>(this: C): Query<RowOf<C>, KeyOf<C>> {
    const info = tableInfo(this);
    info.schema.resolve();
    return Query.ofTable<RowOf<C>, KeyOf<C>>(info, info.resolved!.heading);
  }

  /**
   * The rows that match `condition`: an object (AND of equalities), an array (OR), `` sql`…` ``, `not(…)`, a query or a table (semijoin).
   *
   * @example
   * ```ts
   * Session.restrict({ subject_name: 'a' });
   * // SELECT … FROM `rgc`.`session` WHERE `subject_name` = ?
   * ```
   */
  static restrict<C extends TableClass>(this: C, condition: Restriction<RowOf<C>>): Query<RowOf<C>, KeyOf<C>> {
    return this.query().restrict(condition);
  }

  /**
   * The rows that do not match `condition` (DataJoint's `-`).
   *
   * @example
   * ```ts
   * Session.exclude(Stimulation); // sessions with nothing loaded yet
   * ```
   */
  static exclude<C extends TableClass>(this: C, condition: Restriction<RowOf<C>>): Query<RowOf<C>, KeyOf<C>> {
    return this.query().exclude(condition);
  }

  /** `restrict(top(limit, orderBy, offset))` with the order names checked. */
  static top<C extends TableClass>(this: C, limit?: number | null, orderBy?: OrderSpec<RowOf<C>> | readonly OrderSpec<RowOf<C>>[] | null, offset?: number): Query<RowOf<C>, KeyOf<C>> {
    return this.query().top(limit, orderBy, offset);
  }

  /**
   * The natural join on the attributes both share (DataJoint's `*`).
   *
   * @example
   * ```ts
   * await Session.join(Subject).fetch();
   * ```
   */
  static join<C extends TableClass, O extends Operand>(this: C, other: O): Query<RowOf<C> & RowIn<O>, KeyOf<C> & KeyIn<O>> {
    return this.query().join(other);
  }

  /**
   * The primary key and the attributes named; `{ new: 'old' }` renames, `` { x: sql`…` } `` computes.
   *
   * @example
   * ```ts
   * Spike.proj('spike_time', { t: 'spike_movie_time' });
   * ```
   */
  static proj<C extends TableClass, const A extends readonly ProjArg<RowOf<C>>[]>(this: C, ...args: A): Query<ProjectedFrom<RowOf<C>, A>, KeyOf<C>> {
    return this.query().proj(...(args as never as readonly ProjArg<RowOf<C>>[])) as never;
  }

  /**
   * Each row with aggregates computed over its matching rows of `other` (a LEFT JOIN grouped by this key, as DataJoint 2).
   *
   * @example
   * ```ts
   * await Subject.aggr(Session, { n: sql<number>`count(session_date)` }).fetch();
   * ```
   */
  static aggr<C extends TableClass, O extends Operand, A extends Readonly<Record<string, SqlFragment<unknown>>>, const N extends (keyof RowOf<C> & string) | '*' = never>(
    this: C, other: O, computed: A, options?: AggrOptions<RowOf<C>, N>,
  ): Query<Aggregated<RowOf<C>, KeyOf<C>, N, A>, KeyOf<C>> {
    return this.query().aggr(other, computed, options);
  }

  /** The rows of either query (same heading). */
  static union<C extends TableClass>(this: C, other: Query<RowOf<C>, KeyOf<C>> | { query(): Query<RowOf<C>, KeyOf<C>> }): Query<RowOf<C>, KeyOf<C>> {
    return this.query().union(other instanceof Query ? other : other.query());
  }

  /** The table sorted: `orderBy('session_date DESC')`; `'KEY'` is the primary key. */
  static orderBy<C extends TableClass>(this: C, ...attributes: Array<OrderSpec<RowOf<C>>>): Query<RowOf<C>, KeyOf<C>> {
    return this.query().orderBy(...attributes);
  }

  /**
   * Every row (or the named attributes, or `{ format: 'columns' }` for one array per attribute).
   *
   * @example
   * ```ts
   * const names = await Subject.fetch('subject_name');
   * ```
   */
  static fetch<C extends TableClass>(this: C): Promise<Array<RowOf<C>>>;
  static fetch<C extends TableClass, K extends keyof RowOf<C> & string = keyof RowOf<C> & string>(this: C, options: FetchColumnsOptions<K>): Promise<Columns<Pick<RowOf<C>, K>>>;
  static fetch<C extends TableClass, K extends keyof RowOf<C> & string>(this: C, ...attributes: K[]): Promise<Array<Pick<RowOf<C>, K>>>;
  static fetch(this: TableClass, ...args: unknown[]): Promise<object> {
    return (this.query().fetch as (...a: unknown[]) => Promise<object>)(...args);
  }

  /**
   * The one row (or its named attributes); a `CardinalityError` unless exactly one row matches.
   *
   * @example
   * ```ts
   * const { fps } = await Stimulation.restrict(key).fetch1('fps');
   * ```
   */
  static fetch1<C extends TableClass>(this: C): Promise<RowOf<C>>;
  static fetch1<C extends TableClass, K extends keyof RowOf<C> & string>(this: C, ...attributes: K[]): Promise<Pick<RowOf<C>, K>>;
  static fetch1(this: TableClass, ...attributes: string[]): Promise<object> {
    return (this.query().fetch1 as (...a: string[]) => Promise<object>)(...attributes);
  }

  /** The primary key of every row. */
  static keys<C extends TableClass>(this: C): Promise<Array<KeyOf<C>>> {
    return this.query().keys();
  }

  /** The number of rows. */
  static count(this: TableClass): Promise<number> {
    return this.query().count();
  }

  /** The SELECT this table runs, with its parameters. */
  static toSQL(this: TableClass): { sql: string; params: unknown[] } {
    return this.query().toSQL();
  }

/** Creates the table (and the rest of its schema) if needed. */
  static async declare(this: TableClass): Promise<void> {
    await tableInfo(this).schema.activate();
  }

  /**
   * Inserts rows in one transaction: an array, an iterable or an async iterable, taken
   * `chunkSize` rows at a time (10,000 by default), so a generator of millions of rows is inserted
   * while holding one chunk. Attributes with a default, nullable ones and `auto_increment` may be
   * left out.
   *
   * @example
   * ```ts
   * await Subject.insert([{ subject_name: 'a' }, { subject_name: 'b' }], { skipDuplicates: true });
   * // MySQL: INSERT INTO `rgc`.`subject` (`subject_name`) VALUES (?), (?) ON DUPLICATE KEY UPDATE `subject_name` = `subject_name`
   * await Spike.insert(readSpikes(file), { chunkSize: 50_000 });   // an async generator, all or nothing
   * ```
   */
  static async insert<C extends TableClass>(this: C, rows: RowSource<InsertRowOf<C>>, options: InsertOptions = {}): Promise<number> {
    const info = tableInfo(this);
    await info.schema.activate();
    return insertRows(info, rows as RowSource<object>, options);
  }

  /**
   * Inserts one row (see {@link Table.insert}).
   *
   * @example
   * ```ts
   * await Subject.insert1({ subject_name: 'KO (chx10)' });
   * ```
   */
  static async insert1<C extends TableClass>(this: C, row: InsertRowOf<C>, options: InsertOptions = {}): Promise<number> {
    return this.insert([row], options);
  }

  /** Changes secondary attributes of one existing row, identified by its full primary key. */
  static async update1<C extends TableClass>(this: C, row: Partial<RowOf<C>>): Promise<void> {
    const info = tableInfo(this);
    await info.schema.activate();
    await updateRow(info, row as Record<string, unknown>);
  }

  /** Deletes every row, and first every row that depends on them; restrict first to delete fewer. */
  static async delete<C extends TableClass>(this: C, options: DeleteOptions = {}): Promise<Record<string, number>> {
    return deleteCascade(this.query(), options);
  }

  /** Deletes the rows without cascading: fails if other tables reference them. Returns the count. */
  static async deleteQuick<C extends TableClass>(this: C): Promise<number> {
    return deleteQuick(this.query());
  }

  /** The definition as the database holds it, in DataJoint's syntax. */
  static async describe(this: TableClass): Promise<string> {
    const info = tableInfo(this);
    await info.schema.activate();
    const [catalog] = await readCatalog(info.schema.connection, info.schema.database, info.tableName);
    if (!catalog) throw new RgSchemaError(`${info.className} does not exist in ${info.schema.database}.`);
    return describeTable(catalog, info.schema);
  }

  /** Drops the table and every table that depends on it; refused without force when rows would be lost. */
  static async drop(this: TableClass, options: { force?: boolean } = {}): Promise<void> {
    const info = tableInfo(this);
    if (info.tier === 'part' && !options.force) {
      throw new DataLossError(`${info.className} is a Part; drop its master ${info.master?.className} instead, or pass { force: true }.`);
    }
    await info.schema.dropWithDependents(this, options);
  }

  /** Streams the rows: `for await (const row of Table) …`. */
  static [Symbol.asyncIterator]<C extends TableClass>(this: C): AsyncIterator<RowOf<C>> {
    return this.query()[Symbol.asyncIterator]();
  }

  /** Inside make(): inserts into this table. */
  async insert1(row: Insertable<Row>, options: InsertOptions = {}): Promise<number> {
    return (this.constructor as TableClass<Row>).insert1(row as never, options);
  }

  /** Inside make(): inserts rows into this table. */
  async insert(rows: RowSource<Insertable<Row>>, options: InsertOptions = {}): Promise<number> {
    return (this.constructor as TableClass<Row>).insert(rows as never, options);
  }
}
