import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import ndarray from 'ndarray';
import { DataSourceError } from '../../errors.js';
import { redactUrl } from '../../redact.js';
import type { RgcDataset } from '../dataset.js';
import { readCsvSource } from './csv-source.js';
import { httpGet } from './http-get.js';
import { formatBytes, limitsFor, MAX_JSON_TEXT, type SourceLimits } from './limits.js';
import { readMysqlSource } from './mysql-source.js';
import { parseNumpyPickle } from './numpy-pickle.js';
import { readPickleSkeleton, type SkeletonOptions } from './pickle-skeleton.js';
import { readRegularFile, resolvePath } from './read-file.js';
import { parseStrictJson } from './strict-json.js';
import { readTextSource } from './text-source.js';
import { checkShape } from './shape.js';
import { show, validateDataset } from './validate.js';

/** The manifest entry types the seed listed, and which of them load. */
export const SUPPORTED_TYPES = ['file/pickle', 'file/json', 'text/json', 'http/json', 'file/csv', 'text/plain', 'database/mysql'] as const;
const UNSUPPORTED = ['database/mssql', 'database/mongodb'];

/** The fields each type of entry may have: a misspelt option is an error, not a silent default. */
const COMMON_FIELDS = ['type', 'access', 'access2', 'max_bytes', 'connect_timeout', 'timeout'];
const TYPE_FIELDS: Record<string, readonly string[]> = {
  'text/plain': ['columns', 'stimulus_columns', 'session', 'stimulation'],
  'database/mysql': ['tables', 'columns'],
};
/** Types whose `access` (and, for text/plain, `access2`) is a path. */
export const PATH_TYPES = ['file/pickle', 'file/json', 'file/csv', 'text/plain'];

/** What a source gave: the data, the sha256 of the bytes read, and how many. */
export interface SourceRead {
  readonly dataset: RgcDataset;
  readonly checksum: string;
  readonly bytes: number;
}

/** How a source is read: where relative paths start, and its bounds. */
export interface ReadOptions {
  readonly baseDir?: string;
  readonly limits?: Partial<SourceLimits>;
  /**
   * A pickle's white-noise movies as soon as each is read (see `SkeletonOptions`): the load packs
   * them while the file is still being read.
   *
   * @internal
   */
  readonly onWhiteNoise?: SkeletonOptions['onWhiteNoise'];
}

/**
 * A short, stable id of a manifest entry: sha256 of type, access and access2 with any credentials
 * removed, first 16 hex digits. It holds no secret, so the same source has the same id with and
 * without a password, and reading the id tells nothing about the password.
 */
export function sourceId(entry: Record<string, unknown>): string {
  // access2 as before (absent → null, '' kept), so ids of sources without credentials did not change.
  const access2 = entry.access2 === undefined ? null : typeof entry.access2 === 'string' ? redactUrl(entry.access2) : entry.access2;
  return createHash('sha256').update(JSON.stringify([entry.type, redactUrl(String(entry.access)), access2])).digest('hex').slice(0, 16);
}

/** A name for messages: type and access, without credentials, inline JSON abbreviated. */
export function describeSource(entry: Record<string, unknown>): string {
  const access = String(entry.access);
  if (entry.type === 'text/json') return `text/json (inline, ${access.length} characters)`;
  return `${String(entry.type)} ${redactUrl(access)}`;
}

/** Checks one manifest entry's shape; the data itself is checked when read. */
export function checkEntry(entry: unknown, index: number): Record<string, unknown> {
  const where = `manifest entry ${index}`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new DataSourceError(`${where} must be an object like {"type": "file/pickle", "access": "ret1_data.pkl"}, got ${show(entry)}.`, { source: where });
  }
  const e = entry as Record<string, unknown>;
  if (typeof e.type !== 'string') throw new DataSourceError(`${where}: "type" is missing. Supported types: ${SUPPORTED_TYPES.join(', ')}.`, { source: where, field: 'type' });
  if (UNSUPPORTED.includes(e.type)) {
    throw new DataSourceError(`${where}: "${e.type}" is not supported yet. Supported types: ${SUPPORTED_TYPES.join(', ')}.`, { source: where, field: 'type' });
  }
  if (!(SUPPORTED_TYPES as readonly string[]).includes(e.type)) {
    throw new DataSourceError(`${where}: unknown type ${show(e.type)}. Supported types: ${SUPPORTED_TYPES.join(', ')}.`, { source: where, field: 'type' });
  }
  if (typeof e.access !== 'string' || e.access === '') throw new DataSourceError(`${where}: "access" (a path, URL or inline text) is missing or not a string.`, { source: where, field: 'access' });
  if (e.access.includes('\0')) throw new DataSourceError(`${where}: "access" holds a NUL character.`, { source: where, field: 'access' });
  const allowed = [...COMMON_FIELDS, ...(TYPE_FIELDS[e.type] ?? [])];
  const unknown = Object.keys(e).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new DataSourceError(`${where} (${e.type}): unknown field "${unknown[0]!}". A ${e.type} entry has ${allowed.join(', ')}.`, { source: where, field: unknown[0]! });
  }
  if (e.access2 !== undefined && e.access2 !== '' && e.type !== 'text/plain') {
    throw new DataSourceError(`${where} (${e.type}): "access2" is not used by ${e.type}; leave it out or empty.`, { source: where, field: 'access2' });
  }
  if (e.access2 !== undefined && typeof e.access2 !== 'string') throw new DataSourceError(`${where}: "access2" must be a string.`, { source: where, field: 'access2' });
  try {
    limitsFor(e);
  } catch (error) {
    throw new DataSourceError(`${where}: ${(error as Error).message}`, { source: where, field: (error as DataSourceError).field ?? 'limits' });
  }
  return e;
}

