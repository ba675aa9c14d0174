import type { CatalogTable } from '../schema/declare/catalog.js';
import type { DependencyGraph } from '../schema/declare/dependencies.js';
import { camelCase, tierOfTableName, type Tier } from '../schema/declare/tiers.js';

/** A table as the ERD draws it. */
export interface ErdNode {
  /** `database.table`: unique across schemas. */
  readonly id: string;
  /** The class name (`Session`, `Session.Trial` for a Part). */
  readonly name: string;
  readonly database: string;
  readonly tier: Tier;
  /** The definition lines, for the tooltip. */
  readonly definition: string;
}

/** A foreign key as the ERD draws it. */
export interface ErdEdge {
  readonly parent: string;
  readonly child: string;
  readonly primary: boolean;
  readonly renamed: boolean;
  /** child attribute ← parent attribute, for renamed keys. */
  readonly renames: ReadonlyArray<readonly [string, string]>;
}

/** The tables and foreign keys a {@link Diagram} draws from. */
export interface ErdModel {
  readonly nodes: readonly ErdNode[];
  readonly edges: readonly ErdEdge[];
}

/** The model of declared tables (schema classes). */
export function modelFromDependencies(graph: DependencyGraph): ErdModel {
  const id = (t: DependencyGraph['nodes'][number]): string => `${t.schema.database}.${t.tableName}`;
  return {
    nodes: graph.nodes.map((t) => ({
      id: id(t), name: t.className, database: t.schema.database, tier: t.tier,
      definition: t.definition.split('\n').map((l) => l.trim()).filter((l) => l !== '').join('\n'),
    })),
    edges: graph.nodes.flatMap((child) => (child.resolved?.foreignKeys ?? []).map((fk) => ({
      parent: id(fk.parent), child: id(child), primary: fk.inKey, renamed: fk.renamed,
      renames: fk.attributes.map((a, i) => [a, fk.parentAttributes[i] ?? a] as const).filter(([a, p]) => a !== p),
    }))),
  };
}

/**
 * The model of tables read from a live database catalog, including schemas DataJoint for Python
 * declared: tiers come from DataJoint's name prefixes, class names from the table names.
 */
export function modelFromCatalog(tables: readonly CatalogTable[]): ErdModel {
  const nameOf = (table: string): string => {
    const [master, part] = table.replace(/^[#_]+/, '').split('__');
    return part === undefined ? camelCase(table) : `${camelCase(master ?? '')}.${camelCase(part)}`;
  };
  const ids = new Set(tables.map((t) => `${t.database}.${t.name}`));
  return {
    nodes: tables.map((t) => ({
      id: `${t.database}.${t.name}`, name: nameOf(t.name), database: t.database, tier: tierOfTableName(t.name),
      definition: t.attributes.map((a) => `${a.name} : ${a.typeText}`).join('\n'),
    })),
    edges: tables.flatMap((t) => t.foreignKeys
      .filter((fk) => ids.has(`${fk.parentDatabase}.${fk.parentTable}`))
      .map((fk) => {
        const renames = fk.attributes.map((a, i) => [a, fk.parentAttributes[i] ?? a] as const).filter(([a, p]) => a !== p);
        return {
          parent: `${fk.parentDatabase}.${fk.parentTable}`, child: `${t.database}.${t.name}`,
          primary: fk.attributes.every((a) => t.attributes.find((x) => x.name === a)?.inKey),
          renamed: renames.length > 0, renames,
        };
      })),
  };
}
