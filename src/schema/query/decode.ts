import type { ValueDialect } from '../connection/dialect.js';
import type { Attribute, Heading } from '../definition/heading.js';
import { unpackBlob } from '../blob/unpack.js';
import { memoize2 } from '../util/memo.js';
import { decodeValue, unsupportedType } from './values.js';

type Decoder = (raw: Record<string, unknown>) => Record<string, unknown>;

const cache = new WeakMap<Heading, Map<ValueDialect, Decoder>>();

/** The stored bytes of fetched blobs, by the getter that unpacks them. */
const storedBytes = new WeakMap<() => unknown, Uint8Array>();

/**
 * The bytes a fetched row's blob attribute was stored as, while it has not been unpacked or set:
 * for readers that can use a blob without unpacking all of it (a ±1 movie's signs).
 *
 * @example
 * ```ts
 * const row = await Stimulation.restrict(key).fetch1('movie');
 * const bytes = storedBlobBytes(row, 'movie');   // Uint8Array, or undefined once row.movie was read
 * ```
 */
export function storedBlobBytes(row: object, name: string): Uint8Array | undefined {
  const get = Object.getOwnPropertyDescriptor(row, name)?.get;
  return get === undefined ? undefined : storedBytes.get(get);
}

/** A blob attribute that unpacks on first read, so wide results never decode what nobody reads. */
function defineLazyBlob(row: Record<string, unknown>, name: string, value: unknown): void {
  let decoded: unknown;
  let done = false;
  const get = (): unknown => {
    if (!done) {
      // Unpacked in place: the stored bytes may serve as its memory, and are no longer offered.
      storedBytes.delete(get);
      decoded = unpackBlob(value as Uint8Array, { inPlace: true });
      done = true;
    }
    return decoded;
  };
  storedBytes.set(get, value as Uint8Array);
  Object.defineProperty(row, name, {
    enumerable: true,
    configurable: true,
    get,
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
