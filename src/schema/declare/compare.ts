import { normaliseCatalogType } from '../definition/types.js';
import type { CatalogTable } from './catalog.js';
import type { TableInfo } from './table-info.js';

/** Canonical spelling of a type for comparison: what MySQL would store for it. */
function canonical(typeText: string): string {
  return normaliseCatalogType(typeText).replace(/\s+auto_increment$/, '').replace(/\s+/g, ' ');
}

/**
 * The differences between a table's declaration and the table the database holds, as sentences;
 * empty when they agree on attribute names, order, types, nullability and primary key.
 */
export function compareWithCatalog(info: TableInfo, found: CatalogTable): string[] {
  const heading = info.resolved?.heading;
  if (!heading) return [];
  const problems: string[] = [];
  const where = `${info.className} (${found.name})`;
  const declared = heading.names;
  const actual = found.attributes.map((a) => a.name);
  const missing = declared.filter((n) => !actual.includes(n));
  const extra = actual.filter((n) => !declared.includes(n));
  if (missing.length > 0) problems.push(`${where}: the database lacks ${missing.join(', ')}.`);
  if (extra.length > 0) problems.push(`${where}: the database has ${extra.join(', ')}, which the definition does not declare.`);
  for (const attribute of heading.attributes) {
    const column = found.attributes.find((a) => a.name === attribute.name);
    if (!column) continue;
    const want = attribute.type.marker ?? attribute.type.mysql;
    const have = column.type ? (column.type.marker ?? column.type.mysql) : column.typeText;
    if (canonical(want) !== canonical(have)) {
      problems.push(`${where}: ${attribute.name} is ${have} in the database but ${want} in the definition.`);
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
