import type { TableInfo } from './table-info.js';

/** A foreign key seen as an edge of the dependency graph. */
export interface DependencyEdge {
  readonly parent: TableInfo;
  readonly child: TableInfo;
  /** The foreign key lies in the child's primary key (solid in the ERD). */
  readonly primary: boolean;
  readonly renamed: boolean;
  readonly nullable: boolean;
  readonly attributes: readonly string[];
}

const registrationOrder = new WeakMap<TableInfo, number>();
let registered = 0;

/** Records declaration order: it breaks ties in the topological order, so the order is deterministic. */
export function noteRegistration(info: TableInfo): void {
  if (!registrationOrder.has(info)) registrationOrder.set(info, registered++);
}

const rank = (info: TableInfo): number => registrationOrder.get(info) ?? Number.MAX_SAFE_INTEGER;

/**
 * The graph of resolved tables and their foreign keys: parents, children, ancestors,
 * descendants, master ↔ parts, and a deterministic topological order.
 *
 * @example
 * ```ts
 * const graph = DependencyGraph.of(await schema.resolvedTables());
 * graph.descendants(tableInfo(Session)).map((t) => t.className); // ['Stimulation', 'Neuron', ...]
 * ```
 */
export class DependencyGraph {
  readonly nodes: readonly TableInfo[];
  readonly edges: readonly DependencyEdge[];

  private constructor(nodes: TableInfo[], edges: DependencyEdge[]) {
    this.nodes = nodes;
    this.edges = edges;
  }

  /** Builds the graph over resolved tables; parents outside the set are included. */
  static of(tables: readonly TableInfo[]): DependencyGraph {
    const nodes = new Set<TableInfo>();
    const visit = (t: TableInfo): void => {
      if (nodes.has(t)) return;
      nodes.add(t);
      for (const fk of t.resolved?.foreignKeys ?? []) visit(fk.parent);
    };
    tables.forEach(visit);
    const ordered = [...nodes].sort((a, b) => rank(a) - rank(b));
    const edges = ordered.flatMap((child) => (child.resolved?.foreignKeys ?? []).map((fk) => ({
      parent: fk.parent, child, primary: fk.inKey, renamed: fk.renamed, nullable: fk.nullable, attributes: fk.attributes,
    })));
    return new DependencyGraph(ordered, edges);
  }

  /** The tables `table` references with `->`, directly. */
  parents(table: TableInfo): TableInfo[] {
    return unique(this.edges.filter((e) => e.child === table).map((e) => e.parent));
  }

  /** The tables that reference `table` with `->`, directly. */
  children(table: TableInfo): TableInfo[] {
    return unique(this.edges.filter((e) => e.parent === table).map((e) => e.child));
  }

  /** Every table `table` depends on, directly or not. */
  ancestors(table: TableInfo): TableInfo[] {
    return this.closure(table, (t) => this.parents(t));
  }

  /** Every table that depends on `table`, directly or not, and the parts of each. */
  descendants(table: TableInfo): TableInfo[] {
    return this.closure(table, (t) => [...this.children(t), ...t.parts.filter((p) => this.nodes.includes(p))]);
  }

  /** Tables in an order where every parent comes before its children; ties by declaration order. */
  topologicalOrder(subset: readonly TableInfo[] = this.nodes): TableInfo[] {
    const wanted = new Set(subset);
    const pending = new Map<TableInfo, number>();
    for (const t of wanted) pending.set(t, this.parents(t).filter((p) => wanted.has(p)).length);
    const order: TableInfo[] = [];
    while (pending.size > 0) {
      const ready = [...pending].filter(([, n]) => n === 0).map(([t]) => t).sort((a, b) => rank(a) - rank(b))[0];
      if (!ready) throw new Error('internal: dependency cycle survived resolution');
      pending.delete(ready);
      order.push(ready);
      for (const child of this.children(ready)) {
        const n = pending.get(child);
        if (n !== undefined) pending.set(child, n - 1);
      }
    }
    return order;
  }

  private closure(start: TableInfo, next: (t: TableInfo) => TableInfo[]): TableInfo[] {
    const seen = new Set<TableInfo>();
    const stack = next(start);
    while (stack.length > 0) {
      const t = stack.pop() as TableInfo;
      if (seen.has(t) || t === start) continue;
      seen.add(t);
      stack.push(...next(t));
    }
    return this.topologicalOrder([...seen]);
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
