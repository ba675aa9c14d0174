import type { Attribute, DefaultValue } from '../../definition/heading.js';

/**
 * The DEFAULT clause of a column, literals quoted by the dialect; `now` is the dialect's spelling
 * of the current time for the column.
 *
 * @example
 * ```ts
 * defaultClause({ kind: 'string', text: "it's" }, (t) => `'${t.replace(/'/g, "''")}'`); // " DEFAULT 'it''s'"
 * defaultClause({ kind: 'now' }, literal);                                                // ' DEFAULT CURRENT_TIMESTAMP'
 * ```
 */
export function defaultClause(value: DefaultValue | undefined, literal: (text: string) => string, now = 'CURRENT_TIMESTAMP'): string {
  if (value === undefined) return '';
  switch (value.kind) {
    case 'null': return ' DEFAULT NULL';
    case 'now': return ` DEFAULT ${now}`;
    case 'number': return ` DEFAULT ${value.text}`;
    case 'string': return ` DEFAULT ${literal(value.text)}`;
  }
}

/**
 * The column comment with DataJoint's type marker in front, as DataJoint writes it.
 *
 * @example
 * ```ts
 * columnComment(subjectId);  // ':int32:subject number'
 * ```
 */
export function columnComment(attribute: Attribute, marker: string | undefined = attribute.type.marker): string {
  return marker === undefined ? attribute.comment : `:${marker}:${attribute.comment}`;
}

/**
 * A standard SQL string literal: quotes doubled, nothing else escaped (SQLite, and PostgreSQL with
 * standard_conforming_strings on, its default since 9.1).
 *
 * @example
 * ```ts
 * standardString("it's");  // "'it''s'"
 * ```
 */
export function standardString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
