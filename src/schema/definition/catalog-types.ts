import { makeType, type AttributeType } from './attribute-type.js';
import { mysqlEnumValues } from './native-types.js';
import { inSpelling, resolveType } from './types.js';

/** A column's type as a catalog shows it, read back the way DataJoint reads it. */
export interface ColumnType {
  readonly type: AttributeType;
  /** The type as a definition spells it: the marker when there is one, else the SQL type. */
  readonly typeText: string;
  /** The comment without its `:type:` marker. */
  readonly comment: string;
}

/**
 * Reads a column's type the way DataJoint does: a `:type:` marker in the comment wins over the SQL
 * type (`int` marked `:int32:` is an int32); MariaDB's `json` (a longtext with a `json_valid`
 * check) is json; `tinyint(1)` is bool. A type rg-schema cannot read opens as `unsupported` rather
 * than failing, so the rest of the table stays usable.
 *
 * @example
 * ```ts
 * typeFromColumn('int(11)', ':int32:subject number').typeText;  // 'int32'
 * typeFromColumn('longtext', '', { jsonCheck: true }).type.category; // 'json'
 * typeFromColumn('binary(16)', ':blob@raw:').type.category;      // 'unsupported'
 * ```
 */
export function typeFromColumn(sqlType: string, comment: string, options: { jsonCheck?: boolean } = {}): ColumnType {
  const marker = /^:([^:]+):(.*)$/s.exec(comment);
  if (marker) {
    const text = (marker[1] ?? '').trim();
    const known = resolveType(text);
    const type = known ? inSpelling(known, 'dj2') : makeType(text.toLowerCase(), 'unsupported', sqlType, 'BLOB', { marker: text, unsupported: `the DataJoint type ${text}` });
    return { type: type.marker === undefined ? { ...type, marker: text } : type, typeText: text, comment: (marker[2] ?? '').trim() };
  }
  const normalised = options.jsonCheck && /^longtext$/i.test(sqlType.trim()) ? 'json' : normaliseCatalogType(sqlType);
  const type = resolveType(normalised) ?? makeType(normalised, 'unsupported', normalised, 'BLOB', { unsupported: `the MySQL type ${normalised}` });
  return { type, typeText: normalised, comment };
}

/**
 * Strips display widths that MySQL/MariaDB add to integer types; `tinyint(1)` is bool, `year(4)` year.
 *
 * @example
 * ```ts
 * normaliseCatalogType('smallint(5) unsigned'); // 'smallint unsigned'
 * normaliseCatalogType("enum('M','F')");        // "enum('M','F')" (values keep their case)
 * normaliseCatalogType("enum('a\\\\b')");          // "enum('a\\b')" (MySQL's escapes read back)
 * ```
 */
export function normaliseCatalogType(sqlType: string): string {
  const list = /^\s*(enum|set)\s*\(/i.exec(sqlType);
  if (list) return `${(list[1] ?? '').toLowerCase()}(${mysqlEnumValues(sqlType).map((v) => `'${v.replace(/'/g, "''")}'`).join(',')})`;
  const lower = sqlType.toLowerCase().trim().replace(/\s+/g, ' ');
  if (lower === 'tinyint(1)') return 'bool';
  if (lower === 'year(4)') return 'year';
  return lower.replace(/^((?:tiny|small|medium|big)?int)\(\d+\)/, '$1');
}

/**
 * The storage a SQL type stands for, spelled one way, so a declaration and a catalog can be
 * compared: display widths dropped, synonyms resolved (`integer` → `int`, `real` → `double`,
 * `bool` → `tinyint`, `json` → `longtext` as MariaDB stores it), enum values read as MySQL spells
 * them (both sides are MySQL spellings: a declaration's `mysql` type and the catalog's).
 *
 * @example
 * ```ts
 * canonicalSql('int(11)') === canonicalSql('integer');                 // true
 * canonicalSql("enum('a', 'b')") === canonicalSql("enum('a','b')");    // true
 * ```
 */
export function canonicalSql(sqlType: string): string {
  const list = /^\s*(enum|set)\s*\(/i.exec(sqlType);
  if (list) return `${(list[1] ?? '').toLowerCase()}(${JSON.stringify(mysqlEnumValues(sqlType))})`;
  let s = sqlType.toLowerCase().trim().replace(/\s+/g, ' ').replace(/ auto_increment$/, '');
  s = s.replace(/^((?:tiny|small|medium|big)?int)(?:eger)?\(\d+\)/, '$1').replace(/^integer\b/, 'int');
  if (/^bool(ean)?$/.test(s)) return 'tinyint';
  if (s === 'json') return 'longtext';
  if (s === 'serial') return 'bigint unsigned';
  if (/^year(\(4\))?$/.test(s)) return 'year';
  s = s.replace(/^(double precision|real)\b/, 'double').replace(/^(numeric|dec|fixed)\b/, 'decimal');
  if (/^decimal( unsigned)?$/.test(s)) s = s.replace('decimal', 'decimal(10,0)');
  s = s.replace(/^decimal\((\d+)\)/, 'decimal($1,0)').replace(/\s*,\s*/g, ',').replace(/\(\s*/g, '(').replace(/\s*\)/g, ')');
  const float = /^float\((\d+)\)(.*)$/.exec(s);
  if (float) s = `${Number(float[1]) > 24 ? 'double' : 'float'}${float[2] ?? ''}`;
  return s;
}

/**
 * What a type means beyond its SQL storage: two columns with the same SQL type still differ when
 * one is a DataJoint blob and the other raw bytes, json, a uuid, an attachment or a bool.
 *
 * @example
 * ```ts
 * typeKind(resolveType('<blob>')!) === typeKind(resolveType('longblob')!); // true: both DataJoint blobs
 * typeKind(resolveType('bytes')!);                                         // 'bytes'
 * ```
 */
export function typeKind(type: AttributeType): string {
  switch (type.category) {
    case 'bool': case 'json': case 'uuid': case 'blob': case 'bytes': case 'attach':
      return type.category;
    case 'unsupported':
      return `unsupported ${type.marker ?? type.declared}`;
    default:
      return 'plain';
  }
}
