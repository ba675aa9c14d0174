import { DuplicateError, IntegrityError, PopulateError, UnknownAttributeError, InvalidValueError } from '../../errors.js';
import type { Attribute } from '../definition/heading.js';
import { isAutoPopulated } from '../declare/tiers.js';
import type { TableInfo } from '../declare/table-info.js';
import { encodeBlobValue } from './blob-values.js';
import { memoize2 } from '../util/memo.js';
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
  /** Rows encoded and held at once (default 10,000); every chunk goes in the same transaction. */
  readonly chunkSize?: number;
}

const MAX_PARAMS = 30_000;
const MAX_ROWS = 1_000;
/**
 * Rows a statement where the dialect runs prepared statements row by row (SQLite): one call into
 * the driver for this many rows costs little more than for one (104k spike rows: about half the time).
 */
const RUN_MANY_ROWS = 200;
/** Rows above this many bytes of blob go one by one, each in a statement of its own (see boundBinary). */
const LARGE_ROW_BYTES = 1 << 20;
/**
 * A statement of one row goes as a prepared statement, its blobs bound as binary parameters
 * (MySQL's binary protocol), above this many bytes of blob: escaped into the statement's text a
 * blob doubles in size and the server parses it back. 531 single-row inserts of about 30 kB of
 * blob each (SpikeTriggeredAverage's rows): the server's CPU time 80 ms against 230 ms; at 1 to
 * 6 kB a row it is still about half, and this process spends no more.
 */
const BINARY_ROW_BYTES = 1 << 10;

/**
 * Whether a statement of `rows` rows carrying `blobBytes` bytes of blob is sent prepared, its
 * blobs as binary parameters (connection.runPrepared; only MySQL's dialect does it differently):
 * one row with more than 1 kB of blob. Statements of many rows stay text (each row count would
 * be one more prepared statement on the server).
 *
 * @example
 * ```ts
 * await (boundBinary(blobBytes, 1) ? connection.runPrepared(sql, params) : connection.run(sql, params));
 * ```
 */
export function boundBinary(blobBytes: number, rows: number): boolean {
  return rows === 1 && blobBytes > BINARY_ROW_BYTES;
}
/** Rows encoded and held at once when an insert streams (DataJoint's chunk_size). */
export const DEFAULT_CHUNK_SIZE = 10_000;

/** Rows to insert: an array, any iterable, or an async iterable (a generator reading a file). */
export type RowSource<Row> = Iterable<Row> | AsyncIterable<Row>;

/**
 * Inserts rows in multi-row statements, all in one transaction: a failing row leaves nothing
 * behind. Rows are taken `chunkSize` at a time, so an iterable of any length is inserted while
 * holding one chunk; each chunk is validated before any of its SQL is sent.
 *
 * @example
 * ```ts
 * await insertRows(info, readRows('spikes.csv'), { chunkSize: 5000 });  // an async generator
 * // BEGIN; INSERT INTO … VALUES (?, ?), (?, ?), … (per chunk); COMMIT
 * ```
 */
export async function insertRows(info: TableInfo, rows: RowSource<object>, options: InsertOptions = {}): Promise<number> {
  const table = info.className;
  if (isAutoPopulated(info.tier) || (info.master && isAutoPopulated(info.master.tier))) {
    const allowed = makeContext.getStore();
    if (!options.allowDirectInsert && !allowed?.has(info)) {
      throw new PopulateError(`${table} is filled by populate(); inserting outside its make() is refused. Call ${info.master?.className ?? table}.populate(), or pass { allowDirectInsert: true }.`);
    }
  }
  const size = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new InvalidValueError(`${table}: chunkSize must be a whole number ≥ 1; got ${String(options.chunkSize)}.`, { table });
  const chunks = chunksOf(rows, size);
  const first = await chunks.next();
  if (first.done) return 0;
  let inserted = 0;
  try {
    await info.schema.connection.transaction(async () => {
      inserted += await insertChunk(info, first.value, options);
      for await (const chunk of chunks) inserted += await insertChunk(info, chunk, options);
    });
  } finally {
    // Closes the caller's generator when a chunk failed before it was read to the end.
    await chunks.return(undefined);
  }
  return inserted;
}

