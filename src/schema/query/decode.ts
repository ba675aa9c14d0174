import type { DialectName } from '../connection/config.js';
import type { Heading } from '../definition/heading.js';
import { unpackBlob } from '../blob/unpack.js';
import { decodeValue } from './values.js';

/**
 * Turns a driver row into the documented JS values of each attribute. Blob attributes decode on
 * first read, so wide results never unpack blobs nobody looks at.
 */
export function decodeRow(heading: Heading, raw: Record<string, unknown>, dialect: DialectName): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const attribute of heading.attributes) {
    const value = raw[attribute.name];
    if (attribute.type.category === 'blob' && value !== null && value !== undefined) {
      let decoded: unknown;
      let done = false;
      Object.defineProperty(row, attribute.name, {
        enumerable: true,
        configurable: true,
        get() {
          if (!done) {
            decoded = unpackBlob(value as Uint8Array);
            done = true;
          }
          return decoded;
        },
        set(v: unknown) {
          Object.defineProperty(row, attribute.name, { value: v, enumerable: true, writable: true, configurable: true });
        },
      });
    } else {
      row[attribute.name] = decodeValue(attribute, value, dialect);
    }
  }
  return row;
}
