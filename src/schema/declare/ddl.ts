import { DefinitionError } from '../../errors.js';
import type { Dialect } from '../connection/dialect.js';
import type { Attribute, DefaultValue } from '../definition/heading.js';
import type { ResolvedTable, TableInfo } from './table-info.js';

/** The table in which SQLite keeps what it cannot store itself: declared types, comments, tiers. */
export const SQLITE_META_TABLE = '~rg_meta';

const MYSQL_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "''", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z' };

/**
 * A string literal that reads back as exactly `text` on the dialect. MySQL treats a backslash as an
 * escape inside literals (connections are kept out of NO_BACKSLASH_ESCAPES, see config.ts), so it
 * is doubled there along with the quote; SQLite only needs the quote doubled.
 *
 * @example
 * ```ts
 * sqlString(mysqlDialect, "a\\', b");  // MySQL:  'a\\'', b'
 * sqlString(sqliteDialect, "it's");    // SQLite: 'it''s'
 * ```
 */
export function sqlString(dialect: Dialect, text: string): string {
  if (dialect.name === 'mysql') return mysqlString(text);
  return `'${text.replace(/'/g, "''")}'`;
}

/** A MySQL string literal for `text` (backslashes, quotes and NUL escaped). */
export function mysqlString(text: string): string {
  return `'${text.replace(/[\\'\0\n\r\x1a]/g, (c) => MYSQL_ESCAPES[c]!)}'`;
}

function defaultSql(dialect: Dialect, value: DefaultValue | undefined): string {
  if (value === undefined) return '';
  switch (value.kind) {
    case 'null': return ' DEFAULT NULL';
    case 'now': return ' DEFAULT CURRENT_TIMESTAMP';
    case 'number': return ` DEFAULT ${value.text}`;
    case 'string': return ` DEFAULT ${sqlString(dialect, value.text)}`;
  }
}

/** The column comment with DataJoint's type marker in front, as DataJoint writes it. */
export function columnComment(attribute: Attribute): string {
  return attribute.type.marker === undefined ? attribute.comment : `:${attribute.type.marker}:${attribute.comment}`;
}

function mysqlColumn(dialect: Dialect, a: Attribute): string {
  const nullability = a.nullable ? '' : ' NOT NULL';
  const extra = a.type.autoIncrement ? ' AUTO_INCREMENT' : '';
  const comment = columnComment(a);
  return `${dialect.quote(a.name)} ${a.type.mysql}${nullability}${extra}${defaultSql(dialect, a.default)}${comment === '' ? '' : ` COMMENT ${sqlString(dialect, comment)}`}`;
}

function sqliteColumn(dialect: Dialect, a: Attribute, inlineKey: boolean): string {
  if (inlineKey) return `${dialect.quote(a.name)} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL`;
  const nullability = a.nullable ? '' : ' NOT NULL';
  return `${dialect.quote(a.name)} ${a.type.sqlite}${nullability}${defaultSql(dialect, a.default)}`;
}

/**
 * The statements that create one table. MySQL gets DataJoint's exact layout (InnoDB, comments with
 * markers, `ON UPDATE CASCADE ON DELETE RESTRICT`); SQLite gets the same keys and constraints,
 * with enum values as CHECK constraints.
 */
export function createTableStatements(dialect: Dialect, info: TableInfo, table: ResolvedTable): string[] {
  const q = (name: string): string => dialect.quote(name);
  const list = (names: readonly string[]): string => names.map(q).join(',');
  const self = dialect.tableRef(info.schema.database, info.tableName);
  const { heading } = table;
  const key = heading.primaryKey;
  const autoKey = heading.attributes.find((a) => a.type.autoIncrement);
  const inlineKey = dialect.name === 'sqlite' && autoKey !== undefined;
  if (inlineKey && key.length > 1) {
    throw new DefinitionError({ table: info.className }, `SQLite supports auto_increment only for a single-attribute primary key, and this key is (${key.join(', ')}).`, 'drop auto_increment and assign the values, or use MySQL/MariaDB.');
  }
  const lines = heading.attributes.map((a) =>
    dialect.name === 'mysql' ? mysqlColumn(dialect, a) : sqliteColumn(dialect, a, inlineKey && a === autoKey));
  if (!inlineKey) lines.push(`PRIMARY KEY (${list(key)})`);
  for (const fk of table.foreignKeys) {
    const parent = dialect.tableRef(fk.parent.schema.database, fk.parent.tableName);
    lines.push(`FOREIGN KEY (${list(fk.attributes)}) REFERENCES ${parent} (${list(fk.parentAttributes)}) ON UPDATE CASCADE ON DELETE RESTRICT`);
  }
  const statements: string[] = [];
  if (dialect.name === 'mysql') {
    for (const index of table.indexes) lines.push(`${index.unique ? 'UNIQUE ' : ''}INDEX (${list(index.attributes)})`);
    statements.push(`CREATE TABLE ${self} (\n  ${lines.join(',\n  ')}\n) ENGINE=InnoDB, COMMENT ${sqlString(dialect, table.comment)}`);
    return statements;
  }
  for (const a of heading.attributes) {
    if (a.type.enumValues) lines.push(`CHECK (${q(a.name)} IN (${a.type.enumValues.map((v) => sqlString(dialect, v)).join(',')}))`);
  }
  statements.push(`CREATE TABLE ${self} (\n  ${lines.join(',\n  ')}\n)`);
  table.indexes.forEach((index, i) => {
    const name = q(`${info.schema.database}.${info.tableName}:${index.unique ? 'u' : 'i'}${i}`);
    statements.push(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${self} (${list(index.attributes)})`);
  });
  return statements;
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

export function sqliteDeclaration(info: TableInfo, table: ResolvedTable): SqliteDeclaration {
  return {
    tier: info.tier,
    className: info.className,
    comment: table.comment,
    attributes: table.heading.attributes.map((a) => ({
      name: a.name, type: a.type.marker ?? a.type.declared, inKey: a.inKey, nullable: a.nullable, default: a.default ?? null, comment: a.comment,
    })),
    foreignKeys: table.foreignKeys.map((fk) => ({
      attributes: fk.attributes, parentDatabase: fk.parent.schema.database, parentTable: fk.parent.tableName,
      parentAttributes: fk.parentAttributes, nullable: fk.nullable, unique: fk.unique,
    })),
    indexes: table.indexes.filter((i) => !table.foreignKeys.some((fk) => fk.unique && fk.attributes === i.attributes)),
  };
}
