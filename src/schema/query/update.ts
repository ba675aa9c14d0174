import { CardinalityError, InvalidValueError, UnknownAttributeError } from '../../errors.js';
import type { TableInfo } from '../declare/table-info.js';
import { encodeBlobValue } from './blob-values.js';
import { boundBinary } from './insert.js';
import { describeRow, encodeValue } from './values.js';

/**
 * DataJoint's update1: changes secondary attributes of the one row with the given primary key.
 *
 * @example
 * ```ts
 * await Session.update1({ subject_name: 'a', sample_number: 1, session_date: '2008-06-06', notes: 'x' });
 * // UPDATE `rgc`.`session` SET `notes` = ? WHERE `subject_name` = ? AND …
 * ```
 */
export async function updateRow(info: TableInfo, row: Record<string, unknown>): Promise<void> {
  const heading = info.resolved!.heading;
  const unknown = Object.keys(row).filter((k) => !heading.has(k));
  if (unknown.length > 0) {
    throw new UnknownAttributeError(`${info.className} has no attribute ${unknown.join(', ')}.`, { table: info.className });
  }
  const missing = heading.primaryKey.filter((k) => row[k] === undefined);
  if (missing.length > 0) {
    throw new InvalidValueError(`update1 needs the full primary key of ${info.className}; ${missing.join(', ')} missing from ${describeRow(row)}.`, { table: info.className });
  }
  const changes = heading.secondary.filter((k) => row[k] !== undefined);
  if (changes.length === 0) return;
  const connection = info.schema.connection;
  const dialect = connection.dialect;
  const q = (n: string): string => connection.dialect.quote(n);
  const where = { table: info.className, row };
  const params = [
    ...changes.map((k) => {
      const attribute = heading.get(k);
      const value = row[k];
      return attribute.type.category === 'blob' && value !== null ? encodeBlobValue(attribute, value, where) : encodeValue(attribute, value, info.className, row, dialect);
    }),
    ...heading.primaryKey.map((k) => encodeValue(heading.get(k), row[k], info.className, row, dialect)),
  ];
  const sql = `UPDATE ${connection.dialect.tableRef(info.schema.database, info.tableName)} SET ${changes.map((k) => `${q(k)} = ?`).join(', ')} WHERE ${heading.primaryKey.map((k) => `${q(k)} = ?`).join(' AND ')}`;
  // Blobs of more than a few kB go as binary parameters (MySQL's prepared protocol), as an insert's, after the same size check.
  const blobBytes = params.reduce<number>((n, p) => n + (p instanceof Uint8Array ? p.byteLength : 0), 0);
  const large = boundBinary(blobBytes, 1);
  if (blobBytes > 0) await connection.checkPacketSize(blobBytes * (large ? 1 : 2), info.className);
  await connection.transaction(async () => {
    const exists = await connection.query(`SELECT 1 AS x FROM ${connection.dialect.tableRef(info.schema.database, info.tableName)} WHERE ${heading.primaryKey.map((k) => `${q(k)} = ?`).join(' AND ')}`, params.slice(changes.length), info.className);
    if (exists.length !== 1) {
      throw new CardinalityError(`update1 found no ${info.className} row with key ${describeRow(Object.fromEntries(heading.primaryKey.map((k) => [k, row[k]])))}; insert it first.`, { sql, params });
    }
    await (large ? connection.runPrepared(sql, params, info.className) : connection.run(sql, params, info.className));
  });
}
