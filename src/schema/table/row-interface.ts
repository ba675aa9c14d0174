import type { Attribute } from '../definition/heading.js';
import { tableInfo } from '../declare/table-info.js';

/** The TypeScript type the library returns for an attribute, without `| null`. */
export function valueTypeText(attribute: Attribute): string {
  const { category, intBytes, enumValues } = attribute.type;
  switch (category) {
    case 'integer': return (intBytes ?? 4) >= 8 ? 'bigint' : 'number';
    case 'float': return 'number';
    case 'bool': return 'boolean';
    case 'enum': return enumValues && enumValues.length > 0 ? enumValues.map((v) => JSON.stringify(v)).join(' | ') : 'string';
    case 'decimal': case 'string': case 'date': case 'time': case 'datetime': case 'timestamp': case 'uuid': return 'string';
    case 'bytes': return 'Buffer';
    case 'attach': return 'Attachment';
    // Fetching one raises UnsupportedTypeError; the type says nothing more.
    case 'json': case 'blob': case 'computed': case 'unsupported': return 'unknown';
  }
}

/** Whether the database fills the attribute when an insert leaves it out (NULL aside). */
export function filledByDatabase(attribute: Attribute): boolean {
  return attribute.type.autoIncrement || (attribute.default !== undefined && attribute.default.kind !== 'null');
}

/** The declared type of one attribute in a row interface, with its marks. */
export function attributeTypeText(attribute: Attribute): string {
  let text = valueTypeText(attribute);
  if (attribute.nullable && text !== 'unknown') text = `${text} | null`;
  if (attribute.type.autoIncrement) text = `AutoIncrement<${text}>`;
  else if (filledByDatabase(attribute)) text = `Default<${text}>`;
  return attribute.inKey ? `Key<${text}>` : text;
}

/**
 * The row interface that matches a declared table's definition, as TypeScript source: key
 * attributes marked `Key<…>`, attributes the database fills marked `Default<…>` or
 * `AutoIncrement<…>`, nullable ones `| null`. Paste it, or let {@link checkRowTypes} compare it
 * with the interface a table class declares.
 *
 * @example
 * ```ts
 * rowInterface(Session);
 * // interface SessionRow {
 * //   subject_name: Key<string>;
 * //   session: Key<number>;
 * //   day: string;
 * //   good: Default<boolean>;
 * // }
 * ```
 */
export function rowInterface(cls: object, name = `${(cls as { name?: string }).name ?? 'Table'}Row`): string {
  const info = tableInfo(cls);
  info.schema.resolve();
  const lines = info.resolved!.heading.attributes.map((a) => `  ${a.name}: ${attributeTypeText(a)};`);
  return `interface ${name} {\n${lines.join('\n')}\n}`;
}
