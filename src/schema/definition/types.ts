/** What kind of value an attribute holds; decides SQL types, validation and decoding. */
export type TypeCategory =
  | 'integer' | 'float' | 'decimal' | 'bool' | 'string' | 'enum'
  | 'date' | 'time' | 'datetime' | 'timestamp' | 'json' | 'uuid' | 'blob' | 'bytes'
  /** An expression computed in a query (proj, aggr): its type is whatever SQL returns. */
  | 'computed';

/** A declared attribute type, resolved for both dialects. */
export interface AttributeType {
  /** As written in the definition, normalised to lower case: `int unsigned`, `float32`, `<blob>`. */
  readonly declared: string;
  readonly category: TypeCategory;
  /** The MySQL column type, as DataJoint declares it. */
  readonly mysql: string;
  /** The SQLite column type; chosen for its affinity so values are stored unaltered. */
  readonly sqlite: string;
  /** DataJoint's `:type:` comment marker for types MySQL cannot spell, or undefined. */
  readonly marker: string | undefined;
  readonly unsigned: boolean;
  readonly autoIncrement: boolean;
  /** Bytes a blob column can hold. */
  readonly maxBytes?: number;
  /** For char/varchar: the length. For enum: undefined. */
  readonly length?: number;
  readonly enumValues?: readonly string[];
  /** For integers: the width in bytes. */
  readonly intBytes?: number;
}

const INT_BYTES: Record<string, number> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, integer: 4, bigint: 8 };
const CORE_INTS: Record<string, [string, number, boolean]> = {
  int8: ['tinyint', 1, false], uint8: ['tinyint unsigned', 1, true],
  int16: ['smallint', 2, false], uint16: ['smallint unsigned', 2, true],
  int32: ['int', 4, false], uint32: ['int unsigned', 4, true],
  int64: ['bigint', 8, false], uint64: ['bigint unsigned', 8, true],
};
const BLOB_BYTES: Record<string, number> = {
  tinyblob: 255, blob: 65_535, mediumblob: 16_777_215, longblob: 4_294_967_295,
};

function make(declared: string, category: TypeCategory, mysql: string, sqlite: string, extra: Partial<AttributeType> = {}): AttributeType {
  return { declared, category, mysql, sqlite, marker: undefined, unsigned: false, autoIncrement: false, ...extra };
}

/**
 * Resolves a type as written in a definition, or returns undefined when it is unknown. 0.x
 * spellings (`int`, `float`, `longblob`) give plain columns; DataJoint 2 core types (`int32`,
 * `float64`, `<blob>`, `bytes`) and `uuid` get the `:type:` marker DataJoint writes in the comment.
 *
 * @example
 * ```ts
 * resolveType('int32');  // { mysql: 'int', marker: 'int32', ... }
 * resolveType('smallint unsigned auto_increment'); // { mysql: 'smallint unsigned', autoIncrement: true }
 * ```
 */
