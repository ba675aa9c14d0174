import type { Connection } from '../connection/connection.js';
import type { TableInfo } from './table-info.js';

/** DataJoint 2's table of attribute origins, one per schema. */
export const LINEAGE_TABLE = '~lineage';

/** One `~lineage` row: `lineage` is `database.table.attribute` of the attribute's origin. */
export interface LineageRow {
  readonly table_name: string;
  readonly attribute_name: string;
  readonly lineage: string;
}

/**
 * Where an attribute first appears, as DataJoint 2 traces it: an attribute inherited through a
 * foreign key has its parent attribute's origin (through renames and across schemas); a native
 * primary-key attribute originates in its own table; a native secondary attribute has none.
 *
 * @example
 * ```ts
 * lineageOf(tableInfo(Session), 'backup_probe'); // 'lab.#probe.probe' (renamed from Probe's key)
 * lineageOf(tableInfo(Session), 'notes');        // undefined
 * ```
 */
export function lineageOf(info: TableInfo, attribute: string): string | undefined {
  const resolved = info.resolved;
  if (!resolved) throw new Error(`internal: ${info.className} is not resolved`);
  const fk = resolved.foreignKeys.find((f) => f.attributes.includes(attribute));
  if (fk) return lineageOf(fk.parent, fk.parentAttributes[fk.attributes.indexOf(attribute)] ?? attribute);
  return resolved.heading.find(attribute)?.inKey ? `${info.schema.database}.${info.tableName}.${attribute}` : undefined;
}

/**
 * The `~lineage` rows DataJoint 2 writes when it declares the table.
 *
 * @example
 * ```ts
 * lineageRows(tableInfo(Session));
 * // [{ table_name: 'session', attribute_name: 'subject_id', lineage: 'lab.subject.subject_id' },
 * //  { table_name: 'session', attribute_name: 'session_idx', lineage: 'lab.session.session_idx' }, …]
 * ```
 */
export function lineageRows(info: TableInfo): LineageRow[] {
  return (info.resolved?.heading.names ?? []).flatMap((name) => {
    const lineage = lineageOf(info, name);
    return lineage === undefined ? [] : [{ table_name: info.tableName, attribute_name: name, lineage }];
  });
}

/**
 * Whether the database holds DataJoint 2's `~lineage` table (never on SQLite, where DataJoint keeps none).
 *
 * @example
 * ```ts
 * await hasLineageTable(connection, 'dj23_fixture'); // true
 * // SELECT 1 AS x FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '~lineage'
 * ```
 */
export async function hasLineageTable(connection: Connection, database: string): Promise<boolean> {
  if (connection.dialect.createLineageTable === undefined) return false;
  return (await connection.dialect.listTables(connection, database)).includes(LINEAGE_TABLE);
}

/**
 * Replaces the tables' `~lineage` rows, creating the table as DataJoint 2.3 does when it is missing
 * (on MySQL as below; on PostgreSQL without comments):
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS `lab`.`~lineage` (
 *   `table_name` varchar(64) NOT NULL COMMENT 'table name within the schema', …
 *   PRIMARY KEY (`table_name`,`attribute_name`)) ENGINE=InnoDB
 * DELETE FROM `lab`.`~lineage` WHERE `table_name` = ?
 * INSERT INTO `lab`.`~lineage` (`table_name`, `attribute_name`, `lineage`) VALUES (?, ?, ?), …
 * ```
 */
export async function writeLineage(connection: Connection, database: string, tables: readonly TableInfo[]): Promise<void> {
  const { dialect } = connection;
  if (dialect.createLineageTable === undefined || tables.length === 0) return;
  const target = dialect.tableRef(database, LINEAGE_TABLE);
  const q = (name: string): string => dialect.quote(name);
  for (const { sql, params } of dialect.createLineageTable(database)) await connection.run(sql, params);
  await connection.transaction(async () => {
    for (const info of tables) {
      await connection.run(`DELETE FROM ${target} WHERE ${q('table_name')} = ?`, [info.tableName]);
      const rows = lineageRows(info);
      if (rows.length === 0) continue;
      await connection.run(
        `INSERT INTO ${target} (${q('table_name')}, ${q('attribute_name')}, ${q('lineage')}) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`,
        rows.flatMap((r) => [r.table_name, r.attribute_name, r.lineage]));
    }
  });
}

/**
 * Removes a dropped table's `~lineage` rows, as DataJoint 2 does.
 *
 * @example
 * ```ts
 * await deleteLineage(connection, 'lab', 'rg_note');
 * // DELETE FROM `lab`.`~lineage` WHERE `table_name` = ?
 * ```
 */
export async function deleteLineage(connection: Connection, database: string, tableName: string): Promise<void> {
  if (!(await hasLineageTable(connection, database))) return;
  await connection.run(`DELETE FROM ${connection.dialect.tableRef(database, LINEAGE_TABLE)} WHERE ${connection.dialect.quote('table_name')} = ?`, [tableName]);
}
