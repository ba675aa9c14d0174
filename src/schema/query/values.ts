import { InvalidValueError, UnsupportedTypeError } from '../../errors.js';
import type { ValueDialect } from '../connection/dialect.js';
import type { Attribute } from '../definition/heading.js';
import { packAttachment, unpackAttachment } from './attachment.js';
import { canonicalDecimal, decimalShape } from './exact-decimal.js';
import { ValueProblem } from './value-problem.js';
import { float32Value, isFloat32Column } from '../util/float32.js';
import { canonicalDate, canonicalDatetime, canonicalTime, fractionalDigits } from './temporal-values.js';
import { jsonProblem } from './json-values.js';
import { isUnicode } from '../util/unicode.js';

/**
 * The JS values attributes take, the same on every backend:
 *
 * | type | JS value |
 * | --- | --- |
 * | tinyint … int, int8 … int32, uint8 … uint32 | `number` |
 * | bigint, int64, uint64 | `bigint` (exact over the whole range, also above 2^63 on SQLite) |
 * | double, float64 | `number` (bit for bit) |
 * | float, float32 | `number`: the float32 the column holds, as its shortest decimal ({@link float32Value}) |
 * | decimal(p,s) | `string`, exactly `s` digits after the point |
 * | bool | `boolean` |
 * | char, varchar, enum | `string` |
 * | date | `'YYYY-MM-DD'` |
 * | datetime(n), timestamp(n) | `'YYYY-MM-DD HH:MM:SS'` and `n` fractional digits (no time zone is applied; timestamps in UTC) |
 * | time(n) | `'[-]HH:MM:SS'` and `n` fractional digits |
 * | json | the parsed value |
 * | uuid | `'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'` (lower case) |
 * | bytes, binary(n), varbinary(n), bit(n) | `Buffer` |
 * | tinytext … longtext, set(...) | `string` |
 * | year | `number` |
 * | longblob, blob, <blob> | the unpacked DataJoint blob |
 * | attach, <attach> | {@link Attachment} `{ filename, content }` |
 * | external stores, spatial types, unknown codecs | not fetched: {@link UnsupportedTypeError} |
 * | NULL | `null` |
 */
