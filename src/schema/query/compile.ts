import { QueryError, UnknownAttributeError } from '../../errors.js';
import type { Dialect } from '../connection/dialect.js';
import type { Heading } from '../definition/heading.js';
import type { TableInfo } from '../declare/table-info.js';
import { parseOrder } from './order.js';
import { Not, SqlFragment } from './sql.js';
import { isFloat32Column } from '../util/float32.js';
import { mergeTops, type TopSpec } from './top.js';
import { encodeValue } from './values.js';

/** The relation tree. Each node is immutable; a Query wraps one with its heading. */
export type QueryNode =
  | { readonly kind: 'table'; readonly info: TableInfo; readonly heading: Heading }
  | { readonly kind: 'restrict'; readonly source: QueryNode; readonly condition: unknown; readonly heading: Heading }
  | { readonly kind: 'proj'; readonly source: QueryNode; readonly columns: readonly ProjColumn[]; readonly heading: Heading }
  | { readonly kind: 'join'; readonly left: QueryNode; readonly right: QueryNode; readonly heading: Heading }
  /** `source` grouped by its primary key over `other`; `keep` names the attributes of `source` kept. */
  | { readonly kind: 'aggr'; readonly source: QueryNode; readonly other: QueryNode; readonly keep: readonly string[]; readonly computed: readonly ProjColumn[]; readonly keepAllRows: boolean; readonly heading: Heading }
  /** `U(...keys).aggr(source, …)`: `source` grouped by any of its attributes (none: one row). */
  | { readonly kind: 'group'; readonly source: QueryNode; readonly keys: readonly string[]; readonly computed: readonly ProjColumn[]; readonly heading: Heading }
  /** `U(...).restrict(source)`: the distinct values of the heading's attributes in `source`. */
  | { readonly kind: 'distinct'; readonly source: QueryNode; readonly heading: Heading }
  | { readonly kind: 'top'; readonly source: QueryNode; readonly top: TopSpec; readonly heading: Heading }
  | { readonly kind: 'union'; readonly left: QueryNode; readonly right: QueryNode; readonly heading: Heading };

/** A projected attribute: a source attribute (possibly renamed) or an SQL expression. */
export type ProjColumn =
  | { readonly name: string; readonly from: string }
  | { readonly name: string; readonly expression: SqlFragment };

/** Anything that can be compiled: lets restriction by another query avoid an import cycle. */
export interface Compilable {
  readonly node: QueryNode;
}

interface Column { readonly name: string; readonly sql: string; readonly params: readonly unknown[] }
interface Clause { readonly sql: string; readonly params: readonly unknown[] }

/** A SELECT under construction; wrapped into a subquery only when the next operation needs it. */
interface Select {
  readonly columns: readonly Column[];
  readonly from: string;
  readonly fromParams: readonly unknown[];
  readonly where: readonly Clause[];
  /** GROUP BY expressions; `[]` aggregates the whole input into one row. */
  readonly groupBy: readonly string[] | undefined;
  /** Column SQL is `alias.name` for every column: raw SQL may use bare names. */
  readonly plain: boolean;
  readonly distinct: boolean;
  /** ORDER BY / LIMIT / OFFSET of a Top: applies to this SELECT's result. */
  readonly tail: TopSpec | undefined;
}

/** Ordering and paging, applied at the outermost SELECT. */
export interface Modifiers {
  readonly orderBy?: readonly string[];
  readonly limit?: number;
  readonly offset?: number;
}

function hasModifiers(m: Modifiers): boolean {
  return m.orderBy !== undefined || m.limit !== undefined || m.offset !== undefined;
}

class Compiler {
  private next = 0;
  constructor(readonly dialect: Dialect) {}

  alias(): string {
    return this.dialect.quote(`_q${++this.next}`);
  }

