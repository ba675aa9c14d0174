import { DataLossError, RgSchemaError } from '../../errors.js';
import type { TableInfo } from '../declare/table-info.js';
import { compileQuery } from './compile.js';
import { Query } from './query.js';

/** Options of a cascading delete. */
export interface DeleteOptions {
  /** Delete even when rows of other tables would go too. */
  readonly force?: boolean;
  /** `'ignore'` allows deleting from a Part directly (DataJoint's part_integrity). */
  readonly partIntegrity?: 'enforce' | 'ignore';
}

function baseTable(query: Query<object>): TableInfo {
  const node = query.node;
  let n = node;
  while (n.kind === 'restrict' || n.kind === 'top') n = n.source;
  if (n.kind !== 'table') throw new RgSchemaError('delete() needs a table or a restriction of one (objects, queries, top(…)); it cannot delete from a join, projection or aggregation.');
  return n.info;
}

/**
 * Deletes the query's rows and, first, every row that depends on them, in one transaction, in
 * reverse topological order. Returns the rows deleted per table.
 *
 * @example
 * ```ts
 * await Session.restrict({ subject_name: 'x' }).delete({ force: true });
 * // { Session: 2, Stimulation: 2, Neuron: 12, Spike: 3120 }
 * ```
 */
export async function deleteCascade(query: Query<object>, options: DeleteOptions = {}): Promise<Record<string, number>> {
  const root = baseTable(query);
  await root.schema.activate();
  if (root.tier === 'part' && options.partIntegrity !== 'ignore') {
    throw new DataLossError(`${root.className} is a Part of ${root.master?.className}; delete from the master, or pass { partIntegrity: 'ignore' }.`);
  }
  const graph = root.schema.dependencies();
  const order = graph.topologicalOrder([root, ...graph.descendants(root)]);
  const restricted = new Map<TableInfo, Query<object>>([[root, query]]);
  for (const table of order.slice(1)) {
    const conditions = graph.edges.filter((e) => e.child === table && restricted.has(e.parent)).map((edge) => {
      const parentQuery = restricted.get(edge.parent)!;
      const fk = table.resolved!.foreignKeys.find((f) => f.parent === edge.parent && f.attributes === edge.attributes)!;
      const renames = Object.fromEntries(fk.attributes.map((a, i) => [a, fk.parentAttributes[i]!]).filter(([a, p]) => a !== p));
      return Object.keys(renames).length > 0 ? (parentQuery as unknown as Query<Record<string, unknown>>).proj(renames) as unknown as Query<object> : parentQuery.proj();
    });
    restricted.set(table, Query.ofTable(table, table.resolved!.heading).restrict(conditions));
  }
  const connection = root.schema.connection;
  return connection.transaction(async () => {
    const counts: Record<string, number> = {};
    for (const table of order) counts[table.className] = await restricted.get(table)!.count();
    const others = order.slice(1).filter((t) => (counts[t.className] ?? 0) > 0);
    if (others.length > 0 && !options.force) {
      throw new DataLossError(`Deleting from ${root.className} would also delete ${others.map((t) => `${counts[t.className]} rows of ${t.className}`).join(', ')}. Pass { force: true } to delete them too.`);
    }
    for (const table of [...order].reverse()) {
      if ((counts[table.className] ?? 0) === 0) continue;
      await deleteRows(table, restricted.get(table)!);
    }
    return counts;
  });
}

async function deleteRows(table: TableInfo, query: Query<object>): Promise<number> {
  const connection = table.schema.connection;
  const { dialect } = connection;
  const key = table.resolved!.heading.primaryKey;
  const inner = compileQuery(dialect, query.node, {}, key);
  const columns = key.map((k) => dialect.quote(k)).join(', ');
  const sql = `DELETE FROM ${dialect.tableRef(table.schema.database, table.tableName)} WHERE (${columns}) IN (SELECT ${columns} FROM (${inner.sql}) AS ${dialect.quote('_del')})`;
  const result = await connection.run(sql, inner.params, table.className);
  return result.affectedRows;
}

/** Deletes the query's rows without cascading; dependent rows make it fail with IntegrityError. */
export async function deleteQuick(query: Query<object>): Promise<number> {
  const root = baseTable(query);
  await root.schema.activate();
  return root.schema.connection.transaction(() => deleteRows(root, query));
}
