import { canonicalSql, typeKind } from '../definition/catalog-types.js';
import type { CatalogTable } from './catalog.js';
import type { TableInfo } from './table-info.js';

/** DataJoint hides attributes whose names start with an underscore (its job metadata); so does the check. */
const isHidden = (name: string): boolean => name.startsWith('_');

/**
 * The differences between a table's declaration and the table the database holds, as sentences;
 * empty when they agree on attribute names, storage, meaning, nullability and primary key.
 *
 * A type agrees when its SQL storage is the same and it means the same thing: `int32` matches an
 * `int` column with or without DataJoint 2's `:int32:` marker, but `<blob>`, `bytes`, `json`,
 * `uuid`, `attach` and `bool` must find a column that DataJoint reads the same way. Attributes
 * inherited through a foreign key are compared by storage only, because DataJoint (0.14 and 2.x)
 * writes no marker on them.
 */
export function compareWithCatalog(info: TableInfo, found: CatalogTable): string[] {
  const resolved = info.resolved;
  if (!resolved) return [];
  const { heading } = resolved;
  const inherited = new Set(resolved.foreignKeys.flatMap((fk) => fk.attributes));
  const problems: string[] = [];
  const where = `${info.className} (${found.name})`;
  const declared = heading.names;
  const actual = found.attributes.map((a) => a.name).filter((n) => !isHidden(n));
  const missing = declared.filter((n) => !actual.includes(n));
  const extra = actual.filter((n) => !declared.includes(n));
  if (missing.length > 0) problems.push(`${where}: the database lacks ${missing.join(', ')}.`);
  if (extra.length > 0) problems.push(`${where}: the database has ${extra.join(', ')}, which the definition does not declare.`);
  for (const attribute of heading.attributes) {
    const column = found.attributes.find((a) => a.name === attribute.name);
    if (!column) continue;
    const want = attribute.type;
    const sameStorage = want.category === 'unsupported' || canonicalSql(want.mysql) === canonicalSql(column.sqlType);
    const sameMeaning = inherited.has(attribute.name) || typeKind(want).toLowerCase() === typeKind(column.type).toLowerCase();
    if (!sameStorage || !sameMeaning) {
      problems.push(`${where}: ${attribute.name} is ${column.typeText} in the database but ${want.marker ?? want.declared} in the definition.`);
    }
    if (attribute.inKey !== column.inKey) {
      problems.push(`${where}: ${attribute.name} is ${column.inKey ? '' : 'not '}in the primary key in the database.`);
    }
    if (attribute.nullable !== column.nullable) {
      problems.push(`${where}: ${attribute.name} is ${column.nullable ? 'nullable' : 'not nullable'} in the database.`);
    }
  }
  return problems;
}
