import type { Connection } from '../connection/connection.js';
import { readCatalog, type CatalogForeignKey, type CatalogTable } from './catalog.js';
import { hasLineageTable } from './lineage.js';
import { definitionFromCatalog, unwritableReason } from './reconstruct.js';
import { camelCase, tableNameFor, tierOfTableName, type Tier } from './tiers.js';

/** One table of an existing database, as a class would declare it. */
export interface TablePlan {
  readonly catalog: CatalogTable;
  readonly tier: Tier;
  /** The class's name: `Recording`, or `Channel` for a Part (nested in its master). */
  readonly className: string;
  /** How a definition names it: `Recording`, `Recording.Channel`. */
  readonly refName: string;
  readonly master: TablePlan | undefined;
  readonly parts: TablePlan[];
  /** The definition, reconstructed from the catalog in the spelling the table uses. */
  definition: string;
}

/** An existing database seen as a module of table classes (DataJoint's virtual module). */
export interface SchemaPlan {
  readonly database: string;
  /** `'2.x'` when DataJoint 2 wrote the database (its `~lineage` table, or its 2.x-only markers). */
  readonly spelling: '0.x' | '2.x';
  /** Masters and plain tables, parents first; Parts hang from their masters. */
  readonly tables: readonly TablePlan[];
  /** Tables that cannot be written as DataJoint definitions, and why. */
  readonly skipped: ReadonlyArray<{ readonly table: string; readonly reason: string }>;
  /** Other databases the foreign keys point into: the name definitions use for each → database. */
  readonly references: ReadonlyMap<string, string>;
}

