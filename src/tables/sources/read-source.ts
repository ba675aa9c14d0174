import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import ndarray from 'ndarray';
import { DataSourceError } from '../../errors.js';
import type { RgcDataset } from '../dataset.js';
import path from 'node:path';
import { readCsvSource } from './csv-source.js';
import { readMysqlSource } from './mysql-source.js';
import { parseNumpyPickle } from './numpy-pickle.js';
import { readTextSource } from './text-source.js';
import { validateDataset } from './validate.js';

/** The manifest entry types the seed listed, and which of them load. */
export const SUPPORTED_TYPES = ['file/pickle', 'file/json', 'text/json', 'http/json', 'file/csv', 'text/plain', 'database/mysql'] as const;
const UNSUPPORTED = ['database/mssql', 'database/mongodb'];

/** What a source gave: the data, the sha256 of the bytes read, and how many. */
export interface SourceRead {
  readonly dataset: RgcDataset;
  readonly checksum: string;
  readonly bytes: number;
}

/** A short, stable id of a manifest entry: sha256 of type, access and access2. */
export function sourceId(entry: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify([entry.type, entry.access, entry.access2 ?? null])).digest('hex').slice(0, 16);
}

/** A name for messages: type and access. */
export function describeSource(entry: Record<string, unknown>): string {
  return `${String(entry.type)} ${String(entry.access)}`;
}

/** Checks one manifest entry's shape; the data itself is checked when read. */
export function checkEntry(entry: unknown, index: number): Record<string, unknown> {
  const where = `manifest entry ${index}`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new DataSourceError(`${where} must be an object like {"type": "file/pickle", "access": "ret1_data.pkl"}.`, { source: where });
  }
  const e = entry as Record<string, unknown>;
  if (typeof e.type !== 'string') throw new DataSourceError(`${where}: "type" is missing. Supported types: ${SUPPORTED_TYPES.join(', ')}.`, { source: where, field: 'type' });
  if (typeof e.access !== 'string' || e.access === '') throw new DataSourceError(`${where}: "access" (a path, URL or inline text) is missing.`, { source: where, field: 'access' });
  if (UNSUPPORTED.includes(e.type)) {
    throw new DataSourceError(`${where}: "${e.type}" is not supported yet. Supported types: ${SUPPORTED_TYPES.join(', ')}.`, { source: where, field: 'type' });
  }
  if (!(SUPPORTED_TYPES as readonly string[]).includes(e.type)) {
    throw new DataSourceError(`${where}: unknown type "${e.type}". Supported types: ${SUPPORTED_TYPES.join(', ')}.`, { source: where, field: 'type' });
  }
  return e;
}

async function bytesOf(entry: Record<string, unknown>, baseDir: string): Promise<Buffer> {
  const type = String(entry.type);
  const access = String(entry.access);
  if (type === 'text/json') return Buffer.from(access, 'utf8');
  if (type === 'http/json') {
    let response: Response;
    try {
      response = await fetch(access);
    } catch (cause) {
      throw new DataSourceError(`${describeSource(entry)}: the request failed (${(cause as Error).message}).`, { source: access, field: 'access', cause });
    }
    if (!response.ok) throw new DataSourceError(`${describeSource(entry)}: the server answered ${response.status} ${response.statusText}.`, { source: access, field: 'access' });
    return Buffer.from(await response.arrayBuffer());
  }
  const path = access.startsWith('/') ? access : `${baseDir}/${access}`;
  try {
    return await readFile(path);
  } catch (cause) {
    throw new DataSourceError(`${describeSource(entry)}: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}).`, { source: access, field: 'access', cause });
  }
}

