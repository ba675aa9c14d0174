import { BlobError } from '../../errors.js';
import type { Attribute } from '../definition/heading.js';
import { packBlob } from '../blob/pack.js';
import { PackedBlob } from '../blob/packed-blob.js';

/**
 * Serializes a value for a blob attribute (a {@link PackedBlob} is already serialized) and checks
 * it fits the column: the size error comes before anything is sent.
 */
export function encodeBlobValue(attribute: Attribute, value: unknown, where: { table: string }): Uint8Array {
  const bytes = value instanceof PackedBlob ? value.bytes : packBlob(value);
  const max = attribute.type.maxBytes ?? Number.POSITIVE_INFINITY;
  if (bytes.byteLength > max) {
    throw new BlobError(`${where.table}.${attribute.name}: the serialized value is ${bytes.byteLength} bytes, more than a ${attribute.type.declared} holds (${max}). Declare the attribute as longblob.`);
  }
  return bytes;
}
