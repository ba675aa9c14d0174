import { makeType, type AttributeType } from './attribute-type.js';

const INT_BYTES: Record<string, number> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, integer: 4, bigint: 8 };
const BLOB_BYTES: Record<string, number> = { tinyblob: 255, blob: 65_535, mediumblob: 16_777_215, longblob: 4_294_967_295 };
/** MySQL/MariaDB types rg-schema opens but cannot read or write. */
const UNSUPPORTED = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|inet4|inet6|vector\s*\(\s*\d+\s*\))$/;

/**
 * MySQL's own types, as a definition or a catalog spells them. The types DataJoint 2 counts among
 * its core types (`bool`, `char(n)`, `varchar(n)`, `enum`, `decimal(p,s)`, `date`, `datetime`,
 * `json`) carry `dj2Marker`; a blob's is `<blob>`, DataJoint 2's name for the blob codec.
 *
 * @example
 * ```ts
 * nativeType('float(30)', 'float(30)', 'float(30)'); // { category: 'float', mysql: 'double' }
 * nativeType('bit(12)', 'bit(12)', 'bit(12)');       // { category: 'bytes', length: 2 }
 * ```
 */
export function nativeType(text: string, declared: string, lower: string): AttributeType | undefined {
  const integer = /^(tiny|small|medium|big|)int(?:eger)?(?:\s*\(\d+\))?(\s+unsigned)?(\s+auto_increment)?$/.exec(lower);
  if (integer) {
    const base = `${integer[1] ?? ''}int`;
    const unsigned = integer[2] !== undefined;
    return makeType(lower, 'integer', unsigned ? `${base} unsigned` : base, 'INTEGER', {
      unsigned, autoIncrement: integer[3] !== undefined, intBytes: INT_BYTES[base] ?? 4,
    });
  }
  if (lower === 'serial') return makeType(lower, 'integer', 'bigint unsigned', 'INTEGER', { unsigned: true, autoIncrement: true, intBytes: 8 });
  const float = /^(double precision|double|float|real)(\s*\(\s*(\d+)\s*(?:,\s*\d+\s*)?\))?(\s+unsigned)?$/.exec(lower);
  if (float) {
    // float(p) with p > 24 is a double in MySQL; a scale (float(m,d)) does not change the storage.
    const single = float[1] === 'float' && !(float[3] !== undefined && !float[2]?.includes(',') && Number(float[3]) > 24);
    return makeType(lower, 'float', `${single ? 'float' : 'double'}${float[4] ?? ''}`, 'REAL', { unsigned: float[4] !== undefined });
  }
  const decimal = /^(?:decimal|numeric|dec|fixed)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(\s+unsigned)?$/.exec(lower);
  if (decimal) {
    const precision = decimal[1] ?? '10';
    const scale = decimal[2] ?? '0';
    const core = /^decimal\s*\(\s*\d+\s*,\s*\d+\s*\)$/.test(lower);
    return makeType(lower, 'decimal', `decimal(${precision},${scale})${decimal[3] ?? ''}`, 'TEXT', {
      unsigned: decimal[3] !== undefined, ...(core ? { dj2Marker: text } : {}),
    });
  }
  if (/^bool(ean)?$/.test(lower)) return makeType(lower, 'bool', 'tinyint(1)', 'INTEGER', lower === 'bool' ? { dj2Marker: text } : {});
  const string = /^(var)?char\s*\(\s*(\d+)\s*\)$/.exec(lower);
  if (string) {
    const kind = string[1] ? 'varchar' : 'char';
    return makeType(lower, 'string', `${kind}(${string[2]})`, 'TEXT', { length: Number(string[2]), dj2Marker: text });
  }
  const textType = /^(tiny|medium|long|)text(?:\s*\(\s*\d+\s*\))?$/.exec(lower);
  if (textType) return makeType(lower, 'string', `${textType[1] ?? ''}text`, 'TEXT');
  const binary = /^(var)?binary\s*\(\s*(\d+)\s*\)$/.exec(lower);
  if (binary) {
    const n = Number(binary[2]);
    return makeType(lower, 'bytes', `${binary[1] ? 'varbinary' : 'binary'}(${n})`, 'BLOB', { maxBytes: n, length: n, fixedLength: !binary[1] });
  }
  const bit = /^bit(?:\s*\(\s*(\d+)\s*\))?$/.exec(lower);
  if (bit) {
    const bits = Number(bit[1] ?? 1);
    const bytes = Math.ceil(bits / 8);
    return makeType(lower, 'bytes', `bit(${bits})`, 'BLOB', { maxBytes: bytes, length: bytes, fixedLength: true });
  }
  const enumMatch = /^(enum|set)\s*\((.*)\)$/i.exec(declared);
  if (enumMatch) {
    const values = parseEnumValues(enumMatch[2] ?? '');
    if (!values) return undefined;
    const kind = (enumMatch[1] ?? '').toLowerCase();
    // A definition's values are literal between their quotes ('' is a quote). MySQL also reads a
    // backslash as an escape, so its spelling doubles backslashes: `enum('a\\', …)` must not
    // swallow the closing quote and turn the rest of the line into SQL.
    const spelled = `${kind}(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')})`;
    const mysql = `${kind}(${values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(',')})`;
    if (kind === 'set') return makeType(spelled, 'string', mysql, 'TEXT');
    return makeType(spelled, 'enum', mysql, 'TEXT', { enumValues: values, dj2Marker: text });
  }
  const temporal = /^(date|datetime|time|timestamp)(?:\s*\(\s*(\d)\s*\))?$/.exec(lower);
  if (temporal) {
    const kind = temporal[1] as 'date' | 'datetime' | 'time' | 'timestamp';
    const core = kind === 'date' ? temporal[2] === undefined : kind === 'datetime';
    return makeType(lower, kind, temporal[2] ? `${kind}(${temporal[2]})` : kind, 'TEXT', core ? { dj2Marker: text } : {});
  }
  if (/^year(\s*\(\s*4\s*\))?$/.test(lower)) return makeType(lower, 'integer', 'year', 'INTEGER', { intBytes: 2, unsigned: true });
  if (lower === 'json') return makeType(lower, 'json', 'json', 'TEXT', { dj2Marker: text });
  const blob = /^(tiny|medium|long|)blob$/.exec(lower);
  if (blob) return makeType(lower, 'blob', lower, 'BLOB', { maxBytes: BLOB_BYTES[lower] ?? 0, dj2Marker: '<blob>' });
  if (UNSUPPORTED.test(lower)) return makeType(lower, 'unsupported', lower, 'BLOB', { unsupported: `the MySQL type ${lower}` });
  return undefined;
}

/**
 * The values of `enum(...)` or `set(...)` as a definition writes them (quoted, `''` or `""` for a
 * quote, nothing else escaped), quotes removed; undefined when they cannot be read.
 *
 * @example
 * ```ts
 * parseEnumValues("'a', 'it''s'"); // ['a', "it's"]
 * ```
 */
export function parseEnumValues(args: string): string[] | undefined {
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

/**
 * The values of MySQL's spelling of an enum or set (information_schema's COLUMN_TYPE: backslash
 * escapes, `''` for a quote).
 *
 * @example
 * ```ts
 * mysqlEnumValues("enum('a\\\\b','it''s')"); // ['a\\b', "it's"]
 * ```
 */
export function mysqlEnumValues(sqlType: string): string[] {
  const values: string[] = [];
  const pattern = /'((?:[^'\\]|\\.|'')*)'/gs;
  for (const match of sqlType.slice(sqlType.indexOf('(')).matchAll(pattern)) {
    values.push((match[1] ?? '').replace(/\\(.)|''/gs, (_all, c: string | undefined) => (c === undefined ? "'" : c === '0' ? '\0' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'Z' ? '\x1a' : c)));
  }
  return values;
}
