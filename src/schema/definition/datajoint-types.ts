import { makeType, type AttributeType } from './attribute-type.js';

const LONGBLOB_BYTES = 4_294_967_295;

const CORE_INTS: Record<string, [string, number, boolean]> = {
  int8: ['tinyint', 1, false], uint8: ['tinyint unsigned', 1, true],
  int16: ['smallint', 2, false], uint16: ['smallint unsigned', 2, true],
  int32: ['int', 4, false], uint32: ['int unsigned', 4, true],
  int64: ['bigint', 8, false], uint64: ['bigint unsigned', 8, true],
};

/**
 * DataJoint's own type names that are not MySQL's: DataJoint 2's core types (`int32`, `float64`,
 * `bytes`), `uuid`, and 0.x's `attach` and external-store types (`blob@store`, `attach@store`,
 * `filepath@store`). Markers are the type as written, as DataJoint writes them.
 *
 * @example
 * ```ts
 * datajointNamedType('int32', 'int32');           // { mysql: 'int', marker: 'int32', spelling: 'dj2' }
 * datajointNamedType('blob@raw', 'blob@raw');     // { category: 'unsupported', store: 'raw' }
 * ```
 */
export function datajointNamedType(text: string, lower: string): AttributeType | undefined {
  const intMatch = /^(u?int(?:8|16|32|64))(\s+auto_increment)?$/.exec(lower);
  const core = intMatch ? CORE_INTS[intMatch[1] ?? ''] : undefined;
  if (intMatch && core) {
    const autoIncrement = intMatch[2] !== undefined;
    const marker = autoIncrement ? text.replace(/\s+auto_increment$/i, '') : text;
    return makeType(lower, 'integer', core[0], 'INTEGER', { marker, intBytes: core[1], unsigned: core[2], spelling: 'dj2', autoIncrement });
  }
  if (lower === 'float32') return makeType(lower, 'float', 'float', 'REAL', { marker: text, spelling: 'dj2' });
  if (lower === 'float64') return makeType(lower, 'float', 'double', 'REAL', { marker: text, spelling: 'dj2' });
  if (lower === 'bytes') return makeType(lower, 'bytes', 'longblob', 'BLOB', { marker: text, maxBytes: LONGBLOB_BYTES, spelling: 'dj2' });
  if (lower === 'uuid') return makeType(lower, 'uuid', 'binary(16)', 'BLOB', { marker: text });
  if (lower === 'attach') return makeType(lower, 'attach', 'longblob', 'BLOB', { marker: text, maxBytes: LONGBLOB_BYTES, spelling: 'dj0' });
  const external = /^(blob|attach|filepath)@([a-z][\w-]*)$/.exec(lower);
  if (external) {
    return makeType(lower, 'unsupported', 'binary(16)', 'BLOB', {
      marker: text, spelling: 'dj0', store: external[2], unsupported: `DataJoint's external store "${external[2]}" (${lower})`,
    });
  }
  if (/^object(@[a-z][\w-]*)?$/.test(lower)) {
    const store = lower.split('@')[1];
    return makeType(lower, 'unsupported', 'json', 'TEXT', {
      marker: text, spelling: 'dj2', ...(store === undefined ? {} : { store }), unsupported: `DataJoint's object storage (${lower})`,
    });
  }
  return undefined;
}

/**
 * DataJoint 2's codec syntax: `<blob>` and `<attach>` are stored in the table and read; other
 * codecs (`<blob@store>`, `<attach@>`, `<object@store>`, `<npy@>`, `<filepath@>`, `<hash@>`, and
 * user-defined ones) open as `unsupported`, so a table that has them can still be queried.
 *
 * @example
 * ```ts
 * codecType('<attach>', '<attach>');             // { category: 'attach', mysql: 'longblob', marker: '<attach>' }
 * codecType('<object@raw>', '<object@raw>');     // { category: 'unsupported', store: 'raw' }
 * ```
 */
export function codecType(text: string, lower: string): AttributeType | undefined {
  const match = /^<\s*([a-z][\w-]*)\s*(?:@\s*([a-z][\w-]*)?\s*)?>$/.exec(lower);
  if (!match) return undefined;
  const name = match[1] ?? '';
  const inStore = lower.includes('@');
  if (!inStore && name === 'blob') return makeType(lower, 'blob', 'longblob', 'BLOB', { marker: text, maxBytes: LONGBLOB_BYTES, spelling: 'dj2' });
  if (!inStore && name === 'attach') return makeType(lower, 'attach', 'longblob', 'BLOB', { marker: text, maxBytes: LONGBLOB_BYTES, spelling: 'dj2' });
  const store = inStore ? (match[2] ?? '') : undefined;
  const what = inStore
    ? `DataJoint's ${store ? `store "${store}"` : 'default store'} (${lower})`
    : `the codec ${lower}, which rg-schema does not implement`;
  return makeType(lower, 'unsupported', inStore ? 'json' : 'longblob', inStore ? 'TEXT' : 'BLOB', {
    marker: text, spelling: 'dj2', unsupported: what, ...(store === undefined ? {} : { store }),
  });
}