/** The rows in arrays of `size`; an array is sliced, other iterables are read as they go. */
async function* chunksOf(rows: RowSource<object>, size: number): AsyncGenerator<object[], void, undefined> {
  if (Array.isArray(rows)) {
    for (let start = 0; start < rows.length; start += size) yield start === 0 && rows.length <= size ? rows : rows.slice(start, start + size);
    return;
  }
  let chunk: object[] = [];
  if (Symbol.asyncIterator in rows) {
    for await (const row of rows) {
      chunk.push(row);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  } else {
    for (const row of rows) {
      chunk.push(row);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** One chunk: validated and encoded, then sent in as few statements as its shape allows. */
async function insertChunk(info: TableInfo, rows: readonly object[], options: InsertOptions): Promise<number> {
  const table = info.className;
  const heading = info.resolved!.heading;
  const encoded: EncodedRow[] = new Array(rows.length);
  // A table's own rule on its rows (`static validate(row)`), checked before anything is sent.
  const validate = (info.cls as unknown as { validate?: (row: object) => void }).validate;
  for (let i = 0; i < rows.length; i++) {
    if (validate) validate.call(info.cls, rows[i]!);
    encoded[i] = encodeRow(info, heading.attributes, rows[i]!, options);
  }
  const connection = info.schema.connection;
  const tableRef = connection.dialect.tableRef(info.schema.database, info.tableName);
  // Rows that leave out different attributes (to take defaults) go in separate statements.
  const groups = new Map<string, EncodedRow[]>();
  for (const e of encoded) {
    const key = e.bytes > LARGE_ROW_BYTES ? `large:${groups.size}` : e.missing;
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  let inserted = 0;
  for (const group of groups.values()) {
    const columns = group[0]!.columns;
    if (connection.dialect.runMany) {
      const { sql } = insertStatement(info, tableRef, columns, [group[0]!.values], options);
      // One size of batch a table (one more prepared statement); a chunk's last rows go one by one.
      const rows = Math.min(RUN_MANY_ROWS, Math.floor(MAX_PARAMS / Math.max(1, columns.length)));
      const batch = rows > 1 && group.length >= rows ? { sql: insertStatement(info, tableRef, columns, new Array<unknown[]>(rows).fill(group[0]!.values), options).sql, rows } : undefined;
      try {
        inserted += (await connection.runMany(sql, group.map((g) => g.values), table, batch)).affectedRows;
      } catch (error) {
        const failed = (error as { rowIndex?: number }).rowIndex;
        throw await explain(info, error, failed === undefined ? group.map((b) => b.row) : [group[failed]!.row]);
      }
      continue;
    }
    const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Math.max(1, columns.length))));
    for (let start = 0; start < group.length; start += perStatement) {
      const batch = group.slice(start, start + perStatement);
      const { sql, params } = insertStatement(info, tableRef, columns, batch.map((b) => b.values), options);
      const blobBytes = batch.reduce((n, b) => n + b.bytes, 0);
      const binary = boundBinary(blobBytes, batch.length);
      if (blobBytes > 0) await connection.checkPacketSize(blobBytes * (binary ? 1 : 2), table);
      try {
        // Guarded: on PostgreSQL a failed statement would abort the transaction explain() reads in.
        const result = await connection.guarded(() => (binary ? connection.runPrepared(sql, params, table) : connection.run(sql, params, table)));
        inserted += result.affectedRows;
      } catch (error) {
        throw await explain(info, error, batch.map((b) => b.row));
      }
    }
  }
  return inserted;
}

interface EncodedRow {
  readonly row: object;
  /** The attributes given, in heading order, and their encoded values. */
  readonly columns: string[];
  readonly values: unknown[];
  /** Which attributes were left out, as a grouping key ('' when none). */
  readonly missing: string;
  readonly bytes: number;
}

const columnLists = new WeakMap<readonly Attribute[], Map<string, string[]>>();

function encodeRow(info: TableInfo, attributes: readonly Attribute[], row: object, options: InsertOptions): EncodedRow {
  if (row === null || typeof row !== 'object') {
    throw new InvalidValueError(`${info.className}: a row must be an object; got ${describeRow(row)}.`, { table: info.className });
  }
  const given = row as Record<string, unknown>;
  const values: unknown[] = [];
  let missing = '';
  let present = 0;
  let bytes = 0;
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i]!;
    const value = given[attribute.name];
    if (value === undefined) {
      if (attribute.default !== undefined || attribute.type.autoIncrement || attribute.nullable) {
        missing += `${i},`;
        continue;
      }
      throw new InvalidValueError(`${info.className}.${attribute.name} is required and missing from row ${describeRow(row)}.`, { table: info.className });
    }
    present++;
    const encoded = attribute.type.category === 'blob' && value !== null
      ? encodeBlobValue(attribute, value, { table: info.className })
      : encodeValue(attribute, value, info.className, row, info.schema.connection.dialect);
    if (encoded instanceof Uint8Array) bytes += encoded.byteLength;
    values.push(encoded);
  }
  if (!options.ignoreExtraFields) {
    let count = 0;
    for (const k in given) if (given[k] !== undefined) count++;
    if (count !== present) {
      const known = new Set(attributes.map((a) => a.name));
      const extra = Object.keys(given).filter((k) => !known.has(k));
      throw new UnknownAttributeError(`${info.className} has no attribute ${extra.join(', ')} (row ${describeRow(row)}). Its attributes are ${[...known].join(', ')}; pass { ignoreExtraFields: true } to drop extra fields.`, { table: info.className });
    }
  }
  const columns = memoize2(columnLists, attributes, missing, () => {
    const skipped = new Set(missing.split(',').filter((x) => x !== '').map(Number));
    return attributes.filter((_, i) => !skipped.has(i)).map((a) => a.name);
  });
  return { row, columns, values, missing, bytes };
}

/**
 * One multi-row INSERT. Written here rather than with knex's builder: knex compiles SQLite
 * multi-row inserts as INSERT … SELECT … UNION ALL, which SQLite caps at 500 rows, and the
 * skip/replace clauses differ per dialect anyway.
 */
function insertStatement(info: TableInfo, tableRef: string, columns: string[], rows: ReadonlyArray<readonly unknown[]>, options: InsertOptions): { sql: string; params: unknown[] } {
  const { dialect } = info.schema.connection;
  const q = (n: string): string => dialect.quote(n);
  const key = info.resolved!.heading.primaryKey;
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  const params: unknown[] = [];
  for (const row of rows) for (const v of row) params.push(v);
  let sql = `INSERT INTO ${tableRef} (${columns.map(q).join(', ')}) VALUES ${rows.map(() => placeholders).join(', ')}`;
  const secondary = columns.filter((c) => !key.includes(c));
  if (options.replace || options.skipDuplicates) sql += dialect.onDuplicate(key, secondary, options.replace ? 'replace' : 'skip');
  return { sql, params };
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
