import type { Attribute } from '../../../definition/heading.js';
import type { Statement, TableDeclaration } from '../../table-declaration.js';
import { columnComment, defaultClause } from '../ddl-parts.js';

const MYSQL_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "''", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z' };

/**
 * A MySQL string literal that reads back as exactly `text`: MySQL treats a backslash as an escape
 * inside literals (connections are kept out of NO_BACKSLASH_ESCAPES, see config.ts), so it is
 * doubled along with the quote, and NUL and line breaks are escaped.
 *
 * @example
 * ```ts
 * mysqlString("a\\', b");  // 'a\\'', b'
 * ```
 */
export function mysqlString(text: string): string {
  return `'${text.replace(/[\\'\0\n\r\x1a]/g, (c) => MYSQL_ESCAPES[c]!)}'`;
}

/** Quotes one MySQL identifier. */
export function mysqlQuote(identifier: string): string {
  return `\`${identifier.replace(/`/g, '``')}\``;
}

/** `database`.`table` */
export function mysqlTableRef(database: string, table: string): string {
  return `${mysqlQuote(database)}.${mysqlQuote(table)}`;
}

function column(a: Attribute): string {
  const comment = columnComment(a);
  // A datetime(3) takes CURRENT_TIMESTAMP(3): MySQL refuses a default of another precision.
  const digits = a.type.category === 'datetime' || a.type.category === 'timestamp' ? /\((\d)\)/.exec(a.type.mysql)?.[1] : undefined;
  const now = digits === undefined ? 'CURRENT_TIMESTAMP' : `CURRENT_TIMESTAMP(${digits})`;
  return `${mysqlQuote(a.name)} ${a.type.mysql}${a.nullable ? '' : ' NOT NULL'}${a.type.autoIncrement ? ' AUTO_INCREMENT' : ''}${defaultClause(a.default, mysqlString, now)}${comment === '' ? '' : ` COMMENT ${mysqlString(comment)}`}`;
}

/**
 * The statement that creates one table in DataJoint's exact MySQL layout: InnoDB, comments with
 * `:type:` markers, `ON UPDATE CASCADE ON DELETE RESTRICT`, indexes inline.
 *
 * @example
 * ```ts
 * createMysqlTable(declaration);
 * // CREATE TABLE `lab`.`session` (\n  `subject_id` int NOT NULL COMMENT ':int32:subject number', …,
 * //   FOREIGN KEY (`subject_id`) REFERENCES `lab`.`subject` (`subject_id`) ON UPDATE CASCADE ON DELETE RESTRICT\n) ENGINE=InnoDB, COMMENT 'a session'
 * ```
 */
export function createMysqlTable(table: TableDeclaration): Statement[] {
  const list = (names: readonly string[]): string => names.map(mysqlQuote).join(',');
  const lines = table.attributes.map(column);
  lines.push(`PRIMARY KEY (${list(table.primaryKey)})`);
  for (const fk of table.foreignKeys) {
    lines.push(`FOREIGN KEY (${list(fk.attributes)}) REFERENCES ${mysqlTableRef(fk.parentDatabase, fk.parentTable)} (${list(fk.parentAttributes)}) ON UPDATE CASCADE ON DELETE RESTRICT`);
  }
  for (const index of table.indexes) lines.push(`${index.unique ? 'UNIQUE ' : ''}INDEX (${list(index.attributes)})`);
  return [{ sql: `CREATE TABLE ${mysqlTableRef(table.database, table.tableName)} (\n  ${lines.join(',\n  ')}\n) ENGINE=InnoDB, COMMENT ${mysqlString(table.comment)}`, params: [] }];
}