/** DataJoint's table names: an optional tier prefix, snake_case, Parts after `__`. */
const TABLE_NAME = /^(#|__?)?[a-z][a-z0-9_]*$/;

/**
 * A database name as an identifier a definition can use (`other_db.Subject`).
 *
 * @example
 * ```ts
 * referenceAlias('lab-2024'); // 'lab_2024'
 * ```
 */
export const referenceAlias = (database: string): string => {
  const alias = database.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(alias) ? alias : `db_${alias}`;
};

/** Splits `_recording__channel` into its master `_recording` and part `channel` (undefined for non-Parts). */
function partOf(tableName: string): { master: string; part: string } | undefined {
  if (tierOfTableName(tableName) !== 'part') return undefined;
  const at = tableName.lastIndexOf('__');
  return { master: tableName.slice(0, at), part: tableName.slice(at + 2) };
}

/**
 * Reads a database's catalog and plans a class per table: its tier from the name prefix, its
 * class name, Parts under their masters, and its definition with foreign keys naming the other
 * planned classes (`-> Probe.proj(ref_probe='probe')`, `-> master`, `-> other_db.Subject`).
 *
 * @example
 * ```ts
 * const plan = await planSchema(connection, 'dj23_fixture');
 * plan.tables.map((t) => t.refName); // ['Subject', 'Probe', 'Session', 'Recording', …]
 * ```
 */
export async function planSchema(connection: Connection, database: string): Promise<SchemaPlan> {
  const catalog = await readCatalog(connection, database);
  const skipped: Array<{ table: string; reason: string }> = [];
  const byTable = new Map<string, TablePlan>();
  const skip = (table: string, reason: string): void => {
    skipped.push({ table, reason });
    byTable.delete(table);
  };
  const ordered = [...catalog].sort((a, b) => Number(partOf(a.name) !== undefined) - Number(partOf(b.name) !== undefined));
  const classNames = new Set<string>();
  for (const table of ordered) {
    const reason = TABLE_NAME.test(table.name) ? unwritableReason(table) : 'its name is not a DataJoint table name';
    if (reason) {
      skip(table.name, reason);
      continue;
    }
    const part = partOf(table.name);
    const master = part ? byTable.get(part.master) : undefined;
    if (part && !master) {
      skip(table.name, `its master ${part.master} is not in the database (or was skipped)`);
      continue;
    }
    const className = camelCase(part ? part.part : table.name);
    const tier = tierOfTableName(table.name);
    if (tableNameFor(tier, className, master?.catalog.name) !== table.name) {
      skip(table.name, `no class name gives this table name back (${className} would be ${tableNameFor(tier, className, master?.catalog.name)})`);
      continue;
    }
    const refName = master ? `${master.refName}.${className}` : className;
    if (classNames.has(refName) || (master && master.parts.some((p) => p.className === className))) {
      skip(table.name, `another table is already named ${refName}`);
      continue;
    }
    classNames.add(refName);
    const plan: TablePlan = { catalog: table, tier, className, refName, master, parts: [], definition: '' };
    master?.parts.push(plan);
    byTable.set(table.name, plan);
  }
  // DataJoint's foreign keys reference a parent's whole primary key; others cannot be written as `->`.
  for (const plan of [...byTable.values()]) {
    const odd = plan.catalog.foreignKeys.find((fk) => {
      const parent = fk.parentDatabase === database ? catalog.find((t) => t.name === fk.parentTable) : undefined;
      const key = parent?.attributes.filter((a) => a.inKey).map((a) => a.name);
      return key !== undefined && [...fk.parentAttributes].sort().join() !== [...key].sort().join();
    });
    if (odd) skip(plan.catalog.name, `its foreign key (${odd.attributes.join(', ')}) references ${odd.parentTable}(${odd.parentAttributes.join(', ')}), not that table's primary key`);
  }
  // A table whose parent was skipped cannot be declared either; repeat until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const plan of [...byTable.values()]) {
      const lost = plan.catalog.foreignKeys.find((fk) => fk.parentDatabase === database && !byTable.has(fk.parentTable));
      const orphan = plan.master && !byTable.has(plan.master.catalog.name);
      if (lost || orphan) {
        skip(plan.catalog.name, lost ? `its parent ${lost.parentTable} was skipped` : 'its master was skipped');
        plan.master?.parts.splice(plan.master.parts.indexOf(plan), 1);
        changed = true;
      }
    }
  }
  const references = new Map<string, string>();
  for (const plan of byTable.values()) {
    plan.definition = definitionFromCatalog(plan.catalog, (fk) => parentReference(fk, plan, byTable, database, references));
  }
  const markedDj2 = catalog.some((t) => t.attributes.some((a) => a.type.spelling === 'dj2'));
  const spelling = markedDj2 || (await hasLineageTable(connection, database)) ? '2.x' : '0.x';
  return { database, spelling, tables: parentsFirst([...byTable.values()].filter((p) => !p.master), database), skipped, references };
}

function parentReference(fk: CatalogForeignKey, plan: TablePlan, byTable: ReadonlyMap<string, TablePlan>, database: string, references: Map<string, string>): string {
  if (fk.parentDatabase === database) {
    if (plan.master && fk.parentTable === plan.master.catalog.name) return 'master';
    return byTable.get(fk.parentTable)?.refName ?? camelCase(fk.parentTable);
  }
  const alias = referenceAlias(fk.parentDatabase);
  references.set(alias, fk.parentDatabase);
  const part = partOf(fk.parentTable);
  return `${alias}.${part ? `${camelCase(part.master)}.${camelCase(part.part)}` : camelCase(fk.parentTable)}`;
}

/** Tables ordered so that every parent (in this database) comes before its children; ties by name. */
function parentsFirst(tables: readonly TablePlan[], database: string): TablePlan[] {
  const masterOf = (name: string): string => partOf(name)?.master ?? name;
  const done = new Set<string>();
  const order: TablePlan[] = [];
  const pending = [...tables].sort((a, b) => a.catalog.name.localeCompare(b.catalog.name));
  while (pending.length > 0) {
    const index = pending.findIndex((t) => [t, ...t.parts].every((p) => p.catalog.foreignKeys.every((fk) =>
      fk.parentDatabase !== database || masterOf(fk.parentTable) === t.catalog.name || done.has(masterOf(fk.parentTable)))));
    const [next] = pending.splice(index < 0 ? 0 : index, 1);
    if (!next) break;
    done.add(next.catalog.name);
    order.push(next);
  }
  return order;
}