export function resolveType(written: string): AttributeType | undefined {
  const declared = written.trim().replace(/\s+/g, ' ');
  const lower = declared.toLowerCase();
  const core = CORE_INTS[lower];
  if (core) {
    return make(lower, 'integer', core[0], 'INTEGER', { marker: lower, intBytes: core[1], unsigned: core[2] });
  }
  if (lower === 'float32') return make(lower, 'float', 'float', 'REAL', { marker: lower });
  if (lower === 'float64') return make(lower, 'float', 'double', 'REAL', { marker: lower });
  const integer = /^(tiny|small|medium|big|)int(?:eger)?(?:\s*\(\d+\))?(\s+unsigned)?(\s+auto_increment)?$/.exec(lower);
  if (integer) {
    const base = `${integer[1] ?? ''}int`;
    const unsigned = integer[2] !== undefined;
    return make(lower, 'integer', unsigned ? `${base} unsigned` : base, 'INTEGER', {
      unsigned, autoIncrement: integer[3] !== undefined, intBytes: INT_BYTES[base] ?? 4,
    });
  }
  if (/^serial$/.test(lower)) {
    return make(lower, 'integer', 'bigint unsigned', 'INTEGER', { unsigned: true, autoIncrement: true, intBytes: 8 });
  }
  const float = /^(double|float|real)(\s*\(\s*\d+\s*,\s*\d+\s*\))?(\s+unsigned)?$/.exec(lower);
  if (float) {
    const base = float[1] === 'float' ? 'float' : 'double';
    return make(lower, 'float', `${base}${float[3] ?? ''}`, 'REAL', { unsigned: float[3] !== undefined });
  }
  const decimal = /^(?:decimal|numeric)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(\s+unsigned)?$/.exec(lower);
  if (decimal) {
    const precision = decimal[1] ?? '10';
    const scale = decimal[2] ?? '0';
    return make(lower, 'decimal', `decimal(${precision},${scale})${decimal[3] ?? ''}`, 'TEXT', { unsigned: decimal[3] !== undefined });
  }
  if (/^bool(ean)?$/.test(lower)) return make(lower, 'bool', 'tinyint(1)', 'INTEGER');
  const string = /^(var)?char\s*\(\s*(\d+)\s*\)$/.exec(lower);
  if (string) {
    const kind = string[1] ? 'varchar' : 'char';
    return make(lower, 'string', `${kind}(${string[2]})`, 'TEXT', { length: Number(string[2]) });
  }
  const enumMatch = /^enum\s*\((.*)\)$/i.exec(declared);
  if (enumMatch) {
    const values = parseEnumValues(enumMatch[1] ?? '');
    if (!values) return undefined;
    // A definition's enum values are literal between their quotes ('' is a quote). MySQL also reads
    // a backslash as an escape, so its spelling doubles backslashes: `enum('a\\', …)` must not
    // swallow the closing quote and turn the rest of the line into SQL.
    const spelled = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    const mysqlSpelled = values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(',');
    return make(`enum(${spelled})`, 'enum', `enum(${mysqlSpelled})`, 'TEXT', { enumValues: values });
  }
  const temporal = /^(date|datetime|time|timestamp)(?:\s*\(\s*(\d)\s*\))?$/.exec(lower);
  if (temporal) {
    const kind = temporal[1] as 'date' | 'datetime' | 'time' | 'timestamp';
    return make(lower, kind, temporal[2] ? `${kind}(${temporal[2]})` : kind, 'TEXT');
  }
  if (lower === 'json') return make(lower, 'json', 'json', 'TEXT');
  if (lower === 'uuid') return make(lower, 'uuid', 'binary(16)', 'BLOB', { marker: 'uuid' });
  const blob = /^(tiny|medium|long|)blob$/.exec(lower);
  if (blob) return make(lower, 'blob', lower, 'BLOB', { maxBytes: BLOB_BYTES[lower] ?? 0 });
  if (lower === '<blob>') return make(lower, 'blob', 'longblob', 'BLOB', { marker: '<blob>', maxBytes: BLOB_BYTES.longblob ?? 0 });
  if (lower === 'bytes') return make(lower, 'bytes', 'longblob', 'BLOB', { marker: 'bytes', maxBytes: BLOB_BYTES.longblob ?? 0 });
  return undefined;
}

/** Enum values as a definition writes them: quoted, '' (or "") for a quote, nothing else escaped. */
function parseEnumValues(args: string): string[] | undefined {
  const values: string[] = [];
  const pattern = /\s*(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)")\s*(,|$)/y;
  let index = 0;
  while (index < args.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(args);
    if (!match) return undefined;
    const value = match[1] !== undefined ? match[1].replace(/''/g, "'") : (match[2] ?? '').replace(/""/g, '"');
    // Control characters have no agreed spelling in catalogs; such a value is refused.
    if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
    values.push(value);
    index = pattern.lastIndex;
    if (match[3] === '') break;
  }
  return values.length > 0 ? values : undefined;
}

/** The type of an attribute computed by an SQL expression. */
export const COMPUTED_TYPE: AttributeType = make('computed', 'computed', '', '');

/** Re-reads a type from a DataJoint column: the `:type:` marker wins over the SQL type. */
export function typeFromColumn(sqlType: string, comment: string): { type: AttributeType | undefined; comment: string } {
  const marker = /^:([^:]+):(.*)$/s.exec(comment);
  if (marker) {
    return { type: resolveType(marker[1] ?? ''), comment: (marker[2] ?? '').trim() };
  }
  return { type: resolveType(normaliseCatalogType(sqlType)), comment };
}

/** Strips display widths that MySQL/MariaDB add to integer types, keeping tinyint(1) (bool). */
export function normaliseCatalogType(sqlType: string): string {
  if (/^enum\s*\(/i.test(sqlType.trim())) return enumFromMysql(sqlType.trim());
  const lower = sqlType.toLowerCase().trim();
  if (lower === 'tinyint(1)') return 'bool';
  if (lower === 'longtext') return 'json';
  if (lower === 'binary(16)') return 'uuid';
  return lower.replace(/^((?:tiny|small|medium|big)?int)\(\d+\)/, '$1');
}

/**
 * MySQL's spelling of an enum (information_schema's COLUMN_TYPE: backslash escapes, '' for a
 * quote) turned into a definition's spelling, so both read back the same values.
 */
function enumFromMysql(sqlType: string): string {
  const values: string[] = [];
  const pattern = /'((?:[^'\\]|\\.|'')*)'/gs;
  for (const match of sqlType.slice(sqlType.indexOf('(')).matchAll(pattern)) {
    values.push((match[1] ?? '').replace(/\\(.)|''/gs, (all, c: string | undefined) => (c === undefined ? "'" : c === '0' ? '\0' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'Z' ? '\x1a' : c)));
  }
  return `enum(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')})`;
}
