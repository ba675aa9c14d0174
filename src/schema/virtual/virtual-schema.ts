import { PopulateError, RgSchemaError } from '../../errors.js';
import { Connection } from '../connection/connection.js';
import { resolveConnectionSpec, type ConnectionOptions } from '../connection/config.js';
import { listTableNames } from '../declare/catalog.js';
import { planSchema, type TablePlan } from '../declare/catalog-plan.js';
import { Schema } from '../declare/schema.js';
import type { Tier } from '../declare/tiers.js';
import { Computed, Imported } from '../populate/auto-populate.js';
import type { TableClass } from '../table/table.js';
import { Lookup, Manual, Part } from '../table/tiers.js';

/** A table class of a virtual schema; a master's Parts are its static properties (`Recording.Channel`). */
export type VirtualTable = TableClass & { readonly [part: string]: TableClass | undefined };

/** What a virtual schema holds besides its classes. */
export interface VirtualSchemaInfo {
  /** The schema the classes are declared in (its name is the database's). */
  readonly schema: Schema;
  readonly database: string;
  /** Every class by the name definitions use: `Subject`, `Recording.Channel`. */
  readonly tables: Readonly<Record<string, VirtualTable>>;
  /** Tables that could not be opened as classes, and why (names DataJoint would not give, …). */
  readonly skipped: ReadonlyArray<{ readonly table: string; readonly reason: string }>;
  /** The class of that name, or an error listing the names there are. */
  table(name: string): VirtualTable;
}

/** A virtual schema: its classes are properties (`lab.Subject`), beside {@link VirtualSchemaInfo}. */
export type VirtualModule = VirtualSchemaInfo & { readonly [className: string]: VirtualTable };

/** Where to connect, as for a Schema. */
export type VirtualSchemaOptions = Omit<ConnectionOptions, 'prefix'>;

const BASES: Record<Tier, abstract new () => object> = { manual: Manual, lookup: Lookup, imported: Imported, computed: Computed, part: Part };

/**
 * Opens an existing database with no classes written, as DataJoint's `dj.VirtualModule` /
 * `dj.virtual_schema` does: every table becomes a class with its tier (from the name prefix),
 * primary key, heading, Parts (`master__part`) and foreign keys (from the catalog, renamed ones
 * included). Query, fetch (blobs too), insert into Manual tables; Imported and Computed tables
 * read, but their make() is not here. Databases that foreign keys point into are opened too.
 *
 * @example
 * ```ts
 * const lab = await virtualSchema('dj23_fixture', { connection: 'mysql://root@127.0.0.1:3306' });
 * await lab.Subject!.fetch();
 * await lab.Recording!.Channel!.restrict({ subject_id: 1 }).fetch('trace');
 * lab.table('Session').heading.primaryKey; // ['subject_id', 'session_idx']
 * // SELECT … FROM `dj23_fixture`.`session` AS `_q1` …
 * ```
 */
export async function virtualSchema(database: string, options: VirtualSchemaOptions = {}): Promise<VirtualModule> {
  const opening = new Map<string, VirtualModule>();
  const module = await open(database, options, opening);
  await module.schema.activate();
  return module;
}

async function open(database: string, options: VirtualSchemaOptions, opening: Map<string, VirtualModule>): Promise<VirtualModule> {
  const already = opening.get(database);
  if (already) return already;
  if (!/^[a-z][a-z0-9_]*$/.test(database)) {
    throw new RgSchemaError(`Cannot open "${database}" as a virtual schema: rg-schema names schemas with lower case letters, digits and underscores.`);
  }
  const connection = Connection.for(resolveConnectionSpec({ ...options, prefix: '' }));
  if ((await listTableNames(connection, database)).length === 0) {
    throw new RgSchemaError(`Database "${database}" has no tables on ${connection.display}. Check the name (DataJoint's database prefix included).`);
  }
  const plan = await planSchema(connection, database);
  const context: Record<string, unknown> = {};
  const schema = new Schema(database, { ...options, prefix: '', context, spelling: plan.spelling });
  const tables: Record<string, VirtualTable> = {};
  const info: VirtualSchemaInfo = {
    schema, database, tables, skipped: plan.skipped,
    table(name: string): VirtualTable {
      const found = tables[name];
      if (!found) throw new RgSchemaError(`${database} has no table class ${name}. Its tables are: ${Object.keys(tables).join(', ')}.`);
      return found;
    },
  };
  const module = info as VirtualModule;
  opening.set(database, module);
  for (const [alias, other] of plan.references) context[alias] = await open(other, options, opening);
  for (const master of plan.tables) {
    const cls = tableClass(master);
    for (const part of master.parts) {
      const partClass = tableClass(part);
      Object.defineProperty(cls, part.className, { value: partClass, enumerable: true });
      tables[part.refName] = partClass;
    }
    schema.declare(cls);
    tables[master.refName] = cls;
    Object.defineProperty(module, master.className, { value: cls, enumerable: true });
  }
  return module;
}

/** A class for one planned table, named as DataJoint would name it. */
function tableClass(plan: TablePlan): VirtualTable {
  const Base = BASES[plan.tier];
  const cls = { [plan.className]: class extends Base {} }[plan.className]!;
  Object.defineProperty(cls, 'definition', { value: plan.definition, enumerable: true });
  if (plan.tier === 'imported' || plan.tier === 'computed') {
    Object.defineProperty(cls.prototype, 'make', {
      value(key: Record<string, unknown>): Promise<void> {
        return Promise.reject(new PopulateError(`${plan.refName} was opened from the database, so it has no make(); populate it where its class is written (DataJoint for Python, or rg-schema codegen plus your make()).`, key));
      },
    });
  }
  return cls as unknown as VirtualTable;
}
