import { DuplicateError, IntegrityError, PopulateError, UnknownAttributeError, InvalidValueError } from '../../errors.js';
import type { Attribute } from '../definition/heading.js';
import { isAutoPopulated } from '../declare/tiers.js';
import type { TableInfo } from '../declare/table-info.js';
import { encodeBlobValue } from './blob-values.js';
import { makeContext } from './make-context.js';
import { describeRow, encodeValue } from './values.js';

/** How insert treats rows that are already there or carry extra fields. */
export interface InsertOptions {
  /** Leave rows whose primary key is already present (DataJoint's skip_duplicates). */
  readonly skipDuplicates?: boolean;
  /** Drop fields the table does not have instead of raising. */
  readonly ignoreExtraFields?: boolean;
  /** Overwrite rows whose primary key is already present. */
  readonly replace?: boolean;
  /** Allow inserting into an Imported/Computed table outside its make(). */
  readonly allowDirectInsert?: boolean;
}

const MAX_PARAMS = 30_000;
const MAX_ROWS = 1_000;
/** Rows above this many bytes of blob go one by one through a prepared statement. */
const LARGE_ROW_BYTES = 1 << 20;

/**
 * Inserts rows in multi-row statements, all in one transaction: a failing row leaves nothing
 * behind. Every value is validated first, so most errors name the row before any SQL is sent.
 */
export async function insertRows(info: TableInfo, rows: Iterable<object>, options: InsertOptions = {}): Promise<number> {
  const table = info.className;
  const heading = info.resolved!.heading;
  if (isAutoPopulated(info.tier) || (info.master && isAutoPopulated(info.master.tier))) {
    const allowed = makeContext.getStore();
    if (!options.allowDirectInsert && !allowed?.has(info)) {
      throw new PopulateError(`${table} is filled by populate(); inserting outside its make() is refused. Call ${info.master?.className ?? table}.populate(), or pass { allowDirectInsert: true }.`);
    }
  }
  const encoded: Array<{ row: object; values: Map<string, unknown>; bytes: number }> = [];
  for (const row of rows) encoded.push(encodeRow(info, heading.attributes, row, options));
  if (encoded.length === 0) return 0;
  const connection = info.schema.connection;
  const tableRef = connection.dialect.tableRef(info.schema.database, info.tableName);
  const groups = new Map<string, typeof encoded>();
  for (const e of encoded) {
    const key = e.bytes > LARGE_ROW_BYTES ? `large:${groups.size}` : [...e.values.keys()].join(',');
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  let inserted = 0;
  await connection.transaction(async () => {
    for (const group of groups.values()) {
      const columns = [...group[0]!.values.keys()];
      const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Math.max(1, columns.length))));
      for (let start = 0; start < group.length; start += perStatement) {
        const batch = group.slice(start, start + perStatement);
        const { sql, params } = insertStatement(info, tableRef, columns, batch.map((b) => b.values), options);
        try {
          const result = group.length === 1 && group[0]!.bytes > LARGE_ROW_BYTES
            ? await connection.runPrepared(sql, params, table)
            : await connection.run(sql, params, table);
          inserted += result.affectedRows;
        } catch (error) {
          throw await explain(info, error, batch.map((b) => b.row));
        }
      }
    }
  });
  return inserted;
}

function encodeRow(info: TableInfo, attributes: readonly Attribute[], row: object, options: InsertOptions): { row: object; values: Map<string, unknown>; bytes: number } {
  if (row === null || typeof row !== 'object') {
    throw new InvalidValueError(`${info.className}: a row must be an object; got ${describeRow(row)}.`, { table: info.className });
  }
  const given = row as Record<string, unknown>;
  const known = new Set(attributes.map((a) => a.name));
  if (!options.ignoreExtraFields) {
    const extra = Object.keys(given).filter((k) => !known.has(k));
    if (extra.length > 0) {
      throw new UnknownAttributeError(`${info.className} has no attribute ${extra.join(', ')} (row ${describeRow(row)}). Its attributes are ${[...known].join(', ')}; pass { ignoreExtraFields: true } to drop extra fields.`, { table: info.className });
    }
  }
  const values = new Map<string, unknown>();
  let bytes = 0;
  for (const attribute of attributes) {
    const value = given[attribute.name];
    if (value === undefined) {
      if (attribute.default !== undefined || attribute.type.autoIncrement || attribute.nullable) continue;
      throw new InvalidValueError(`${info.className}.${attribute.name} is required and missing from row ${describeRow(row)}.`, { table: info.className });
    }
    const where = { table: info.className, row };
    const encoded = attribute.type.category === 'blob' && value !== null
      ? encodeBlobValue(attribute, value, where)
      : encodeValue(attribute, value, where);
    if (encoded instanceof Uint8Array) bytes += encoded.byteLength;
    values.set(attribute.name, encoded);
  }
  return { row, values, bytes };
}

function insertStatement(info: TableInfo, tableRef: string, columns: string[], rows: Array<Map<string, unknown>>, options: InsertOptions): { sql: string; params: unknown[] } {
  const connection = info.schema.connection;
  const key = info.resolved!.heading.primaryKey;
  let query = connection.knex.insert(rows.map((r) => Object.fromEntries(columns.map((c) => [c, r.get(c) ?? null])))).into(connection.knex.raw(tableRef));
  if (options.replace) {
    query = query.onConflict(key).merge() as unknown as typeof query;
  } else if (options.skipDuplicates) {
    // MySQL's INSERT IGNORE would also swallow missing parents; a no-op update skips only duplicates.
    query = (connection.dialect.name === 'mysql' ? query.onConflict(key).merge([key[0]!]) : query.onConflict().ignore()) as unknown as typeof query;
  }
  const compiled = query.toSQL().toNative();
  return { sql: compiled.sql, params: [...compiled.bindings] };
}

/** Finds which row broke a batch, so the error can name it. */
async function explain(info: TableInfo, error: unknown, rows: object[]): Promise<unknown> {
  if (!(error instanceof DuplicateError) && !(error instanceof IntegrityError)) return error;
  const { Query } = await import('./query.js');
  const heading = info.resolved!.heading;
  const base = Query.ofTable(info, heading);
  const details = { sql: error.sql, params: error.params, table: info.className, cause: error.cause };
  if (error instanceof DuplicateError) {
    const seen = new Set<string>();
    for (const row of rows) {
      const key = Object.fromEntries(heading.primaryKey.map((k) => [k, (row as Record<string, unknown>)[k]]));
      const id = JSON.stringify(key, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      const present = seen.has(id) || (await base.restrict(key).exists().catch(() => false));
      if (present) {
        return new DuplicateError(`${info.className} already has a row with key ${describeRow(key)} (row ${describeRow(row)}). Use { skipDuplicates: true } to keep the existing row, or { replace: true } to overwrite it.`, details);
      }
      seen.add(id);
    }
    return error;
  }
  for (const fk of info.resolved!.foreignKeys) {
    const parent = Query.ofTable(fk.parent, fk.parent.resolved!.heading);
    for (const row of rows) {
      const values = fk.attributes.map((a) => (row as Record<string, unknown>)[a]);
      if (values.some((v) => v === null || v === undefined)) continue;
      const key = Object.fromEntries(fk.parentAttributes.map((p, i) => [p, values[i]]));
      if (!(await parent.restrict(key).exists().catch(() => true))) {
        return new IntegrityError(`${info.className}: row ${describeRow(row)} refers to ${fk.parent.className} ${describeRow(key)}, which does not exist (attribute ${fk.attributes.join(', ')}). Insert the ${fk.parent.className} row first.`, details);
      }
    }
  }
  return error;
}
