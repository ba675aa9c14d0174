import { InvalidValueError, UnsupportedTypeError } from '../../errors.js';
import type { DialectName } from '../connection/config.js';
import type { Attribute } from '../definition/heading.js';
import { packAttachment, unpackAttachment } from './attachment.js';

/**
 * The JS values attributes take, the same on both dialects:
 *
 * | type | JS value |
 * | --- | --- |
 * | tinyint … int, int8 … int32, uint8 … uint32 | `number` |
 * | bigint, int64, uint64 | `bigint` |
 * | float, double, float32, float64 | `number` |
 * | decimal(p,s) | `string` (exact) |
 * | bool | `boolean` |
 * | char, varchar, enum | `string` |
 * | date | `'YYYY-MM-DD'` |
 * | datetime, timestamp | `'YYYY-MM-DD HH:MM:SS'` (no time zone is applied) |
 * | time | `'HH:MM:SS'` |
 * | json | the parsed value |
 * | uuid | `'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'` |
 * | bytes, binary(n), varbinary(n), bit(n) | `Buffer` |
 * | longtext, text, set(...) | `string` |
 * | year | `number` |
 * | longblob, blob, <blob> | the unpacked DataJoint blob |
 * | attach, <attach> | {@link Attachment} `{ filename, content }` |
 * | external stores, spatial types, unknown codecs | not fetched: {@link UnsupportedTypeError} |
 * | NULL | `null` |
 */
export function decodeValue(attribute: Attribute, raw: unknown, dialect: DialectName): unknown {
  if (raw === null || raw === undefined) return null;
  const type = attribute.type;
  switch (type.category) {
    case 'integer':
      if ((type.intBytes ?? 4) >= 8) return typeof raw === 'bigint' ? raw : BigInt(raw as string | number);
      return Number(raw);
    case 'float':
      return Number(raw);
    case 'decimal':
      return String(raw);
    case 'bool':
      return Number(raw) !== 0;
    case 'json':
      return typeof raw === 'string' ? JSON.parse(raw) : raw;
    case 'uuid':
      return formatUuid(raw as Uint8Array);
    case 'date':
    case 'datetime':
    case 'timestamp':
    case 'time':
    case 'string':
    case 'enum':
      return String(raw);
    case 'bytes':
    case 'blob':
      return raw;
    case 'attach':
      return unpackAttachment(attribute, raw as Uint8Array);
    case 'unsupported':
      throw unsupportedType(attribute);
    case 'computed':
      return decodeComputed(raw);
  }
}

/**
 * The error for reading or writing a column rg-schema can open but not read.
 *
 * @example
 * ```ts
 * throw unsupportedType(heading.get('raw'));
 * // Attribute "raw" uses DataJoint's external store "shared" (blob@shared), which rg-schema cannot read or write. …
 * ```
 */
export function unsupportedType(attribute: Attribute): UnsupportedTypeError {
  return new UnsupportedTypeError(`Attribute "${attribute.name}" uses ${attribute.type.unsupported ?? attribute.type.declared}, which rg-schema cannot read or write. Fetch the other attributes by name (fetch('a', 'b')) or proj() them; DataJoint for Python can read this one.`);
}

