import { QueryError, UnknownAttributeError } from '../../errors.js';
import type { Dialect } from '../connection/dialect.js';
import type { Heading } from '../definition/heading.js';
import type { TableInfo } from '../declare/table-info.js';
import { Not, SqlFragment } from './sql.js';
import { isFloat32Column } from './float32.js';
import { encodeValue } from './values.js';

/** The relation tree. Each node is immutable; a Query wraps one with its heading. */
export type QueryNode =
  | { readonly kind: 'table'; readonly info: TableInfo; readonly heading: Heading }
  | { readonly kind: 'restrict'; readonly source: QueryNode; readonly condition: unknown; readonly heading: Heading }
  | { readonly kind: 'proj'; readonly source: QueryNode; readonly columns: readonly ProjColumn[]; readonly heading: Heading }
  | { readonly kind: 'join'; readonly left: QueryNode; readonly right: QueryNode; readonly heading: Heading; readonly outer?: boolean }
  | { readonly kind: 'aggr'; readonly source: QueryNode; readonly other: QueryNode; readonly computed: readonly ProjColumn[]; readonly keepAllRows: boolean; readonly heading: Heading }
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

/** A SELECT under construction; wrapped into a subquery only when the next operation needs it. */
interface Select {
  readonly columns: readonly Column[];
  readonly from: string;
  readonly fromParams: readonly unknown[];
  readonly where: ReadonlyArray<{ sql: string; params: readonly unknown[] }>;
  readonly groupBy: readonly string[] | undefined;
  /** Column SQL is `alias.name` for every column: raw SQL may use bare names. */
  readonly plain: boolean;
}

