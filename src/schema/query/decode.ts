import type { ValueDialect } from '../connection/dialect.js';
import type { Attribute, Heading } from '../definition/heading.js';
import { unpackBlob } from '../blob/unpack.js';
import { memoize2 } from '../util/memo.js';
import { decodeValue, unsupportedType } from './values.js';

type Decoder = (raw: Record<string, unknown>) => Record<string, unknown>;

const cache = new WeakMap<Heading, Map<ValueDialect, Decoder>>();

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

function buildDecoder(heading: Heading, dialect: ValueDialect): Decoder {
  const unreadable = heading.attributes.find((a) => a.type.category === 'unsupported');
  if (unreadable) throw unsupportedType(unreadable);
  const converted = heading.attributes.flatMap((attribute) => {
    const reading = dialect.reading(attribute);
    if (reading === 'ready') return [];
    const decode = reading === 'generic' ? (raw: unknown) => decodeValue(attribute, raw) : reading;
    return [{ name: attribute.name, blob: attribute.type.category === 'blob', decode }];
  });
  if (converted.length === 0) return (raw) => raw;
  return (raw) => {
    for (const { name, blob, decode } of converted) {
      const value = raw[name];
      if (blob && value !== null && value !== undefined) defineLazyBlob(raw, name, value);
      else raw[name] = value === null || value === undefined ? null : decode(value);
    }
    return raw;
  };
}

/**
 * Turns a driver row (a fresh object per row, selected with exactly the heading's names) into the
 * documented JS values, in place: columns the driver already returns correctly are not touched.
 */
export function decodeRow(heading: Heading, raw: Record<string, unknown>, dialect: ValueDialect): Record<string, unknown> {
  return memoize2(cache, heading, dialect, () => buildDecoder(heading, dialect))(raw);
}