/** Reads and checks one source. Relative paths resolve against `baseDir` (default: the working directory). */
export async function readSource(entry: Record<string, unknown>, options: ReadOptions | string = {}): Promise<SourceRead> {
  const { baseDir = process.cwd(), limits: base, onWhiteNoise } = typeof options === 'string' ? { baseDir: options } as ReadOptions : options;
  const limits = limitsFor(entry, base);
  const name = describeSource(entry);
  if (entry.type === 'file/csv' || entry.type === 'text/plain' || entry.type === 'database/mysql') {
    const { value, bytes } = entry.type === 'file/csv' ? await readCsvSource(resolvePath(entry.access, baseDir), limits)
      : entry.type === 'text/plain' ? await readTextSource(entry, baseDir, limits) : await readMysqlSource(entry, limits);
    const hash = createHash('sha256');
    for (const b of bytes) hash.update(b);
    const total = bytes.reduce((n, b) => n + b.length, 0);
    return { dataset: validateDataset(name, value, total + 1_000_000), checksum: hash.digest('hex'), bytes: total };
  }
  if (entry.type === 'file/pickle') {
    // One pass over the file: its checksum, and its structure with the movies left in it.
    const skeleton = await readPickleSkeleton(name, resolvePath(entry.access, baseDir), limits.maxBytes, onWhiteNoise ? { onWhiteNoise } : {});
    let parsed: unknown;
    try {
      parsed = parseNumpyPickle(skeleton.bytes, skeleton.regions);
    } catch (cause) {
      throw new DataSourceError(`${name}: ${(cause as Error).message}`, { source: name, cause });
    }
    return { dataset: validateDataset(name, parsed, skeleton.size + 1_000_000), checksum: skeleton.checksum, bytes: skeleton.size };
  }
  const bytes = entry.type === 'text/json' ? Buffer.from(String(entry.access), 'utf8')
    : entry.type === 'http/json' ? await httpGet(String(entry.access), limits, name)
      : await readRegularFile(name, resolvePath(entry.access, baseDir), limits.maxBytes);
  const checksum = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length > MAX_JSON_TEXT) {
    throw new DataSourceError(`${name}: ${formatBytes(bytes.length)} of JSON is more than JavaScript can parse (${formatBytes(MAX_JSON_TEXT)}); write large movies as file/pickle or .npy (file/csv).`, { source: name });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new DataSourceError(`${name}: not valid UTF-8 text.`, { source: name, cause });
  }
  const parsed = jsonArrays(parseStrictJson(text, name), name, '');
  return { dataset: validateDataset(name, parsed, bytes.byteLength + 1_000_000), checksum, bytes: bytes.byteLength };
}

const DTYPES: Record<string, { bytes: number; make: (b: ArrayBuffer, o: number, n: number) => ArrayLike<number> }> = {
  float64: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) }, float32: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  int32: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) }, int16: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  int8: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
};

/**
 * JSON sources give arrays as nested lists, or as `{dtype, shape, data}` with little-endian data
 * in base64 (and `order: 'F'` for column-major; C order otherwise, as numpy's tobytes()).
 */