  select(node: QueryNode): Select {
    switch (node.kind) {
      case 'table': {
        const alias = this.alias();
        return {
          columns: node.heading.names.map((n) => ({ name: n, sql: `${alias}.${this.dialect.quote(n)}`, params: [] })),
          from: `${this.dialect.tableRef(node.info.schema.database, node.info.tableName)} AS ${alias}`,
          fromParams: [], where: [], groupBy: undefined, plain: true, distinct: false, tail: undefined,
        };
      }
      case 'restrict': {
        const source = this.restrictable(this.select(node.source));
        const condition = this.condition(node.condition, source, node.source.heading);
        return { ...source, where: [...source.where, condition] };
      }
      case 'proj': {
        const source = this.restrictable(this.select(node.source));
        const columns = node.columns.map((c): Column => {
          if ('from' in c) {
            const column = this.column(source, c.from);
            return { name: c.name, sql: column.sql, params: column.params };
          }
          return { name: c.name, ...this.expression(c.expression) };
        });
        return { ...source, columns, plain: columns.every((c) => c.sql.endsWith(`.${this.dialect.quote(c.name)}`) && c.params.length === 0) };
      }
      case 'join':
        return this.join(node.left, node.right, node.heading, 'JOIN');
      case 'aggr': {
        const joined = this.join(node.source, node.other, undefined, node.keepAllRows ? 'LEFT JOIN' : 'JOIN');
        const keep = node.keep.map((n) => this.column(joined, n));
        const computed = node.computed.map((c) => ({ name: c.name, ...this.expression(expressionOf(c)) }));
        const key = node.source.heading.primaryKey.map((n) => this.column(joined, n).sql);
        // The key determines the kept attributes; PostgreSQL cannot see that through a subquery.
        const groupBy = this.dialect.groupsByEveryColumn ? [...new Set([...key, ...keep.map((k) => k.sql)])] : key;
        return { ...joined, columns: [...keep, ...computed], groupBy, plain: false };
      }
      case 'group': {
        const source = this.restrictable(this.select(node.source));
        const keys = node.keys.map((n) => this.column(source, n));
        const computed = node.computed.map((c) => ({ name: c.name, ...this.expression(expressionOf(c)) }));
        return { ...source, columns: [...keys, ...computed], groupBy: keys.map((k) => k.sql), plain: false };
      }
      case 'distinct': {
        const source = this.restrictable(this.select(node.source));
        return { ...source, columns: node.heading.names.map((n) => this.column(source, n)), distinct: true };
      }
      case 'top': {
        const source = this.select(node.source);
        // A Top on a Top without an order of its own was merged by Query.restrict; with one, the
        // first Top's rows are the input.
        const base = source.tail === undefined ? source : this.wrap(source);
        return { ...base, tail: node.top };
      }
      case 'union': {
        const names = node.heading.names;
        const left = this.render(this.select(node.left), names);
        const right = this.render(this.select(node.right), names);
        return this.wrapSql(`${left.sql} UNION ${right.sql}`, [...left.params, ...right.params], names);
      }
    }
  }

  private column(select: Select, name: string): Column {
    const column = select.columns.find((c) => c.name === name);
    if (!column) throw new Error(`internal: ${name} missing from select`);
    return column;
  }

  private expression(fragment: SqlFragment): { sql: string; params: unknown[] } {
    const { sql, params } = fragment.toSql();
    return { sql: `(${sql})`, params };
  }

  private join(leftNode: QueryNode, rightNode: QueryNode, heading: Heading | undefined, kind: string): Select {
    const left = this.source(this.select(leftNode));
    const right = this.source(this.select(rightNode));
    const common = leftNode.heading.names.filter((n) => rightNode.heading.has(n));
    const on = common.length === 0 ? ' ON 1=1' : ` USING (${common.map((n) => this.dialect.quote(n)).join(', ')})`;
    const pick = (n: string): Column => {
      const side = leftNode.heading.has(n) ? left : right;
      return { name: n, sql: `${side.alias}.${this.dialect.quote(n)}`, params: [] };
    };
    const names = heading?.names ?? [...leftNode.heading.names, ...rightNode.heading.names.filter((n) => !leftNode.heading.has(n))];
    return {
      columns: names.map(pick),
      from: `${left.from} ${kind} ${right.from}${on}`,
      fromParams: [...left.params, ...right.params],
      where: [], groupBy: undefined, plain: true, distinct: false, tail: undefined,
    };
  }

  /** A SELECT that can take more WHERE clauses; grouped, computed, distinct or limited ones become subqueries. */
  restrictable(select: Select): Select {
    if (select.groupBy !== undefined || !select.plain || select.distinct || select.tail !== undefined) return this.wrap(select);
    return select;
  }

  private wrap(select: Select): Select {
    const names = select.columns.map((c) => c.name);
    const rendered = this.render(select, names);
    return this.wrapSql(rendered.sql, rendered.params, names);
  }

  private wrapSql(sql: string, params: readonly unknown[], names: readonly string[]): Select {
    const alias = this.alias();
    return {
      columns: names.map((n) => ({ name: n, sql: `${alias}.${this.dialect.quote(n)}`, params: [] })),
      from: `(${sql}) AS ${alias}`, fromParams: params, where: [], groupBy: undefined, plain: true, distinct: false, tail: undefined,
    };
  }

