import type { DialectName } from '../connection/config.js';
import type { Heading } from '../definition/heading.js';
import { decodeValue } from './values.js';

/** Turns a driver row into the documented JS values of each attribute. */
export function decodeRow(heading: Heading, raw: Record<string, unknown>, dialect: DialectName): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const attribute of heading.attributes) row[attribute.name] = decodeValue(attribute, raw[attribute.name], dialect);
  return row;
}