/** Ordering and paging, applied at the outermost SELECT. */
export interface Modifiers {
  readonly orderBy?: readonly string[];
  readonly limit?: number;
  readonly offset?: number;
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
          fromParams: [], where: [], groupBy: undefined, plain: true,
        };
      }
      case 'restrict': {
        const source = this.restrictable(this.select(node.source));
        const condition = this.condition(node.condition, source, node.source.heading);
        return { ...source, where: [...source.where, condition] };
      }
      case 'proj': {
        const source = this.restrictable(this.select(node.source));
        const byName = new Map(source.columns.map((c) => [c.name, c]));
        const columns = node.columns.map((c): Column => {
          if ('from' in c) {
            const column = byName.get(c.from);
            if (!column) throw new Error(`internal: ${c.from} missing from projection source`);
            return { name: c.name, sql: column.sql, params: column.params };
          }
          const expression = c.expression.toSql();
          return { name: c.name, sql: `(${expression.sql})`, params: expression.params };
        });
        return { ...source, columns, plain: columns.every((c) => c.sql.endsWith(`.${this.dialect.quote(c.name)}`) && c.params.length === 0) };
      }
      case 'join':
        return this.join(node.left, node.right, node.heading, node.outer ? 'LEFT JOIN' : 'JOIN');
      case 'aggr': {
        const joined = this.join(node.source, node.other, undefined, node.keepAllRows ? 'LEFT JOIN' : 'JOIN');
        const keep = node.source.heading.names.map((n) => {
          const column = joined.columns.find((c) => c.name === n);
          if (!column) throw new Error(`internal: ${n} missing from aggregation`);
          return column;
        });
        const computed = node.computed.map((c): Column => {
          if (!('expression' in c)) throw new Error('internal: aggr columns are expressions');
          const expression = c.expression.toSql();
          return { name: c.name, sql: `(${expression.sql})`, params: expression.params };
        });
        const key = node.source.heading.primaryKey.map((n) => keep.find((c) => c.name === n)?.sql ?? '');
        return { ...joined, columns: [...keep, ...computed], groupBy: key, plain: false };
      }
      case 'union': {
        const names = node.heading.names;
        const left = this.render(this.select(node.left), names);
        const right = this.render(this.select(node.right), names);
        return this.wrapSql(`${left.sql} UNION ${right.sql}`, [...left.params, ...right.params], names);
      }
    }
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
      where: [], groupBy: undefined, plain: true,
    };
  }

  /** A SELECT that can take more WHERE clauses; grouped or computed ones become subqueries. */
  private restrictable(select: Select): Select {
    if (select.groupBy !== undefined || !select.plain) {
      const rendered = this.render(select, select.columns.map((c) => c.name));
      return this.wrapSql(rendered.sql, rendered.params, select.columns.map((c) => c.name));
    }
    return select;
  }

  private wrapSql(sql: string, params: readonly unknown[], names: readonly string[]): Select {
    const alias = this.alias();
    return {
      columns: names.map((n) => ({ name: n, sql: `${alias}.${this.dialect.quote(n)}`, params: [] })),
      from: `(${sql}) AS ${alias}`, fromParams: params, where: [], groupBy: undefined, plain: true,
    };
  }

  /** The select as a FROM item with an alias of its own. */
  private source(select: Select): { from: string; params: readonly unknown[]; alias: string } {
    const simpleTable = select.plain && select.where.length === 0 && select.groupBy === undefined && !select.from.startsWith('(') && !/ JOIN /.test(select.from);
    if (simpleTable) {
      const alias = select.from.slice(select.from.lastIndexOf(' AS ') + 4);
      return { from: select.from, params: select.fromParams, alias };
    }
    const rendered = this.render(select, select.columns.map((c) => c.name));
    const alias = this.alias();
    return { from: `(${rendered.sql}) AS ${alias}`, params: rendered.params, alias };
  }

  /**
   * The SELECT's text. `output` is the heading of the rows the caller reads: on MySQL its 4-byte
   * floats are read as doubles, because MySQL prints a FLOAT with 6 significant digits and would
   * lose the rest of the float32.
   */
  render(select: Select, names: readonly string[], modifiers: Modifiers = {}, output?: Heading): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const widen = (n: string): boolean => this.dialect.name === 'mysql' && output !== undefined && output.has(n)
      && output.get(n).type.category === 'float' && isFloat32Column(output.get(n).type.mysql);
    const columns = names.map((n) => {
      const column = select.columns.find((c) => c.name === n);
      if (!column) throw new Error(`internal: ${n} missing from select`);
      params.push(...column.params);
      return `${widen(n) ? `CAST(${column.sql} AS DOUBLE)` : column.sql} AS ${this.dialect.quote(n)}`;
    });
    params.push(...select.fromParams);
    let sql = `SELECT ${columns.join(', ')} FROM ${select.from}`;
    if (select.where.length > 0) {
      sql += ` WHERE ${select.where.map((w) => w.sql).join(' AND ')}`;
      for (const w of select.where) params.push(...w.params);
    }
    if (select.groupBy !== undefined) sql += ` GROUP BY ${select.groupBy.join(', ')}`;
    if (modifiers.orderBy && modifiers.orderBy.length > 0) {
      sql += ` ORDER BY ${modifiers.orderBy.map((o) => {
        const [name, direction] = o.trim().split(/\s+/);
        return `${this.dialect.quote(name ?? '')}${direction ? ` ${direction.toUpperCase()}` : ''}`;
      }).join(', ')}`;
    }
    if (modifiers.limit !== undefined || modifiers.offset !== undefined) {
      sql += ' LIMIT ?';
      params.push(modifiers.limit ?? (this.dialect.name === 'sqlite' ? -1 : Number.MAX_SAFE_INTEGER));
      if (modifiers.offset !== undefined) {
        sql += ' OFFSET ?';
        params.push(modifiers.offset);
      }
    }
    return { sql, params };
  }

  /** Compiles a restriction against the columns of `select`. */
  condition(condition: unknown, select: Select, heading: Heading): { sql: string; params: readonly unknown[] } {
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
        const column = select.columns.find((c) => c.name === name);
        if (!column) throw new Error(`internal: ${name} missing from select`);
        params.push(...column.params);
        if (value === null) return `${column.sql} IS NULL`;
        params.push(encodeValue({ ...heading.get(name), nullable: true }, value, 'restriction', condition, this.dialect.name));
        return `${column.sql} = ?`;
      });
      return { sql: `(${parts.join(' AND ')})`, params };
    }
    throw new QueryError(`Cannot restrict by ${String(condition)}. Use an object, an array, a string, sql\`…\`, not(…) or another query.`);
  }

  private semijoin(other: QueryNode, select: Select, heading: Heading): { sql: string; params: readonly unknown[] } {
    const common = heading.names.filter((n) => other.heading.has(n));
    const inner = this.select(other);
    const rendered = this.render(inner, common.length > 0 ? common : other.heading.names.slice(0, 1));
    const alias = this.alias();
    const params: unknown[] = [...rendered.params];
    const matches = common.map((n) => {
      const column = select.columns.find((c) => c.name === n);
      params.push(...(column?.params ?? []));
      return `${alias}.${this.dialect.quote(n)} = ${column?.sql ?? ''}`;
    });
    const where = matches.length > 0 ? ` WHERE ${matches.join(' AND ')}` : '';
    return { sql: `EXISTS (SELECT 1 FROM (${rendered.sql}) AS ${alias}${where})`, params };
  }
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

/** `SELECT count(*)` over the query. */
export function compileCount(dialect: Dialect, node: QueryNode): { sql: string; params: unknown[] } {
  const inner = compileQuery(dialect, node, {}, node.heading.primaryKey.length > 0 ? node.heading.primaryKey : node.heading.names);
  return { sql: `SELECT count(*) AS ${dialect.quote('n')} FROM (${inner.sql}) AS ${dialect.quote('_count')}`, params: inner.params };
}