  /** The select as a FROM item with an alias of its own. */
  private source(select: Select): { from: string; params: readonly unknown[]; alias: string } {
    const simpleTable = select.plain && select.where.length === 0 && select.groupBy === undefined && !select.distinct
      && select.tail === undefined && !select.from.startsWith('(') && !/ JOIN /.test(select.from);
    if (simpleTable) {
      const alias = select.from.slice(select.from.lastIndexOf(' AS ') + 4);
      return { from: select.from, params: select.fromParams, alias };
    }
    const rendered = this.render(select, select.columns.map((c) => c.name));
    const alias = this.alias();
    return { from: `(${rendered.sql}) AS ${alias}`, params: rendered.params, alias };
  }

  /** FROM … WHERE … and its parameters, shared by SELECT and count. */
  body(select: Select): { sql: string; params: unknown[] } {
    let sql = ` FROM ${select.from}`;
    const params: unknown[] = [...select.fromParams];
    if (select.where.length > 0) {
      sql += ` WHERE ${select.where.map((w) => w.sql).join(' AND ')}`;
      for (const w of select.where) params.push(...w.params);
    }
    return { sql, params };
  }

  /**
   * The SELECT's text. `output` is the heading of the rows the caller reads: its 4-byte floats are
   * read as the dialect reads them exactly (MySQL prints a FLOAT with 6 significant digits and
   * would lose the rest of the float32, so there they are read as doubles).
   */
  render(select: Select, names: readonly string[], modifiers: Modifiers = {}, output?: Heading): { sql: string; params: unknown[] } {
    let tail = select.tail;
    if (hasModifiers(modifiers)) {
      if (tail !== undefined && modifiers.orderBy !== undefined) {
        // A new order over a Top's rows: the Top runs first, as a subquery.
        return this.render(this.wrap(select), names, modifiers, output);
      }
      const paging = { limit: modifiers.limit, offset: modifiers.offset ?? 0 };
      tail = tail === undefined ? { orderBy: modifiers.orderBy ?? [], ...paging } : mergeTops(tail, paging);
    }
    const params: unknown[] = [];
    const float32 = (n: string): boolean => output !== undefined && output.has(n)
      && output.get(n).type.category === 'float' && isFloat32Column(output.get(n).type.mysql);
    const columns = names.map((n) => {
      const column = this.column(select, n);
      params.push(...column.params);
      return `${float32(n) ? this.dialect.readFloat32(column.sql) : column.sql} AS ${this.dialect.quote(n)}`;
    });
    const body = this.body(select);
    params.push(...body.params);
    let sql = `SELECT ${select.distinct ? 'DISTINCT ' : ''}${columns.join(', ')}${body.sql}`;
    if (select.groupBy !== undefined && select.groupBy.length > 0) sql += ` GROUP BY ${select.groupBy.join(', ')}`;
    if (tail !== undefined) {
      const tailSql = this.tail(tail);
      sql += tailSql.sql;
      params.push(...tailSql.params);
    }
    return { sql, params };
  }

  private tail(tail: TopSpec): Clause {
    let sql = '';
    const params: unknown[] = [];
    if (tail.orderBy.length > 0) {
      sql += ` ORDER BY ${tail.orderBy.map((term) => {
        const { name, descending } = parseOrder(term);
        return `${this.dialect.quote(name)}${descending ? ' DESC' : ''}`;
      }).join(', ')}`;
    }
    if (tail.limit !== undefined || tail.offset > 0) {
      sql += ' LIMIT ?';
      params.push(tail.limit ?? this.dialect.noLimit);
      if (tail.offset > 0) {
        sql += ' OFFSET ?';
        params.push(tail.offset);
      }
    }
    return { sql, params };
  }

