import type { DialectName } from '../connection/config.js';
import type { Attribute, Heading } from '../definition/heading.js';
import { unpackBlob } from '../blob/unpack.js';
import { memoize2 } from '../util/memo.js';
import { isFloat32Column } from './float32.js';
import { decodeValue, unsupportedType } from './values.js';

type Decoder = (raw: Record<string, unknown>) => Record<string, unknown>;

const cache = new WeakMap<Heading, Map<DialectName, Decoder>>();

/** Whether the driver already returns the documented JS value for this attribute. */
function isIdentity(attribute: Attribute, dialect: DialectName): boolean {
  const { category, intBytes, mysql } = attribute.type;
  // 4-byte floats come back through float32Value on every backend, so both give the same number.
  const double = category === 'float' && !isFloat32Column(mysql);
  if (dialect === 'mysql') {
    return (category === 'integer' && (intBytes ?? 4) < 8) || double || category === 'string'
      || category === 'enum' || category === 'date' || category === 'datetime' || category === 'timestamp'
      || category === 'time' || category === 'decimal' || category === 'bytes';
  }
  return double || category === 'string' || category === 'enum' || category === 'date'
    || category === 'datetime' || category === 'timestamp' || category === 'time' || category === 'bytes';
}

/** A blob attribute that unpacks on first read, so wide results never decode what nobody reads. */
function defineLazyBlob(row: Record<string, unknown>, name: string, value: unknown): void {
  let decoded: unknown;
  let done = false;
  Object.defineProperty(row, name, {
    enumerable: true,
    configurable: true,
    get() {
      if (!done) {
        decoded = unpackBlob(value as Uint8Array, { inPlace: true });
        done = true;
      }
      return decoded;
    },
    set(v: unknown) {
      Object.defineProperty(row, name, { value: v, enumerable: true, writable: true, configurable: true });
    },
  });
}

function buildDecoder(heading: Heading, dialect: DialectName): Decoder {
  const unreadable = heading.attributes.find((a) => a.type.category === 'unsupported');
  if (unreadable) throw unsupportedType(unreadable);
  const converted = heading.attributes.filter((a) => !isIdentity(a, dialect));
  if (converted.length === 0) return (raw) => raw;
  return (raw) => {
    for (const attribute of converted) {
      const value = raw[attribute.name];
      if (attribute.type.category === 'blob' && value !== null && value !== undefined) defineLazyBlob(raw, attribute.name, value);
      else raw[attribute.name] = decodeValue(attribute, value);
    }
    return raw;
  };
}

/**
 * Turns a driver row (a fresh object per row, selected with exactly the heading's names) into the
 * documented JS values, in place: columns the driver already returns correctly are not touched.
 */
export function decodeRow(heading: Heading, raw: Record<string, unknown>, dialect: DialectName): Record<string, unknown> {
  return memoize2(cache, heading, dialect, () => buildDecoder(heading, dialect))(raw);
}