function jsonArrays(value: unknown, source: string, at: string): unknown {
  if (Array.isArray(value)) {
    if (value.length > 0 && Array.isArray(value[0]) && Array.isArray((value[0] as unknown[])[0])) return nestedArray(value, source, at);
    return value.map((v, i) => jsonArrays(v, source, `${at}[${i}]`));
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('dtype' in o && 'shape' in o && 'data' in o) {
      const where = `${source}: ${at}`;
      const extra = Object.keys(o).filter((k) => !['dtype', 'shape', 'data', 'order'].includes(k));
      if (extra.length > 0) throw new DataSourceError(`${where} has an unknown array field "${extra[0]!}" (an array is {dtype, shape, data, order}).`, { source, field: extra[0]! });
      const make = typeof o.dtype === 'string' ? DTYPES[o.dtype] : undefined;
      if (!make) throw new DataSourceError(`${where}: arrays of dtype ${show(o.dtype)} are not supported; use ${Object.keys(DTYPES).join(', ')}.`, { source, field: 'dtype' });
      if (typeof o.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.data)) throw new DataSourceError(`${where}: "data" must be base64 text.`, { source, field: 'data' });
      if (o.order !== undefined && o.order !== 'C' && o.order !== 'F') throw new DataSourceError(`${where}: "order" must be "C" or "F", got ${show(o.order)}.`, { source, field: 'order' });
      const shape = checkShape(where, o.shape, Math.floor((o.data.length * 3) / 4 / make.bytes));
      const n = shape.reduce((p, s) => p * s, 1);
      const raw = Buffer.from(o.data, 'base64');
      if (raw.byteLength !== n * make.bytes) throw new DataSourceError(`${where}: an array of shape (${shape.join(', ')}) and dtype ${o.dtype as string} needs ${n * make.bytes} bytes; its data has ${raw.byteLength}.`, { source, field: 'data' });
      const copy = Buffer.allocUnsafeSlow(raw.byteLength);
      raw.copy(copy);
      const data = make.make(copy.buffer as ArrayBuffer, copy.byteOffset, n);
      if (o.order === 'F') {
        const strides = shape.map((_, i) => shape.slice(0, i).reduce((p, s) => p * s, 1));
        return ndarray(data as never, shape, strides);
      }
      return ndarray(data as never, shape);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, jsonArrays(v, source, at === '' ? k : `${at}.${k}`)]));
  }
  return value;
}

/** A list of lists of lists of numbers, rectangular, as a C-order ndarray. */
function nestedArray(value: unknown[], source: string, at: string): unknown {
  const shape = [value.length, (value[0] as unknown[]).length, ((value[0] as unknown[][])[0]!).length];
  const out = new Float64Array(shape[0]! * shape[1]! * shape[2]!);
  let o = 0;
  for (let i = 0; i < shape[0]!; i++) {
    const plane = value[i];
    if (!Array.isArray(plane) || plane.length !== shape[1]) throw new DataSourceError(`${source}: ${at}[${i}] is ragged: every row of a nested-list array must have the same length (${shape[1]}).`, { source, field: at });
    for (let j = 0; j < shape[1]!; j++) {
      const row = plane[j] as unknown;
      if (!Array.isArray(row) || row.length !== shape[2]) throw new DataSourceError(`${source}: ${at}[${i}][${j}] is ragged: every row of a nested-list array must have the same length (${shape[2]}).`, { source, field: at });
      for (let k = 0; k < shape[2]!; k++) {
        const v = row[k] as unknown;
        if (typeof v !== 'number') throw new DataSourceError(`${source}: ${at}[${i}][${j}][${k}] is ${show(v)}, not a number.`, { source, field: at });
        out[o++] = v;
      }
    }
  }
  return ndarray(out, shape);
}

const cache = new Map<string, Promise<SourceRead>>();

/** Remembers what a source gave under another form of its entry (the stored one, without its password). */
export function rememberSource(entry: Record<string, unknown>, read: SourceRead): void {
  cache.set(JSON.stringify(entry), Promise.resolve(read));
}

/** Forgets what rememberSource() kept (a load that failed must not leave its data in memory). */
export function forgetSource(entry: Record<string, unknown>): void {
  cache.delete(JSON.stringify(entry));
}

/**
 * readSource, remembered for the process: populate() reads each source once for all its
 * sessions. A file's size and modification time are part of the key, so a change is seen.
 */
export async function readSourceCached(entry: Record<string, unknown>, options: ReadOptions | string = {}): Promise<SourceRead> {
  const baseDir = typeof options === 'string' ? options : options.baseDir ?? process.cwd();
  let key = JSON.stringify(entry);
  const remembered = cache.get(key);
  if (remembered) return remembered;
  if (PATH_TYPES.includes(String(entry.type))) {
    const info = await stat(resolvePath(entry.access, baseDir)).catch(() => undefined);
    key += `:${info?.size}:${info?.mtimeMs}`;
  }
  let read = cache.get(key);
  if (!read) {
    read = readSource(entry, options);
    cache.set(key, read);
    read.catch(() => cache.delete(key));
  }
  return read;
}
