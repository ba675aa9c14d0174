import { makeType, type AttributeType } from './attribute-type.js';
import { codecType, datajointNamedType } from './datajoint-types.js';
import { nativeType } from './native-types.js';

export { makeType } from './attribute-type.js';
export type { AttributeType, Spelling, TypeCategory } from './attribute-type.js';

/**
 * Resolves a type as written in a definition, or returns undefined when it is unknown. 0.x
 * spellings (`int`, `float`, `longblob`, `attach`) give plain columns; DataJoint 2 core types
 * (`int32`, `float64`, `<blob>`, `bytes`, `<attach>`) and `uuid` get the `:type:` marker DataJoint
 * writes in the comment. MySQL's other native types (`longtext`, `year`, `binary(n)`, `set(...)`,
 * `bit(n)`, …) are accepted as they are. Types rg-schema can open but not read (external stores,
 * spatial types, unknown codecs) resolve to category `unsupported`.
 *
 * @example
 * ```ts
 * resolveType('int32');  // { mysql: 'int', marker: 'int32', ... }
 * resolveType('smallint unsigned auto_increment'); // { mysql: 'smallint unsigned', autoIncrement: true }
 * resolveType('varchar(16)'); // { mysql: 'varchar(16)', marker: undefined, dj2Marker: 'varchar(16)' }
 * resolveType('<blob@raw>');  // { category: 'unsupported', store: 'raw' }
 * ```
 */
export function resolveType(written: string): AttributeType | undefined {
  const text = written.trim();
  const declared = text.replace(/\s+/g, ' ');
  const lower = declared.toLowerCase();
  if (lower.startsWith('<')) return codecType(text, lower);
  return datajointNamedType(text, lower) ?? nativeType(text, declared, lower);
}

/** The type of an attribute computed by an SQL expression. */
export const COMPUTED_TYPE: AttributeType = makeType('computed', 'computed', '', '');

/**
 * The type as a table of the given spelling declares it. In a 2.x-spelled table the types both
 * generations share get DataJoint 2's marker, and `bool` is a plain `tinyint` (DataJoint 2's
 * `:bool:`) instead of 0.x's `tinyint(1)`.
 *
 * @example
 * ```ts
 * inSpelling(resolveType('varchar(16)')!, 'dj2').marker; // 'varchar(16)'
 * inSpelling(resolveType('bool')!, 'dj2').mysql;         // 'tinyint'
 * ```
 */
export function inSpelling(type: AttributeType, spelling: 'dj0' | 'dj2'): AttributeType {
  if (spelling === 'dj0' || type.marker !== undefined || type.dj2Marker === undefined) return type;
  return { ...type, marker: type.dj2Marker, mysql: type.category === 'bool' ? 'tinyint' : type.mysql };
}

/**
 * The type of an attribute a child inherits through a foreign key. DataJoint (0.14 and 2.x) copies
 * the parent's SQL type and comment but no `:type:` marker except `:uuid:`, so the child's column
 * is a plain `int` where the parent's says `:int32:`.
 *
 * @example
 * ```ts
 * inheritedType(resolveType('int32')!).marker; // undefined
 * inheritedType(resolveType('uuid')!).marker;  // 'uuid'
 * ```
 */
export function inheritedType(type: AttributeType): AttributeType {
  return { ...type, autoIncrement: false, marker: type.category === 'uuid' ? type.marker : undefined, dj2Marker: undefined };
}
