/** What kind of value an attribute holds; decides SQL types, validation and decoding. */
export type TypeCategory =
  | 'integer' | 'float' | 'decimal' | 'bool' | 'string' | 'enum'
  | 'date' | 'time' | 'datetime' | 'timestamp' | 'json' | 'uuid' | 'blob' | 'bytes'
  /** DataJoint's attach: a file name and its bytes, stored as `name\0bytes`. */
  | 'attach'
  /** A column rg-schema can open but not read or write (external stores, spatial types, custom codecs). */
  | 'unsupported'
  /** An expression computed in a query (proj, aggr): its type is whatever SQL returns. */
  | 'computed';

/** Which DataJoint generation writes a type this way: only 2.x (`int32`, `<blob>`), only 0.x (`attach`), or both. */
export type Spelling = 'dj0' | 'dj2' | 'any';

/** A declared attribute type, resolved for both dialects. */
export interface AttributeType {
  /** As written in the definition, normalised to lower case: `int unsigned`, `float32`, `<blob>`. */
  readonly declared: string;
  readonly category: TypeCategory;
  /** The MySQL column type, as DataJoint declares it. */
  readonly mysql: string;
  /** The SQLite column type; chosen for its affinity so values are stored unaltered. */
  readonly sqlite: string;
  /** DataJoint's `:type:` comment marker for this column, or undefined when it has none. */
  readonly marker: string | undefined;
  /**
   * The marker DataJoint 2 writes for a type both generations spell alike (`varchar(16)`, `date`,
   * `json`, `bool`, a blob as `<blob>`): written only in tables spelled the 2.x way.
   */
  readonly dj2Marker?: string;
  /** Which generation this spelling belongs to (undefined: both). */
  readonly spelling?: Spelling;
  readonly unsigned: boolean;
  readonly autoIncrement: boolean;
  /** Bytes a blob or binary column can hold. */
  readonly maxBytes?: number;
  /** For char/varchar: the length. For binary(n): the byte length. For enum: undefined. */
  readonly length?: number;
  /** binary(n): values are exactly `length` bytes (MySQL would pad shorter ones). */
  readonly fixedLength?: boolean;
  readonly enumValues?: readonly string[];
  /** For integers: the width in bytes. */
  readonly intBytes?: number;
  /** For category 'unsupported': what cannot be read, for error messages (`external store "raw"`). */
  readonly unsupported?: string;
  /** The external store a DataJoint type names (`blob@raw`, `<object@raw>`), if any. */
  readonly store?: string;
}

/**
 * Builds an AttributeType; every other module goes through this, so new fields get their defaults here.
 *
 * @example
 * ```ts
 * makeType('year', 'integer', 'year', 'INTEGER', { intBytes: 2 });
 * ```
 */
export function makeType(declared: string, category: TypeCategory, mysql: string, sqlite: string, extra: Partial<AttributeType> = {}): AttributeType {
  return { declared, category, mysql, sqlite, marker: undefined, unsigned: false, autoIncrement: false, ...extra };
}
