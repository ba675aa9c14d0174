import type { CatalogTable } from './catalog.js';
import type { Schema } from './schema.js';
import { camelCase } from './tiers.js';

function defaultText(d: CatalogTable['attributes'][number]['default']): string {
  if (d === undefined) return '';
  switch (d.kind) {
    case 'null': return 'null';
    case 'now': return 'CURRENT_TIMESTAMP';
    case 'number': return d.text;
    case 'string': return JSON.stringify(d.text);
  }
}

/**
 * Writes a catalog table back as a DataJoint definition, as DataJoint's `describe()` does:
 * foreign keys as `-> Parent` lines, type markers restored, indexes last.
 */
export function describeTable(table: CatalogTable, schema: Schema): string {
  const lines: string[] = [];
  if (table.comment) lines.push(`# ${table.comment}`);
  const covered = new Set<string>();
  let inKey = true;
  const parentName = (fk: CatalogTable['foreignKeys'][number]): string => {
    const known = schema.dependencies().nodes.find((t) => t.schema.database === fk.parentDatabase && t.tableName === fk.parentTable);
    const name = known ? known.className : camelCase(fk.parentTable.split('__').pop() ?? fk.parentTable);
    return fk.parentDatabase === table.database ? name : `${known?.schema.name ?? fk.parentDatabase}.${name}`;
  };
  for (const attribute of table.attributes) {
    if (inKey && !attribute.inKey) {
      lines.push('---');
      inKey = false;
    }
    if (covered.has(attribute.name)) continue;
    const fk = table.foreignKeys.find((f) => f.attributes.includes(attribute.name));
    if (fk) {
      fk.attributes.forEach((a) => covered.add(a));
      const renames = fk.attributes.map((a, i) => [a, fk.parentAttributes[i]] as const).filter(([a, p]) => a !== p);
      const proj = renames.length > 0 ? `.proj(${renames.map(([a, p]) => `${a}="${p}"`).join(', ')})` : '';
      const options = attribute.nullable ? '[nullable] ' : '';
      lines.push(`-> ${options}${parentName(fk)}${proj}`);
      continue;
    }
    const dflt = defaultText(attribute.default);
    const head = dflt === '' ? attribute.name : `${attribute.name} = ${dflt}`;
    lines.push(`${head} : ${attribute.typeText}${attribute.comment ? `  # ${attribute.comment}` : ''}`);
  }
  for (const index of table.indexes) lines.push(`${index.unique ? 'unique ' : ''}index(${index.attributes.join(', ')})`);
  return `${lines.join('\n')}\n`;
}
