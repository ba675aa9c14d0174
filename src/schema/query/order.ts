import { UnknownAttributeError } from '../../errors.js';
import type { Heading } from '../definition/heading.js';

type Direction = 'ASC' | 'DESC' | 'asc' | 'desc';

/**
 * An ordering term: an attribute, optionally followed by ASC or DESC, or `KEY` (the primary key).
 * Checked against the row type like restriction names.
 */
export type OrderSpec<Row> = (keyof Row & string) | `${keyof Row & string} ${Direction}` | 'KEY' | `KEY ${Direction}`;

/**
 * Checks ordering terms against a heading and spells out `KEY`, so that the SQL names attributes
 * only: `['KEY DESC', 'x']` on a key (a, b) gives `['a DESC', 'b DESC', 'x']`.
 */
export function expandOrder(heading: Heading, terms: readonly string[]): string[] {
  return terms.flatMap((term) => {
    const [name, direction, extra] = String(term).trim().split(/\s+/);
    const directionOk = direction === undefined || /^(asc|desc)$/i.test(direction);
    if (name === 'KEY' && directionOk && extra === undefined) {
      return heading.primaryKey.map((k) => (direction === undefined ? k : `${k} ${direction.toUpperCase()}`));
    }
    if (!name || !heading.has(name) || !directionOk || extra !== undefined) {
      throw new UnknownAttributeError(`Cannot order by "${term}": name an attribute (${heading.names.join(', ')}) or KEY, optionally followed by ASC or DESC.`);
    }
    return [direction === undefined ? name : `${name} ${direction.toUpperCase()}`];
  });
}

/** The attribute and whether it sorts descending, from an expanded term. */
export function parseOrder(term: string): { name: string; descending: boolean } {
  const [name = '', direction] = term.trim().split(/\s+/);
  return { name, descending: direction !== undefined && direction.toUpperCase() === 'DESC' };
}