export function decodeValue(attribute: Attribute, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  const type = attribute.type;
  switch (type.category) {
    case 'integer':
      if ((type.intBytes ?? 4) >= 8) return decodeInt64(raw);
      return Number(raw);
    case 'float':
      return isFloat32Column(type.mysql) ? float32Value(Number(raw)) : Number(raw);
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
  return raw;
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

/** A 64-bit integer from the driver: a bigint, a numeric string, or SQLite's 8-byte form of uint64 ≥ 2^63. */
function decodeInt64(raw: unknown): bigint {
  if (typeof raw === 'bigint') return raw;
  if (raw instanceof Uint8Array && raw.byteLength === 8) return Buffer.from(raw.buffer, raw.byteOffset, 8).readBigUInt64BE(0);
  return BigInt(raw as string | number);
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

const INT64_MAX = 9223372036854775807n;

/**
 * Checks a JS value against an attribute and turns it into what the dialect's driver binds, so
 * that the value read back is the same on every backend. A value a backend would silently change
 * is refused on all of them. Blobs are left to the blob codec. Throws InvalidValueError naming the
 * table, the attribute and the row.
 */
export function encodeValue(attribute: Attribute, value: unknown, table: string, row: unknown, dialect: ValueDialect): unknown {
  const where = { table, row };
  if (value === null || value === undefined) {
    if (attribute.nullable) return null;
    throw invalid(where, attribute, value, 'is required and cannot be NULL');
  }
  if (attribute.type.category === 'unsupported') throw unsupportedType(attribute);
  const encoded = encodeChecked(attribute, value, dialect);
  if (encoded instanceof ValueProblem) throw invalid(where, attribute, value, encoded.text);
  return encoded;
}

function encodeChecked(attribute: Attribute, value: unknown, dialect: ValueDialect): unknown {
  const type = attribute.type;
  switch (type.category) {
    case 'integer': {
      if (typeof value === 'number' && Number.isInteger(value)) {
        const range = INT_NUMBER_RANGE[type.intBytes ?? 4];
        if (range && (type.unsigned ? value >= 0 && value <= range[2] : value >= range[0] && value <= range[1])) return value === 0 ? 0 : value;
      }
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
      else if (typeof value === 'string' && /^[-+]?\d+$/.test(value.trim())) big = BigInt(value.trim());
      else if (typeof value === 'boolean') big = value ? 1n : 0n;
      else return new ValueProblem('must be an integer');
      const range = INT_RANGE[type.intBytes ?? 4] ?? INT_RANGE[8]!;
      const [min, max, umax] = range;
      if (type.unsigned ? big < 0n || big > umax : big < min || big > max) return new ValueProblem(`is out of range for ${type.declared}`);
      if (Number.isSafeInteger(Number(big))) return Number(big);
      return big > INT64_MAX ? dialect.uint64(big) : big;
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n) && typeof value === 'string') return new ValueProblem('must be a number');
      if (!Number.isFinite(n)) return new ValueProblem('must be finite (SQL has no NaN or Infinity)');
      if (type.unsigned && n < 0) return new ValueProblem('is negative, and the column is unsigned');
      if (!isFloat32Column(type.mysql)) return n === 0 ? 0 : n; // MariaDB stores −0 as 0; so does every backend
      if (!Number.isFinite(Math.fround(n))) return new ValueProblem('is out of range for a 4-byte float (±3.4028235e38); declare it double');
      // MySQL and PostgreSQL get the exact float32 (their 4-byte floats hold no more); SQLite the value they return for it.
      const f = Math.fround(n);
      return dialect.float32(f === 0 ? 0 : f);
    }
    case 'decimal': {
      if (!(typeof value === 'number' && Number.isFinite(value)) && typeof value !== 'string' && typeof value !== 'bigint') {
        return new ValueProblem('must be a decimal number (a numeric string, finite number or bigint)');
      }
      const { precision, scale } = decimalShape(type.mysql);
      return canonicalDecimal(value, precision, scale, type.unsigned);
    }
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value === 0 || value === 1) return value;
      return new ValueProblem('must be a boolean');
    case 'string':
    case 'enum': {
      if (typeof value !== 'string') return new ValueProblem('must be a string');
      if (!isUnicode(value)) return new ValueProblem('is not valid Unicode text (it holds a lone surrogate, which would be stored as U+FFFD)');
      const problem = dialect.textProblem(value);
      if (problem !== undefined) return new ValueProblem(problem);
      if (type.length !== undefined && value.length > type.length && [...value].length > type.length) return new ValueProblem(`is longer than ${type.length} characters`);
      if (type.enumValues && !type.enumValues.includes(value)) return new ValueProblem(`must be one of ${type.enumValues.map((v) => `'${v}'`).join(', ')}`);
      // MySQL pads char(n) with spaces and strips trailing ones on every read.
      if (/^char\(/.test(type.mysql) && / $/.test(value)) return new ValueProblem('ends with a space, which a char(n) column drops on MySQL/MariaDB; declare it varchar(n)');
      return value;
    }
    case 'date':
      return canonicalDate(value);
    case 'datetime':
    case 'timestamp':
      return canonicalDatetime(value, fractionalDigits(type.mysql), type.category);
    case 'time':
      return canonicalTime(value, fractionalDigits(type.mysql));
    case 'json': {
      const problem = jsonProblem(value, 0, dialect.textProblem);
      return problem === undefined ? JSON.stringify(value) : new ValueProblem(problem);
    }
    case 'uuid': {
      const bytes = typeof value === 'string' ? parseUuid(value) : value instanceof Uint8Array && value.length === 16 ? Buffer.from(value) : undefined;
      return bytes ? dialect.uuid(bytes) : new ValueProblem('must be a UUID string or 16 bytes');
    }
    case 'bytes':
      if (!(value instanceof Uint8Array)) return new ValueProblem('must be a Buffer or Uint8Array');
      if (type.length !== undefined && (type.fixedLength ? value.byteLength !== type.length : value.byteLength > type.length)) {
        return new ValueProblem(`must be ${type.fixedLength ? 'exactly' : 'at most'} ${type.length} bytes`);
      }
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    case 'attach': {
      const packed = packAttachment(value);
      return typeof packed === 'string' ? new ValueProblem(packed) : packed;
    }
    case 'blob':
    case 'computed':
      return value;
  }
  return value;
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
