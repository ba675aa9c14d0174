import 'reflect-metadata';
import { RgSchemaError } from '../../errors.js';
import type { Heading } from '../definition/heading.js';
import type { ParsedDefinition } from '../definition/parser.js';
import type { Schema } from './schema.js';
import type { Tier } from './tiers.js';

/** A foreign key after its parent has been found. */
export interface ResolvedForeignKey {
  readonly parent: TableInfo;
  /** The child's attribute names, in the parent's key order. */
  readonly attributes: readonly string[];
  readonly parentAttributes: readonly string[];
  readonly inKey: boolean;
  readonly nullable: boolean;
  readonly unique: boolean;
  /** True when `.proj()` renamed any attribute (drawn as an orange dot in the ERD). */
  readonly renamed: boolean;
  readonly line: number;
}

/** A secondary index: `index(a, b)` or `unique index(a)`. */
export interface IndexDefinition {
  readonly unique: boolean;
  readonly attributes: readonly string[];
}

/** Everything the library knows of a declared table. Kept in reflect-metadata on the class. */
export interface TableInfo {
  readonly cls: abstract new (...args: never[]) => unknown;
  readonly schema: Schema;
  readonly className: string;
  readonly tableName: string;
  readonly tier: Tier;
  readonly definition: string;
  readonly parsed: ParsedDefinition;
  readonly master: TableInfo | undefined;
  readonly parts: TableInfo[];
  /** Set once the definition's references are resolved. */
  resolved: ResolvedTable | undefined;
  resolving: boolean;
}

/** A table's definition with its references resolved: the full heading, foreign keys and indexes. */
export interface ResolvedTable {
  readonly heading: Heading;
  readonly foreignKeys: readonly ResolvedForeignKey[];
  readonly indexes: readonly IndexDefinition[];
  readonly comment: string;
  /** How the table spells the types both DataJoint generations share: 0.x plain, or 2.x with markers. */
  readonly spelling: 'dj0' | 'dj2';
}

/**
 * A static method a table class may define, run once its table exists (created or checked) during
 * `Schema.activate()`, inside the activation's all-or-nothing scope. The table layer uses it for
 * Lookup `contents`; keeping the hook here lets declaration run it without importing the query
 * layer (imports point query → declare, never back).
 *
 * @example
 * ```ts
 * class Params extends Lookup {
 *   static override async [AFTER_ACTIVATE](info: TableInfo) { await insertRows(info, this.contents, { skipDuplicates: true }); }
 * }
 * ```
 */
export const AFTER_ACTIVATE: unique symbol = Symbol.for('rg-schema:afterActivate');

/** The reflect-metadata key under which a table's {@link TableInfo} lives. */
export const TABLE_METADATA_KEY = 'rg-schema:table';

export function setTableInfo(cls: object, info: TableInfo): void {
  Reflect.defineMetadata(TABLE_METADATA_KEY, info, cls);
}

/**
 * The {@link TableInfo} of a declared table class, or undefined for a class no schema declared.
 *
 * @example
 * ```ts
 * findTableInfo(Session)?.tableName; // 'session'
 * ```
 */
export function findTableInfo(cls: object): TableInfo | undefined {
  return Reflect.getOwnMetadata(TABLE_METADATA_KEY, cls) as TableInfo | undefined;
}

/** The table's metadata, or a clear error when the class was never declared. */
export function tableInfo(cls: object): TableInfo {
  const info = findTableInfo(cls);
  if (!info) {
    const name = (cls as { name?: string }).name ?? 'This class';
    throw new RgSchemaError(`${name} is not declared in a schema. Decorate it with @schema, or call schema.declare(${name}).`);
  }
  return info;
}

/** `database`.`table` — the key of a table across schemas. */
export function fullName(info: TableInfo): string {
  return `${info.schema.database}.${info.tableName}`;
}
