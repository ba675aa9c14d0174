import { createHash } from 'node:crypto';
import type { AttributeType } from '../../../definition/types.js';
import { isFloat32Column } from '../../../util/float32.js';

/** Fractional-second digits in a MySQL-spelled temporal type (`datetime(3)` → 3). */
function digitsOf(mysqlType: string): number {
  return Number(/\((\d)\)/.exec(mysqlType)?.[1] ?? 0);
}

/** Compares strings by code point, as Python's `sorted` does (JS's sort compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The name DataJoint 2 gives an enum's type on PostgreSQL: `enum_` and the first 8 hex digits of
 * the MD5 of the sorted values joined by `_`. Tables whose enums have the same values share it.
 *
 * @example
 * ```ts
 * enumTypeName(['M', 'F', 'U']);  // 'enum_e54fc739'
 * ```
 */
export function enumTypeName(values: readonly string[]): string {
  return `enum_${createHash('md5').update([...values].sort(byCodePoint).join('_'), 'utf8').digest('hex').slice(0, 8)}`;
}

/**
 * The PostgreSQL column type for an attribute type, as DataJoint 2 maps its core types: int8 and
 * int16 → smallint, int32 → integer, int64 → bigint, float32 → real, float64 → double precision,
 * bool → boolean, uuid → uuid, json → jsonb, every blob and bytes → bytea, datetime(n) →
 * timestamp(n) (a plain datetime a plain timestamp), decimal → numeric, enum → a type of its own (named by {@link enumTypeName}, in
 * `enumSchema`). MySQL's spellings get the smallest PostgreSQL type that holds every value they
 * allow (`smallint unsigned` → integer, `bigint unsigned` → numeric(20,0)); its text types are
 * text; `timestamp` is timestamp(0) (whole seconds, as MySQL keeps it); `time` is an interval
 * (PostgreSQL's time holds neither negative values nor more than 24 hours).
 *
 * @example
 * ```ts
 * postgresColumnType(resolveType('smallint unsigned')!, 'lab');  // 'integer'
 * postgresColumnType(resolveType("enum('M','F','U')")!, 'lab');  // '"lab"."enum_e54fc739"'
 * ```
 */
export function postgresColumnType(type: AttributeType, enumSchema: string): string {
  switch (type.category) {
    case 'integer': {
      const bytes = type.intBytes ?? 4;
      if (bytes <= 1) return 'smallint';
      if (bytes === 2) return type.unsigned ? 'integer' : 'smallint';
      if (bytes <= 4) return type.unsigned && bytes === 4 ? 'bigint' : 'integer';
      return type.unsigned ? 'numeric(20,0)' : 'bigint';
    }
    case 'float':
      return isFloat32Column(type.mysql) ? 'real' : 'double precision';
    case 'decimal':
      return type.mysql.replace(/^decimal/, 'numeric').replace(/\s+unsigned$/, '');
    case 'bool':
      return 'boolean';
    case 'string':
      // MySQL's text types and sets are text; char(n) and varchar(n) keep their length.
      return /^(var)?char\(/.test(type.mysql) ? type.mysql : 'text';
    case 'enum':
      return `"${enumSchema.replace(/"/g, '""')}"."${enumTypeName(type.enumValues ?? [])}"`;
    case 'date':
      return 'date';
    case 'datetime':
    case 'timestamp': {
      // DataJoint's plain datetime is a plain timestamp (microseconds, as DataJoint declares it);
      // MySQL's timestamp, no DataJoint type, keeps MySQL's whole seconds. Given digits are kept.
      const digits = /\((\d)\)/.exec(type.mysql)?.[1] ?? (type.category === 'timestamp' ? '0' : undefined);
      return digits === undefined ? 'timestamp' : `timestamp(${digits})`;
    }
    case 'time':
      return `interval(${digitsOf(type.mysql)})`;
    case 'json':
      return 'jsonb';
    case 'uuid':
      return 'uuid';
    case 'blob':
    case 'bytes':
    case 'attach':
      return 'bytea';
    case 'computed':
      return '';
  }
  return type.mysql;
}

/**
 * The `:type:` marker a column needs on PostgreSQL: DataJoint's own marker when the type has one,
 * else the declared MySQL spelling when the PostgreSQL column alone would read back as another
 * type (`tinyint` in a smallint, `int unsigned` in a bigint, `time` in an interval, `mediumblob`
 * in a bytea). Types PostgreSQL spells with the same meaning (`int`, `double`, `varchar(n)`,
 * `date`, `longblob`, …) need none, as on MySQL.
 *
 * @example
 * ```ts
 * postgresMarker(resolveType('int32')!);             // 'int32'
 * postgresMarker(resolveType('smallint unsigned')!); // 'smallint unsigned'
 * postgresMarker(resolveType('int')!);               // undefined
 * ```
 */
export function postgresMarker(type: AttributeType): string | undefined {
  if (type.marker !== undefined) return type.marker;
  switch (type.category) {
    case 'integer': {
      const bytes = type.intBytes ?? 4;
      const plain = !type.unsigned && (bytes === 2 || bytes === 4 || bytes === 8);
      return plain ? undefined : type.mysql;
    }
    case 'float':
    case 'decimal':
      return type.unsigned ? type.mysql : undefined;
    case 'timestamp':
    case 'time':
      return type.mysql;
    case 'blob':
      return type.mysql === 'longblob' ? undefined : type.mysql;
    case 'string':
      if (/^set\(/.test(type.mysql)) return type.declared;
      return /^(tiny|medium|)text$/.test(type.mysql) ? type.mysql : undefined;
    case 'bytes':
      return type.length === undefined ? undefined : type.mysql;
    default:
      return undefined;
  }
}

/**
 * How a PostgreSQL column type reads back as a definition type when its comment has no marker:
 * DataJoint's reverse mapping, in MySQL's spelling of each type (integer → int, real → float,
 * double precision → double, boolean → bool, timestamp(n) → datetime(n), jsonb → json,
 * bytea → longblob, text → longtext).
 *
 * @example
 * ```ts
 * definitionTypeOf('character varying(16)');  // 'varchar(16)'
 * definitionTypeOf('timestamp(3) without time zone');  // 'datetime(3)'
 * ```
 */
export function definitionTypeOf(formatted: string, enumValues?: readonly string[]): string {
  const t = formatted.toLowerCase().trim();
  if (enumValues !== undefined && enumValues.length > 0) return `enum(${enumValues.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')})`;
  const simple: Record<string, string> = {
    smallint: 'smallint', integer: 'int', bigint: 'bigint', real: 'float', 'double precision': 'double', boolean: 'bool',
    date: 'date', jsonb: 'json', json: 'json', uuid: 'uuid', bytea: 'longblob', text: 'longtext',
    'timestamp without time zone': 'datetime', 'time without time zone': 'time(6)', interval: 'time(6)',
  };
  if (simple[t] !== undefined) return simple[t];
  const varying = /^character varying\((\d+)\)$/.exec(t);
  if (varying) return `varchar(${varying[1]})`;
  const fixed = /^character\((\d+)\)$/.exec(t);
  if (fixed) return `char(${fixed[1]})`;
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(t);
  if (numeric) return `decimal(${numeric[1]},${numeric[2]})`;
  const stamp = /^timestamp\((\d)\) without time zone$/.exec(t);
  if (stamp) return `datetime(${stamp[1]})`;
  const time = /^(?:time|interval)\((\d)\)(?: without time zone)?$/.exec(t);
  if (time) return time[1] === '0' ? 'time' : `time(${time[1]})`;
  return t;
}
