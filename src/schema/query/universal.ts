import { QueryError, UnknownAttributeError } from '../../errors.js';
import { Heading } from '../definition/heading.js';
import type { ProjColumn } from './compile.js';
import { computedAttribute, Query, type ComputedAttributes, type Operand, type RowIn } from './query.js';
import { SqlFragment } from './sql.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Named<O, A extends string> = Pick<RowIn<O>, Extract<A, keyof RowIn<O>>>;
/** An operand that has every attribute of A; anything else is a type error. */
type Holding<O, A extends string> = [A] extends [keyof RowIn<O>] ? O : never;

/**
 * DataJoint's universal set `dj.U('a', 'b')`: every possible value of the named attributes. It is
 * not queried itself; restricted by a query it lists the distinct values that occur there, and it
 * aggregates a query grouped by any of its attributes. Make one with {@link U}.
 */
export class UniversalSet<A extends string> {
  readonly attributes: readonly A[];

  constructor(attributes: readonly A[]) {
    this.attributes = attributes;
  }

  /**
   * The distinct values of the attributes in `other`, with the attributes as primary key:
   * DataJoint's `dj.U('a') & T`.
   *
   * @example
   * ```ts
   * U('species').restrict(Subject);
   * // SELECT DISTINCT `_q1`.`species` AS `species` FROM `rgc`.`subject` AS `_q1`
   * ```
   */
  restrict<O extends Operand>(other: Holding<O, A>): Query<Named<O, A>, Named<O, A>> {
    const query = Query.of(other as Operand);
    if (this.attributes.length === 0) {
      throw new QueryError('U() has no attributes to list; name some (U(\'species\').restrict(…)), or count rows with U().aggr(query, { n: sql`count(*)` }).');
    }
    const heading = this.heading(query);
    return new Query({ kind: 'distinct', source: query.node, heading }, query.connection);
  }

  /**
   * Groups `other` by the attributes (all of `other` as one group when there are none) and
   * computes aggregates: DataJoint's `dj.U('a').aggr(T, n='count(*)')`. Only values that occur in
   * `other` appear.
   *
   * @example
   * ```ts
   * U('species').aggr(Subject, { n: sql<number>`count(*)` });
   * // SELECT `_q1`.`species` AS `species`, (count(*)) AS `n` FROM `rgc`.`subject` AS `_q1` GROUP BY `_q1`.`species`
   * U().aggr(Spike, { n: sql<number>`count(*)` });   // one row: { n: 104493 }
   * ```
   */
  aggr<O extends Operand, C extends Readonly<Record<string, SqlFragment<unknown>>>>(
    other: Holding<O, A>, computed: C,
  ): Query<Simplify<Named<O, A> & ComputedAttributes<C>>, Named<O, A>> {
    const query = Query.of(other as Operand);
    const keys = this.heading(query);
    const extra = Object.entries(computed).map(([name, expression]): ProjColumn => {
      if (keys.has(name)) throw new QueryError(`U(…).aggr would compute "${name}", which is also a grouping attribute; give it another name.`);
      if (!(expression instanceof SqlFragment)) throw new QueryError(`U(…).aggr computes "${name}" from ${String(expression)}; write it as sql\`…\`.`);
      return { name, expression };
    });
    const heading = new Heading([...keys.attributes, ...extra.map((c) => computedAttribute(c.name))]);
    return new Query({ kind: 'group', source: query.node, keys: [...this.attributes], computed: extra, heading }, query.connection);
  }

  /** DataJoint 2 removed `T * dj.U(…)`; so does rg-schema. */
  join(): never {
    throw new QueryError('A universal set cannot be joined (DataJoint 2 removed T * dj.U(…)); restrict it by a query instead: U(…).restrict(query).');
  }

  /** `dj.U(…) - T` would be an infinite set. */
  exclude(): never {
    throw new QueryError('U(…).exclude(query) would be an infinite set; restrict a query instead.');
  }

  private heading(query: Query<object, object>): Heading {
    const unknown = this.attributes.filter((a) => !query.heading.has(a));
    if (unknown.length > 0) {
      throw new UnknownAttributeError(`U(${this.attributes.map((a) => `'${a}'`).join(', ')}) names ${unknown.join(', ')}, which ${query.tableLabel()} does not have. Its attributes are: ${query.heading.names.join(', ')}.`);
    }
    return new Heading(this.attributes.map((a) => ({ ...query.heading.get(a), inKey: true })));
  }
}

/**
 * A universal set over the named attributes (DataJoint's `dj.U`).
 *
 * @example
 * ```ts
 * await U('species').restrict(Subject).fetch();          // [{ species: 'mouse' }, { species: 'rat' }]
 * await U('species').aggr(Subject, { n: sql<number>`count(*)` }).fetch();
 * ```
 */
export function U<const A extends readonly string[]>(...attributes: A): UniversalSet<A[number]> {
  const duplicate = attributes.find((a, i) => attributes.indexOf(a) !== i);
  if (duplicate !== undefined) throw new QueryError(`U names "${duplicate}" twice.`);
  return new UniversalSet<A[number]>(attributes);
}
