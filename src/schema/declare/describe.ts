import type { CatalogTable } from './catalog.js';
import { definitionFromCatalog } from './reconstruct.js';
import type { Schema } from './schema.js';
import { camelCase } from './tiers.js';

/**
 * Writes a catalog table back as a DataJoint definition, as DataJoint's `describe()` does:
 * foreign keys as `-> Parent` lines naming the declared classes, type markers restored, indexes last.
 */
export function describeTable(table: CatalogTable, schema: Schema): string {
  const nodes = schema.dependencies().nodes;
  return definitionFromCatalog(table, (fk) => {
    const known = nodes.find((t) => t.schema.database === fk.parentDatabase && t.tableName === fk.parentTable);
    const name = known ? known.className : camelCase(fk.parentTable.split('__').pop() ?? fk.parentTable);
    return fk.parentDatabase === table.database ? name : `${known?.schema.name ?? fk.parentDatabase}.${name}`;
  });
}
