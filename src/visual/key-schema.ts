import type { Attribute, Heading } from '../schema/definition/heading.js';

/** A JSON Schema, as Fastify validates querystrings with it. */
export type JsonSchema = Record<string, unknown>;

/** The range of an integer column of `bytes` bytes. */
function integerRange(bytes: number, unsigned: boolean): { minimum: number; maximum: number } {
  if (bytes >= 8) return unsigned ? { minimum: 0, maximum: Number.MAX_SAFE_INTEGER } : { minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
  const bits = bytes * 8;
  return unsigned ? { minimum: 0, maximum: 2 ** bits - 1 } : { minimum: -(2 ** (bits - 1)), maximum: 2 ** (bits - 1) - 1 };
}

/**
 * The JSON Schema of one key attribute, from its declared type: integers within their column's
 * range, strings within their length, dates as real calendar dates. A value the schema passes is
 * one the column can hold, so it reaches SQL only as a bound value of the right type.
 *
 * @example
 * ```ts
 * attributeSchema(Stimulation.heading.get('stimulation_index'));
 * // { type: 'integer', minimum: 0, maximum: 65535, description: 'stimulation_index (smallint unsigned)' }
 * ```
 */
export function attributeSchema(attribute: Attribute): JsonSchema {
  const { type } = attribute;
  const description = `${attribute.name} (${type.declared})`;
  switch (type.category) {
    case 'integer':
      return { type: 'integer', ...integerRange(type.intBytes ?? 4, type.unsigned), description };
    case 'string':
      return { type: 'string', minLength: 1, maxLength: type.length ?? 255, description };
    case 'date':
      return { type: 'string', format: 'date', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description };
    default:
      throw new Error(`internal: the viewer takes no ${type.category} key (${description})`);
  }
}

/**
 * The querystring schema of a route: the named attributes of a table's heading (all required),
 * any extra parameters, and nothing else (an unknown parameter is a 400, not ignored).
 *
 * @example
 * ```ts
 * querySchema(Spike.heading, ['subject_name', 'sample_number', 'session_date']);
 * // { type: 'object', properties: { subject_name: { type: 'string', maxLength: 64, … }, … },
 * //   required: ['subject_name', 'sample_number', 'session_date'], additionalProperties: false }
 * ```
 */
export function querySchema(heading: Heading, names: readonly string[], extra: Record<string, JsonSchema> = {}, optional: readonly string[] = []): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const name of names) properties[name] = attributeSchema(heading.get(name));
  Object.assign(properties, extra);
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((n) => !optional.includes(n)),
    additionalProperties: false,
  };
}
