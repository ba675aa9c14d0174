import { Schema } from '../schema/declare/schema.js';
import { tableInfo } from '../schema/declare/table-info.js';
import { modelFromDependencies, type ErdModel, type ErdNode } from './graph-model.js';
import { toDot, type DotOptions } from './dot.js';
import { toMermaid } from './mermaid.js';
import { renderSvg } from './render.js';

/**
 * An entity-relationship diagram: a set of tables shown out of a dependency graph. Diagrams add
 * and subtract, and widen around what they show, as DataJoint's do.
 *
 * @example
 * ```ts
 * const d = Diagram.of(schema).add(Diagram.of(Neuron).upstream(1));
 * await writeFile('erd.svg', await d.toSvg());
 * d.toDot(); // 'digraph "rgc" { … "Session" [shape=box, … fillcolor="#00FF0030"] … }'
 * ```
 */
export class Diagram {
  readonly model: ErdModel;
  readonly shown: ReadonlySet<string>;

  constructor(model: ErdModel, shown: Iterable<string>) {
    this.model = model;
    this.shown = new Set(shown);
  }

  /** Every table of a schema, or one table class. */
  static of(source: Schema | (abstract new (...args: never[]) => unknown)): Diagram {
    if (source instanceof Schema) {
      const model = modelFromDependencies(source.dependencies());
      return new Diagram(model, model.nodes.filter((n) => n.database === source.database).map((n) => n.id));
    }
    const info = tableInfo(source);
    const model = modelFromDependencies(info.schema.dependencies());
    return new Diagram(model, [`${info.schema.database}.${info.tableName}`]);
  }

  /** A diagram of a model (e.g. read from a live catalog), showing all of it. */
  static ofModel(model: ErdModel): Diagram {
    return new Diagram(model, model.nodes.map((n) => n.id));
  }

  /** The union; both must come from the same connection's graph. */
  add(other: Diagram): Diagram {
    const nodes = new Map([...this.model.nodes, ...other.model.nodes].map((n) => [n.id, n]));
    const edges = new Map([...this.model.edges, ...other.model.edges].map((e) => [`${e.parent}>${e.child}>${e.renames.join()}`, e]));
    return new Diagram({ nodes: [...nodes.values()], edges: [...edges.values()] }, [...this.shown, ...other.shown]);
  }

  /** What this shows and the other does not. */
  subtract(other: Diagram): Diagram {
    return new Diagram(this.model, [...this.shown].filter((id) => !other.shown.has(id)));
  }

  /** Adds `steps` generations of children. */
  downstream(steps = 1): Diagram {
    return this.widen(steps, (id) => this.model.edges.filter((e) => e.parent === id).map((e) => e.child));
  }

  /** Adds `steps` generations of parents. */
  upstream(steps = 1): Diagram {
    return this.widen(steps, (id) => this.model.edges.filter((e) => e.child === id).map((e) => e.parent));
  }

  private widen(steps: number, next: (id: string) => string[]): Diagram {
    const shown = new Set(this.shown);
    for (let i = 0; i < steps; i++) {
      const added = [...shown].flatMap(next).filter((id) => !shown.has(id));
      if (added.length === 0) break;
      added.forEach((id) => shown.add(id));
    }
    return new Diagram(this.model, shown);
  }

  /** The shown nodes, in a stable order (by database, then name). */
  get nodes(): ErdNode[] {
    return this.model.nodes.filter((n) => this.shown.has(n.id)).sort((a, b) => (a.database + a.name < b.database + b.name ? -1 : a.database + a.name > b.database + b.name ? 1 : 0));
  }

  /** The edges between shown nodes, in a stable order. */
  get edges(): ErdModel['edges'] {
    return this.model.edges.filter((e) => this.shown.has(e.parent) && this.shown.has(e.child))
      .slice().sort((a, b) => `${a.parent}>${a.child}>${a.renames.join()}`.localeCompare(`${b.parent}>${b.child}>${b.renames.join()}`));
  }

  /** DOT text in DataJoint's styling, the same for the same diagram. */
  toDot(options: DotOptions = {}): string {
    return toDot(this, options);
  }

  /** Mermaid flowchart text, for renderers other than Graphviz (GitHub, GitLab, docs sites). */
  toMermaid(): string {
    return toMermaid(this);
  }

  /** SVG rendered by Graphviz compiled to WASM: no `dot` binary is needed. */
  toSvg(options: DotOptions = {}): Promise<string> {
    return renderSvg(this.toDot(options));
  }
}
