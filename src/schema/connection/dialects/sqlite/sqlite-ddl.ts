import { DefinitionError } from '../../../../errors.js';
import type { Attribute, DefaultValue } from '../../../definition/heading.js';
import type { Statement, TableDeclaration } from '../../table-declaration.js';
import { defaultClause, standardString } from '../ddl-parts.js';

/** The table in which SQLite keeps what it cannot store itself: declared types, comments, tiers. */
export const SQLITE_META_TABLE = '~rg_meta';

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/** `"database.table"`: every schema shares one file, so the schema is part of the name. */
export function sqliteTableRef(database: string, table: string): string {
  return quote(`${database}.${table}`);
}

/** What the SQLite metadata table records of one table. */
export interface SqliteDeclaration {
  readonly tier: string;
  readonly className: string;
  readonly comment: string;
  readonly attributes: ReadonlyArray<{ name: string; type: string; inKey: boolean; nullable: boolean; default: DefaultValue | null; comment: string }>;
  readonly foreignKeys: ReadonlyArray<{ attributes: readonly string[]; parentDatabase: string; parentTable: string; parentAttributes: readonly string[]; nullable: boolean; unique: boolean }>;
  readonly indexes: ReadonlyArray<{ unique: boolean; attributes: readonly string[] }>;
}

function declaration(table: TableDeclaration): SqliteDeclaration {
  return {
    tier: table.tier,
    className: table.className,
    comment: table.comment,
    attributes: table.attributes.map((a) => ({
      name: a.name, type: a.type.marker ?? a.type.declared, inKey: a.inKey, nullable: a.nullable, default: a.default ?? null, comment: a.comment,
    })),
    foreignKeys: table.foreignKeys.map((fk) => ({
      attributes: fk.attributes, parentDatabase: fk.parentDatabase, parentTable: fk.parentTable,
      parentAttributes: fk.parentAttributes, nullable: fk.nullable, unique: fk.unique,
    })),
    indexes: table.indexes.filter((i) => !table.foreignKeys.some((fk) => fk.unique && fk.attributes === i.attributes)),
  };
}

function column(a: Attribute, inlineKey: boolean): string {
  if (inlineKey) return `${quote(a.name)} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL`;
  return `${quote(a.name)} ${a.type.sqlite}${a.nullable ? '' : ' NOT NULL'}${defaultClause(a.default, standardString)}`;
}

/**
 * The statements that create one SQLite table: the same keys and constraints as on the servers,
 * enum values as CHECK constraints, indexes named after the table, and the declaration recorded
 * in {@link SQLITE_META_TABLE} (SQLite keeps no comments).
 *
 * @example
 * ```ts
 * createSqliteTable(declaration);
 * // CREATE TABLE "lab.subject" (\n  "subject_id" INTEGER NOT NULL,\n  PRIMARY KEY ("subject_id")\n)
 * // INSERT INTO "~rg_meta" (database_name, table_name, declaration) VALUES (?, ?, ?)
 * ```
 */
export function createSqliteTable(table: TableDeclaration): Statement[] {
  const list = (names: readonly string[]): string => names.map(quote).join(',');
  const self = sqliteTableRef(table.database, table.tableName);
  const autoKey = table.attributes.find((a) => a.type.autoIncrement);
  const inlineKey = autoKey !== undefined;
  if (inlineKey && table.primaryKey.length > 1) {
    throw new DefinitionError({ table: table.className }, `SQLite supports auto_increment only for a single-attribute primary key, and this key is (${table.primaryKey.join(', ')}).`, 'drop auto_increment and assign the values, or use MySQL/MariaDB or PostgreSQL.');
  }
  const lines = table.attributes.map((a) => column(a, inlineKey && a === autoKey));
  if (!inlineKey) lines.push(`PRIMARY KEY (${list(table.primaryKey)})`);
  for (const fk of table.foreignKeys) {
    lines.push(`FOREIGN KEY (${list(fk.attributes)}) REFERENCES ${sqliteTableRef(fk.parentDatabase, fk.parentTable)} (${list(fk.parentAttributes)}) ON UPDATE CASCADE ON DELETE RESTRICT`);
  }
  for (const a of table.attributes) {
    if (a.type.enumValues) lines.push(`CHECK (${quote(a.name)} IN (${a.type.enumValues.map(standardString).join(',')}))`);
  }
  const statements: Statement[] = [{ sql: `CREATE TABLE ${self} (\n  ${lines.join(',\n  ')}\n)`, params: [] }];
  table.indexes.forEach((index, i) => {
    const name = quote(`${table.database}.${table.tableName}:${index.unique ? 'u' : 'i'}${i}`);
    statements.push({ sql: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${self} (${list(index.attributes)})`, params: [] });
  });
  statements.push({
    sql: `INSERT INTO ${quote(SQLITE_META_TABLE)} (database_name, table_name, declaration) VALUES (?, ?, ?)`,
    params: [table.database, table.tableName, JSON.stringify(declaration(table))],
  });
  return statements;
}

/** The bookkeeping table, created once per file. */
export function createSqliteMetaTable(): Statement[] {
  return [{
    sql: `CREATE TABLE IF NOT EXISTS ${quote(SQLITE_META_TABLE)} (
        database_name TEXT NOT NULL, table_name TEXT NOT NULL, declaration TEXT NOT NULL,
        PRIMARY KEY (database_name, table_name))`,
    params: [],
  }];
}

/** Drops a table and forgets its declaration. */
export function dropSqliteTable(database: string, table: string): Statement[] {
  return [
    ...createSqliteMetaTable(),
    { sql: `DROP TABLE IF EXISTS ${sqliteTableRef(database, table)}`, params: [] },
    { sql: `DELETE FROM ${quote(SQLITE_META_TABLE)} WHERE database_name = ? AND table_name = ?`, params: [database, table] },
  ];
}