/** A value computed in SQL, whose type the heading cannot know: numbers come back as numbers. */
export function decodeComputed(raw: unknown): unknown {
  if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
  if (typeof raw === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(raw)) {
    const n = Number(raw);
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(raw) ? n : BigInt(raw);
  }
  return raw;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Dates are written from their UTC fields, the way they are read back. */
function formatDate(value: Date, withTime: boolean): string {
  const date = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  if (!withTime) return date;
  const ms = value.getUTCMilliseconds();
  return `${date} ${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}${ms ? `.${pad(ms, 3)}` : ''}`;
}

export function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function parseUuid(text: string): Buffer | undefined {
  const hex = text.replace(/-/g, '');
  return /^[0-9a-f]{32}$/i.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

const INT_RANGE: Record<number, [bigint, bigint, bigint]> = {
  1: [-128n, 127n, 255n], 2: [-32768n, 32767n, 65535n], 3: [-8388608n, 8388607n, 16777215n],
  4: [-2147483648n, 2147483647n, 4294967295n], 8: [-9223372036854775808n, 9223372036854775807n, 18446744073709551615n],
};

const INT_NUMBER_RANGE: Record<number, [number, number, number]> = {
  1: [-128, 127, 255], 2: [-32768, 32767, 65535], 3: [-8388608, 8388607, 16777215],
  4: [-2147483648, 2147483647, 4294967295], 8: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * Checks a JS value against an attribute and turns it into what the driver binds. Blobs are left
 * to the blob codec. Throws InvalidValueError naming the table, the attribute and the row.
 */
export function encodeValue(attribute: Attribute, value: unknown, table: string, row: unknown): unknown {
  const where = { table, row };
  if (value === null || value === undefined) {
    if (attribute.nullable) return null;
    throw invalid(where, attribute, value, 'is required and cannot be NULL');
  }
  const type = attribute.type;
  switch (type.category) {
    case 'integer': {
      if (typeof value === 'number' && Number.isInteger(value)) {
        const range = INT_NUMBER_RANGE[type.intBytes ?? 4];
        if (range && (type.unsigned ? value >= 0 && value <= range[2] : value >= range[0] && value <= range[1])) return value;
      }
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
      else if (typeof value === 'string' && /^[-+]?\d+$/.test(value.trim())) big = BigInt(value.trim());
      else if (typeof value === 'boolean') big = value ? 1n : 0n;
      else throw invalid(where, attribute, value, 'must be an integer');
      const range = INT_RANGE[type.intBytes ?? 4] ?? INT_RANGE[8]!;
      const [min, max, umax] = range;
      if (type.unsigned ? big < 0n || big > umax : big < min || big > max) {
        throw invalid(where, attribute, value, `is out of range for ${type.declared}`);
      }
      return Number.isSafeInteger(Number(big)) ? Number(big) : big.toString();
    }
    case 'float': {
      const n = typeof value === 'string' ? Number(value) : value;
      if (typeof n !== 'number' || (Number.isNaN(n) && typeof value === 'string')) throw invalid(where, attribute, value, 'must be a number');
      if (!Number.isFinite(n)) throw invalid(where, attribute, value, 'must be finite (SQL has no NaN or Infinity)');
      return n;
    }
    case 'decimal':
      if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)$/.test(value.trim())) || typeof value === 'bigint') {
        return withScale(String(value).trim(), Number(/,\s*(\d+)\)/.exec(type.mysql)?.[1] ?? 0));
      }
      throw invalid(where, attribute, value, 'must be a decimal number (number or numeric string)');
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value === 0 || value === 1) return value;
      throw invalid(where, attribute, value, 'must be a boolean');
    case 'string':
    case 'enum': {
      if (typeof value !== 'string') throw invalid(where, attribute, value, 'must be a string');
      if (type.length !== undefined && value.length > type.length && [...value].length > type.length) throw invalid(where, attribute, value, `is longer than ${type.length} characters`);
      if (type.enumValues && !type.enumValues.includes(value)) throw invalid(where, attribute, value, `must be one of ${type.enumValues.map((v) => `'${v}'`).join(', ')}`);
      return value;
    }
    case 'date':
      if (value instanceof Date) return formatDate(value, false);
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
      throw invalid(where, attribute, value, "must be a Date or a 'YYYY-MM-DD' string");
    case 'datetime':
    case 'timestamp':
      if (value instanceof Date) return formatDate(value, true);
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value)) return value.replace('T', ' ');
      throw invalid(where, attribute, value, "must be a Date or a 'YYYY-MM-DD HH:MM:SS' string");
    case 'time':
      if (typeof value === 'string' && /^-?\d{1,3}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return value;
      throw invalid(where, attribute, value, "must be an 'HH:MM:SS' string");
    case 'json':
      return JSON.stringify(value);
    case 'uuid': {
      const bytes = typeof value === 'string' ? parseUuid(value) : value instanceof Uint8Array && value.length === 16 ? Buffer.from(value) : undefined;
      if (!bytes) throw invalid(where, attribute, value, 'must be a UUID string or 16 bytes');
      return bytes;
    }
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw invalid(where, attribute, value, 'must be a Buffer or Uint8Array');
      if (type.length !== undefined && (type.fixedLength ? value.byteLength !== type.length : value.byteLength > type.length)) {
        throw invalid(where, attribute, value, `must be ${type.fixedLength ? 'exactly' : 'at most'} ${type.length} bytes`);
      }
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    case 'attach': {
      const packed = packAttachment(value);
      if (typeof packed === 'string') throw invalid(where, attribute, value, packed);
      return packed;
    }
    case 'unsupported':
      throw unsupportedType(attribute);
    case 'blob':
    case 'computed':
      return value;
  }
}

/** A decimal as the database would store it: exactly `scale` digits after the point. */
function withScale(text: string, scale: number): string {
  const [whole = '0', fraction = ''] = text.replace(/^\+/, '').split('.');
  if (fraction.length > scale) return Number(text).toFixed(scale);
  return scale === 0 ? whole : `${whole}.${fraction.padEnd(scale, '0')}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return String(value);
  }
}

function invalid(where: { table: string; row: unknown }, attribute: Attribute, value: unknown, problem: string): InvalidValueError {
  return new InvalidValueError(
    `${where.table}.${attribute.name} ${problem} (${attribute.type.declared}); got ${describeValue(value)} in row ${describeRow(where.row)}.`,
    { table: where.table });
}

/** A short rendering of a row for error messages (blobs and long strings abbreviated). */
export function describeRow(row: unknown): string {
  if (row === null || typeof row !== 'object') return describeValue(row);
  const parts = Object.entries(row as Record<string, unknown>).slice(0, 8).map(([k, v]) => `${k}: ${describeValue(v)}`);
  return `{ ${parts.join(', ')}${Object.keys(row as object).length > 8 ? ', …' : ''} }`;
}
