import type { Dialect } from '../connection/dialect.js';
import type { Statement, TableDeclaration } from '../connection/table-declaration.js';
import type { ResolvedTable, TableInfo } from './table-info.js';

/**
 * The database whose table first declared a child's attribute: the attribute of a foreign key
 * comes from its parent, which may have it from its own parent, and so on.
 */
function originOf(info: TableInfo, attribute: string): string {
  const fk = info.resolved?.foreignKeys.find((f) => f.attributes.includes(attribute));
  if (!fk) return info.schema.database;
  return originOf(fk.parent, fk.parentAttributes[fk.attributes.indexOf(attribute)] ?? attribute);
}

/**
 * What the dialects need to create a declared table.
 *
 * @example
 * ```ts
 * tableDeclaration(info, info.resolved!).foreignKeys[0];
 * // { attributes: ['subject_id'], parentDatabase: 'lab', parentTable: 'subject', parentAttributes: ['subject_id'], origins: ['lab'], … }
 * ```
 */
export function tableDeclaration(info: TableInfo, table: ResolvedTable): TableDeclaration {
  return {
    database: info.schema.database,
    tableName: info.tableName,
    className: info.className,
    tier: info.tier,
    comment: table.comment,
    attributes: table.heading.attributes,
    primaryKey: table.heading.primaryKey,
    foreignKeys: table.foreignKeys.map((fk) => ({
      attributes: fk.attributes,
      parentDatabase: fk.parent.schema.database,
      parentTable: fk.parent.tableName,
      parentAttributes: fk.parentAttributes,
      nullable: fk.nullable,
      unique: fk.unique,
      origins: fk.parentAttributes.map((p) => originOf(fk.parent, p)),
    })),
    indexes: table.indexes,
  };
}

/**
 * The statements that create one declared table on the dialect: DataJoint's exact layout on MySQL
 * and PostgreSQL (comments with `:type:` markers, `ON UPDATE CASCADE ON DELETE RESTRICT`), the
 * same keys and constraints on SQLite.
 *
 * @example
 * ```ts
 * createTableStatements(mysqlDialect, info, info.resolved!);
 * // [{ sql: 'CREATE TABLE `lab`.`subject` (…) ENGINE=InnoDB, COMMENT \'a subject\'', params: [] }]
 * ```
 */
export function createTableStatements(dialect: Dialect, info: TableInfo, table: ResolvedTable): Statement[] {
  return dialect.createTable(tableDeclaration(info, table));
}
