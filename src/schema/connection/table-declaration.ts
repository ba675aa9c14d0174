import type { Attribute, DefaultValue } from '../definition/heading.js';
import type { AttributeType } from '../definition/types.js';

/**
 * A foreign key as the DDL needs it: the child's attributes and the parent they reference.
 * `origins` names, per attribute, the database whose table first declared it (the parent's, or the
 * parent's parent's, …): PostgreSQL keeps an enum's type in the schema that declared it, and a
 * foreign key between two enum columns must use that one type.
 */
export interface ForeignKeyDeclaration {
  readonly attributes: readonly string[];
  readonly parentDatabase: string;
  readonly parentTable: string;
  readonly parentAttributes: readonly string[];
  readonly nullable: boolean;
  readonly unique: boolean;
  readonly origins: readonly string[];
}

/**
 * Everything a dialect needs to create one table, taken from a resolved definition. The declare
 * layer builds it; the dialects turn it into their DDL.
 *
 * @example
 * ```ts
 * connection.dialect.createTable({ database: 'lab_rgc', tableName: 'subject', comment: 'a subject', attributes, primaryKey: ['subject_name'], foreignKeys: [], indexes: [], className: 'Subject', tier: 'manual' });
 * // MySQL: [{ sql: 'CREATE TABLE `lab_rgc`.`subject` (\n  `subject_name` varchar(64) NOT NULL COMMENT …) ENGINE=InnoDB, COMMENT \'a subject\'', params: [] }]
 * ```
 */
export interface TableDeclaration {
  readonly database: string;
  readonly tableName: string;
  readonly className: string;
  readonly tier: string;
  readonly comment: string;
  readonly attributes: readonly Attribute[];
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly ForeignKeyDeclaration[];
  readonly indexes: ReadonlyArray<{ readonly unique: boolean; readonly attributes: readonly string[] }>;
  /**
   * Attributes declared from a type DataJoint sees only as its backend's native type (a jobs
   * table's key, copied from its table's foreign keys): on PostgreSQL they get no comment and no
   * default, as a column inherited through a foreign key.
   */
  readonly nativeAttributes?: readonly string[];
}

/** One statement and its bound values. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** A column as the database holds it. */
export interface CatalogAttribute {
  readonly name: string;
  /** The type as a definition would spell it (marker restored), e.g. `int unsigned`, `float32`. */
  readonly typeText: string;
  /**
   * The column's storage in MySQL's spelling, as compared with a declaration: the catalog's own
   * type on MySQL (`int(11)`, `longtext`), the storage of the declared type elsewhere.
   */
  readonly sqlType: string;
  /** The type as DataJoint reads it; `unsupported` for what rg-schema cannot read. */
  readonly type: AttributeType;
  readonly inKey: boolean;
  readonly nullable: boolean;
  readonly default: DefaultValue | undefined;
  readonly comment: string;
}

/** A foreign key as the catalog shows it. */
export interface CatalogForeignKey {
  readonly attributes: readonly string[];
  readonly parentDatabase: string;
  readonly parentTable: string;
  readonly parentAttributes: readonly string[];
}

/** A table as the database's own catalog describes it. */
export interface CatalogTable {
  readonly database: string;
  readonly name: string;
  readonly comment: string;
  readonly attributes: readonly CatalogAttribute[];
  readonly foreignKeys: readonly CatalogForeignKey[];
  readonly indexes: ReadonlyArray<{ readonly unique: boolean; readonly attributes: readonly string[] }>;
}
