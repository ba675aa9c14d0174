import type { Connection } from '../connection/connection.js';
import type { Heading } from '../definition/heading.js';
import { compileQuery, type Modifiers, type QueryNode } from './compile.js';
import { decodeRow } from './decode.js';
import { parseOrder } from './order.js';
import { SqlFragment } from './sql.js';

/** Rows per SQLite page: large enough that a page costs little more than its rows. */
const PAGE = 5000;

/** What streaming needs from a query. */
export interface Streamable {
  readonly node: QueryNode;
  readonly connection: Connection;
  readonly modifiers: Modifiers;
  readonly heading: Heading;
  tableLabel(): string;
}

/**
 * The query's rows, one at a time, holding at most a page of them. MySQL/MariaDB and PostgreSQL
 * stream from one server-side cursor (PostgreSQL in key order, which InnoDB gives anyway). SQLite
 * has one connection per file, and an open cursor would block every other statement on it, so
 * rows come in pages; each page continues after the last row of the one before (keyset
 * paging, `WHERE (a, b) > (?, ?) ORDER BY a, b LIMIT ?`), so every page costs the same however deep
 * it lies. An order on a nullable or computed attribute cannot be continued that way and pages with
 * OFFSET instead.
 */
export async function* streamRows(query: Streamable): AsyncGenerator<Record<string, unknown>> {
  const { connection, node, modifiers, heading } = query;
  const dialect = connection.dialect;
  if (dialect.stream) {
    // Rows come in key order on every backend: PostgreSQL's heap has no order of its own.
    const ordered = modifiers.orderBy !== undefined || node.kind === 'top' || dialect.keyOrderedScans
      ? modifiers : { ...modifiers, orderBy: streamOrder(query).map(({ name, descending }) => (descending ? `${name} DESC` : name)) };
    const { sql, params } = compileQuery(dialect, node, ordered);
    for await (const raw of connection.stream(sql, params, query.tableLabel())) yield decodeRow(heading, raw, dialect);
    return;
  }
  const order = streamOrder(query);
  const keyset = order.every(({ name }) => {
    const attribute = heading.get(name);
    return !attribute.nullable && attribute.type.category !== 'blob' && attribute.type.category !== 'computed';
  });
  const orderBy = order.map(({ name, descending }) => (descending ? `${name} DESC` : name));
  let remaining = modifiers.limit ?? Number.POSITIVE_INFINITY;
  let offset = modifiers.offset ?? 0;
  let after: unknown[] | undefined;
  while (remaining > 0) {
    const limit = Math.min(PAGE, remaining);
    const source: QueryNode = after === undefined ? node : { kind: 'restrict', source: node, condition: continueAfter(query, order, after), heading };
    const page: Modifiers = { orderBy, limit, ...(offset > 0 ? { offset } : {}) };
    const { sql, params } = compileQuery(dialect, source, page);
    const rows = await connection.query<Record<string, unknown>>(sql, params, query.tableLabel());
    if (rows.length > 0 && keyset) {
      const last = rows[rows.length - 1]!;
      after = order.map(({ name }) => last[name]);
      offset = 0;
    } else {
      offset += rows.length;
    }
    for (const raw of rows) yield decodeRow(heading, raw, dialect);
    remaining -= rows.length;
    if (rows.length < limit) return;
  }
}

/** The stream's order: the query's, or a Top's, or the primary key; made unique by the key. */
function streamOrder(query: Streamable): Array<{ name: string; descending: boolean }> {
  const explicit = query.modifiers.orderBy ?? (query.node.kind === 'top' ? query.node.top.orderBy : []);
  const order = explicit.map(parseOrder);
  const key = query.heading.primaryKey.length > 0 ? query.heading.primaryKey : query.heading.names;
  for (const name of key) if (!order.some((o) => o.name === name)) order.push({ name, descending: false });
  return order;
}

/**
 * The rows after `values` in `order`: a row-value comparison when every term sorts the same way
 * (SQLite searches its index with it), the expanded lexicographic condition otherwise.
 */
function continueAfter(query: Streamable, order: ReadonlyArray<{ name: string; descending: boolean }>, values: readonly unknown[]): SqlFragment {
  const q = (name: string): string => query.connection.dialect.quote(name);
  const descending = order[0]!.descending;
  if (order.every((o) => o.descending === descending)) {
    const op = descending ? '<' : '>';
    if (order.length === 1) return new SqlFragment([`${q(order[0]!.name)} ${op} `, ''], values);
    const separators = Array.from({ length: values.length - 1 }, () => ', ');
    return new SqlFragment([`(${order.map((o) => q(o.name)).join(', ')}) ${op} (`, ...separators, ')'], values);
  }
  const strings: string[] = [];
  const params: unknown[] = [];
  let text = '';
  order.forEach((term, i) => {
    text += i === 0 ? '(' : ' OR (';
    for (let j = 0; j < i; j++) {
      text += `${q(order[j]!.name)} = `;
      strings.push(text);
      params.push(values[j]);
      text = ' AND ';
    }
    text += `${q(term.name)} ${term.descending ? '<' : '>'} `;
    strings.push(text);
    params.push(values[i]);
    text = ')';
  });
  strings.push(text);
  return new SqlFragment(strings, params);
}