/** Reads and checks one source. */
export async function readSource(entry: Record<string, unknown>, baseDir = process.cwd()): Promise<SourceRead> {
  if (entry.type === 'file/csv' || entry.type === 'text/plain' || entry.type === 'database/mysql') {
    const access = String(entry.access);
    const { value, bytes } = entry.type === 'file/csv' ? await readCsvSource(path.isAbsolute(access) ? access : path.join(baseDir, access))
      : entry.type === 'text/plain' ? await readTextSource(entry, baseDir) : await readMysqlSource(entry);
    const hash = createHash('sha256');
    for (const b of bytes) hash.update(b);
    const name = describeSource(entry).replace(/^(database\/mysql [a-z0-9+]+:\/\/[^:/@]+):[^@/]*@/i, '$1@');
    return { dataset: validateDataset(name, value), checksum: hash.digest('hex'), bytes: bytes.reduce((n, b) => n + b.length, 0) };
  }
  const bytes = await bytesOf(entry, baseDir);
  const checksum = createHash('sha256').update(bytes).digest('hex');
  const name = describeSource(entry);
  let parsed: unknown;
  if (entry.type === 'file/pickle') {
    try {
      parsed = parseNumpyPickle(bytes);
    } catch (cause) {
      throw new DataSourceError(`${name}: ${(cause as Error).message}`, { source: String(entry.access), cause });
    }
  } else {
    try {
      parsed = jsonArrays(JSON.parse(bytes.toString('utf8')));
    } catch (cause) {
      if (cause instanceof DataSourceError) throw cause;
      throw new DataSourceError(`${name}: not valid JSON (${(cause as Error).message}).`, { source: String(entry.access), cause });
    }
  }
  return { dataset: validateDataset(name, parsed), checksum, bytes: bytes.byteLength };
}

const DTYPES: Record<string, (b: ArrayBuffer, o: number, n: number) => ArrayLike<number>> = {
  float64: (b, o, n) => new Float64Array(b, o, n), float32: (b, o, n) => new Float32Array(b, o, n),
  int32: (b, o, n) => new Int32Array(b, o, n), int16: (b, o, n) => new Int16Array(b, o, n), int8: (b, o, n) => new Int8Array(b, o, n),
};

/**
 * JSON sources give arrays as nested lists, or as `{dtype, shape, data}` with little-endian data
 * in base64 (and `order: 'F'` for column-major; C order otherwise, as numpy's tobytes()).
 */
function jsonArrays(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length > 0 && Array.isArray(value[0]) && Array.isArray((value[0] as unknown[])[0]) && typeof ((value[0] as unknown[][])[0]![0]) === 'number') {
      const shape = [value.length, (value[0] as unknown[]).length, ((value[0] as unknown[][])[0]!).length];
      const flat = (value as number[][][]).flat(2);
      return ndarray(Float64Array.from(flat), shape);
    }
    return value.map(jsonArrays);
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.dtype === 'string' && Array.isArray(o.shape) && typeof o.data === 'string') {
      const make = DTYPES[o.dtype];
      if (!make) throw new DataSourceError(`Arrays of dtype "${o.dtype}" are not supported; use ${Object.keys(DTYPES).join(', ')}.`, { field: 'dtype' });
      const raw = Buffer.from(o.data, 'base64');
      const copy = Buffer.allocUnsafeSlow(raw.byteLength);
      raw.copy(copy);
      const shape = o.shape as number[];
      const n = shape.reduce((p, s) => p * s, 1);
      const bytesEach = o.dtype.endsWith('64') ? 8 : o.dtype.endsWith('32') ? 4 : o.dtype.endsWith('16') ? 2 : 1;
      if (raw.byteLength !== n * bytesEach) throw new DataSourceError(`An array of shape (${shape.join(', ')}) and dtype ${o.dtype} needs ${n * bytesEach} bytes; its data has ${raw.byteLength}.`, { field: 'data' });
      const data = make(copy.buffer as ArrayBuffer, copy.byteOffset, n);
      if (o.order === 'F') {
        const strides = shape.map((_, i) => shape.slice(0, i).reduce((p, s) => p * s, 1));
        return ndarray(data as never, shape, strides);
      }
      return ndarray(data as never, shape);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, jsonArrays(v)]));
  }
  return value;
}

const cache = new Map<string, Promise<SourceRead>>();

/** Remembers what a source gave under another form of its entry (the stored one, without its password). */
export function rememberSource(entry: Record<string, unknown>, read: SourceRead): void {
  cache.set(JSON.stringify(entry), Promise.resolve(read));
}

/**
 * readSource, remembered for the process: populate() reads each source once for all its
 * sessions. A file's size and modification time are part of the key, so a change is seen.
 */
export async function readSourceCached(entry: Record<string, unknown>, baseDir = process.cwd()): Promise<SourceRead> {
  let key = JSON.stringify(entry);
  if (String(entry.type).startsWith('file/')) {
    const access = String(entry.access);
    const info = await stat(access.startsWith('/') ? access : `${baseDir}/${access}`).catch(() => undefined);
    key += `:${info?.size}:${info?.mtimeMs}`;
  }
  let read = cache.get(key);
  if (!read) {
    read = readSource(entry, baseDir);
    cache.set(key, read);
    read.catch(() => cache.delete(key));
  }
  return read;
}