  /** Compiles a restriction against the columns of `select`. */
  condition(condition: unknown, select: Select, heading: Heading): Clause {
    if (condition instanceof Not) {
      const inner = this.condition(condition.condition, select, heading);
      return { sql: `NOT (${inner.sql})`, params: inner.params };
    }
    if (typeof condition === 'boolean') return { sql: condition ? '1=1' : '1=0', params: [] };
    if (typeof condition === 'string') return { sql: `(${condition})`, params: [] };
    if (condition instanceof SqlFragment) {
      const { sql, params } = condition.toSql();
      return { sql: `(${sql})`, params };
    }
    if (Array.isArray(condition)) {
      if (condition.length === 0) return { sql: '1=0', params: [] };
      const parts = condition.map((c) => this.condition(c, select, heading));
      return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
    }
    if (isCompilable(condition)) return this.semijoin(condition.node, select, heading);
    if (condition !== null && typeof condition === 'object') {
      const entries = Object.entries(condition as Record<string, unknown>).filter(([, v]) => v !== undefined);
      const unknown = entries.map(([k]) => k).filter((k) => !heading.has(k));
      if (unknown.length > 0) {
        throw new UnknownAttributeError(`Restriction names ${unknown.join(', ')}, which the query does not have. Its attributes are: ${heading.names.join(', ')}.`);
      }
      if (entries.length === 0) return { sql: '1=1', params: [] };
      const params: unknown[] = [];
      const parts = entries.map(([name, value]) => {
        const column = this.column(select, name);
        params.push(...column.params);
        if (value === null) return `${column.sql} IS NULL`;
        params.push(encodeValue({ ...heading.get(name), nullable: true }, value, 'restriction', condition, this.dialect));
        return `${column.sql} = ?`;
      });
      return { sql: `(${parts.join(' AND ')})`, params };
    }
    throw new QueryError(`Cannot restrict by ${String(condition)}. Use an object, an array, a string, sql\`…\`, not(…), top(…) or another query.`);
  }

  /**
   * `EXISTS` over the other query's own FROM and WHERE, correlated on the common attributes. No
   * derived table: MariaDB then runs it as a semijoin in proportion to the matching rows.
   */
  private semijoin(other: QueryNode, select: Select, heading: Heading): Clause {
    const common = heading.names.filter((n) => other.heading.has(n));
    const inner = this.restrictable(this.select(other));
    const matches = common.map((n) => ({ sql: `${this.column(inner, n).sql} = ${this.column(select, n).sql}`, params: this.column(select, n).params }));
    const body = this.body({ ...inner, where: [...inner.where, ...matches] });
    return { sql: `EXISTS (SELECT 1${body.sql})`, params: body.params };
  }
}

function expressionOf(column: ProjColumn): SqlFragment {
  if (!('expression' in column)) throw new Error('internal: aggregate columns are expressions');
  return column.expression;
}

function isCompilable(value: unknown): value is Compilable {
  return value !== null && typeof value === 'object' && 'node' in value && typeof (value as Compilable).node === 'object';
}

/**
 * Compiles a relation tree to one SELECT with `?` placeholders.
 *
 * @example
 * ```ts
 * compileQuery(mysqlDialect, Session.restrict({ sample_number: 1 }).node);
 * // SELECT `_q1`.`subject_name` AS `subject_name`, … FROM `rgc`.`session` AS `_q1` WHERE (`_q1`.`sample_number` = ?)
 * ```
 */
export function compileQuery(dialect: Dialect, node: QueryNode, modifiers: Modifiers = {}, names: readonly string[] = node.heading.names): { sql: string; params: unknown[] } {
  const compiler = new Compiler(dialect);
  return compiler.render(compiler.select(node), names, modifiers, node.heading);
}

/**
 * `SELECT count(*)` of the query's rows. A query without grouping, DISTINCT or a limit counts its
 * own FROM … WHERE directly (its rows are unique by primary key); the others count a derived table.
 *
 * @example
 * ```ts
 * compileCount(mysqlDialect, Spike.restrict(Neuron.restrict({ subject_name: 'a' })).node);
 * // SELECT count(*) AS `n` FROM `rgc`.`spike` AS `_q1` WHERE EXISTS (SELECT 1 FROM `rgc`.`neuron` AS `_q2` WHERE (`_q2`.`subject_name` = ?) AND `_q2`.`subject_name` = `_q1`.`subject_name` AND …)
 * ```
 */
export function compileCount(dialect: Dialect, node: QueryNode, modifiers: Modifiers = {}): { sql: string; params: unknown[] } {
  const compiler = new Compiler(dialect);
  const select = compiler.select(node);
  const n = dialect.quote('n');
  if (!hasModifiers(modifiers) && select.groupBy === undefined && !select.distinct && select.tail === undefined) {
    const body = compiler.body(select);
    return { sql: `SELECT count(*) AS ${n}${body.sql}`, params: body.params };
  }
  const key = node.heading.primaryKey.length > 0 ? node.heading.primaryKey : node.heading.names;
  const inner = compiler.render(select, key, modifiers);
  return { sql: `SELECT count(*) AS ${n} FROM (${inner.sql}) AS ${dialect.quote('_count')}`, params: inner.params };
}
