import type { CatalogAttribute } from '../declare/catalog.js';

/**
 * The TypeScript type of an attribute's value, as rg-schema fetches it (see the README's table of
 * JS values): numbers, `bigint` for 64-bit integers, strings for decimals, dates and uuids,
 * `Uint8Array` for bytes, `unknown` for blobs and json, {@link Attachment} for attachments.
 *
 * @example
 * ```ts
 * tsType(column('sex', "enum('M','F','U')")); // '"M" | "F" | "U"'
 * ```
 */
export function tsType(attribute: CatalogAttribute): string {
  const type = attribute.type;
  switch (type.category) {
    case 'integer':
      return (type.intBytes ?? 4) >= 8 ? 'bigint' : 'number';
    case 'float':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'enum':
      return (type.enumValues ?? []).map((v) => JSON.stringify(v)).join(' | ') || 'string';
    case 'decimal': case 'string': case 'date': case 'time': case 'datetime': case 'timestamp': case 'uuid':
      return 'string';
    case 'bytes':
      return 'Uint8Array';
    case 'attach':
      return 'Attachment';
    case 'unsupported':
      return 'never';
    case 'json': case 'blob': case 'computed':
      return 'unknown';
  }
}

/**
 * One member of a row interface: optional when the database fills it (default, NULL, auto_increment).
 *
 * @example
 * ```ts
 * rowMember(weightColumn); // 'weight?: string | null;'
 * ```
 */
export function rowMember(attribute: CatalogAttribute): string {
  const optional = attribute.nullable || attribute.default !== undefined || attribute.type.autoIncrement || attribute.type.category === 'unsupported';
  const type = tsType(attribute);
  const note = attribute.type.category === 'unsupported' ? `  // ${attribute.type.unsupported ?? attribute.typeText}: not readable by rg-schema` : '';
  return `${attribute.name}${optional ? '?' : ''}: ${type}${attribute.nullable && type !== 'never' ? ' | null' : ''};${note}`;
}
