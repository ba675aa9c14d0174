import { DefinitionError } from '../../errors.js';
import { Heading, type Attribute } from '../definition/heading.js';
import type { AttributeLine, ForeignKeyLine } from '../definition/parser.js';
import { inheritedType, inSpelling, resolveType } from '../definition/types.js';
import { validateDefault } from './defaults.js';
import type { IndexDefinition, ResolvedForeignKey, ResolvedTable, TableInfo } from './table-info.js';

/** Finds the table a `-> Name` line refers to. */
export type ParentLookup = (ref: string, from: TableInfo) => TableInfo | undefined;

/**
 * Turns a parsed definition into a heading, foreign keys and indexes. Parents are resolved first,
 * recursively; a table met again while it is being resolved closes a foreign-key cycle.
 */
export function resolveTable(info: TableInfo, lookup: ParentLookup, path: TableInfo[] = []): ResolvedTable {
  if (info.resolved) return info.resolved;
  if (info.resolving) {
    const cycle = [...path.slice(path.indexOf(info)), info].map((t) => t.className).join(' -> ');
    throw new DefinitionError({ table: info.className }, `Foreign keys form a cycle: ${cycle}.`, 'a table cannot depend on itself through its parents; make one of these references point elsewhere.');
  }
  info.resolving = true;
  try {
    info.resolved = build(info, lookup, [...path, info]);
    return info.resolved;
  } finally {
    info.resolving = false;
  }
}

/**
 * Whether the table is spelled the 0.x or the 2.x way: by its own attribute types when one of them
 * belongs to one generation only (`int32`, `<blob>` → 2.x; `attach` → 0.x), then its master's, then
 * the schema's default.
 */
export function tableSpelling(info: TableInfo): 'dj0' | 'dj2' {
  for (const t of info.master ? [info, info.master] : [info]) {
    const spellings = t.parsed.lines.flatMap((l) => (l.kind === 'attribute' ? [resolveType(l.type)?.spelling] : []));
    if (spellings.includes('dj2')) return 'dj2';
    if (spellings.includes('dj0')) return 'dj0';
  }
  return info.schema.defaultSpelling();
}

function build(info: TableInfo, lookup: ParentLookup, path: TableInfo[]): ResolvedTable {
  const spelling = tableSpelling(info);
  const attributes: Attribute[] = [];
  const byName = new Map<string, Attribute>();
  const foreignKeys: ResolvedForeignKey[] = [];
  const indexes: IndexDefinition[] = [];
  const add = (attribute: Attribute): void => {
    attributes.push(attribute);
    byName.set(attribute.name, attribute);
  };
  for (const line of info.parsed.lines) {
    if (line.kind === 'attribute') {
      if (byName.has(line.name)) {
        throw new DefinitionError({ table: info.className, line: line.line, text: line.text }, `Attribute "${line.name}" is declared twice (or also comes from a foreign key).`, 'give each attribute one line; rename one of them.');
      }
      add(attributeFrom(info, line, spelling));
    } else if (line.kind === 'foreignKey') {
      const fk = foreignKeyFrom(info, line, lookup, path, byName);
      for (const attribute of fk.added) add(attribute);
      foreignKeys.push(fk.resolved);
      if (line.unique) indexes.push({ unique: true, attributes: fk.resolved.attributes });
    } else {
      for (const name of line.attributes) {
        if (!byName.has(name)) {
          throw new DefinitionError({ table: info.className, line: line.line, text: line.text }, `The index names "${name}", which is not an attribute of this table.`, 'index only attributes declared above the index line.');
        }
      }
      indexes.push({ unique: line.unique, attributes: line.attributes });
    }
  }
  const ordered = [...attributes.filter((a) => a.inKey), ...attributes.filter((a) => !a.inKey)];
  if (!ordered.some((a) => a.inKey)) {
    throw new DefinitionError({ table: info.className }, 'The table has no primary key.', 'declare at least one attribute (or -> Parent) above the `---` line.');
  }
  return { heading: new Heading(ordered), foreignKeys, indexes, comment: info.parsed.comment, spelling };
}

function attributeFrom(info: TableInfo, line: AttributeLine, spelling: 'dj0' | 'dj2'): Attribute {
  const where = { table: info.className, line: line.line, text: line.text };
  const written = resolveType(line.type);
  if (!written) {
    throw new DefinitionError(where, `Unknown type "${line.type}".`, 'use a DataJoint type: int, smallint unsigned, int32, float, double, float64, decimal(8,3), bool, char(n), varchar(n), enum(...), date, time, datetime, timestamp, uuid, json, bytes, longblob, <blob>, attach or <attach>, or a MySQL type such as longtext.');
  }
  const type = inSpelling(written, spelling);
  const nullable = line.default !== undefined && line.default.toUpperCase() === 'NULL';
  if (line.inKey && nullable) {
    throw new DefinitionError(where, 'A primary-key attribute cannot be NULL.', 'remove "= NULL", or move the attribute below `---`.');
  }
  const large = type.category === 'blob' || (type.category === 'bytes' && type.length === undefined) || type.category === 'json' || type.category === 'attach';
  if (line.inKey && (large || type.category === 'unsupported')) {
    throw new DefinitionError(where, `A ${type.declared} attribute cannot be part of the primary key.`, 'move it below `---`; key on a small identifier instead.');
  }
  if (type.autoIncrement && !line.inKey) {
    throw new DefinitionError(where, 'auto_increment is only allowed in the primary key.', 'move the attribute above `---`, or drop auto_increment.');
  }
  const defaultLiteral = line.default === undefined ? undefined : validateDefault(where, type, line.default);
  return { name: line.name, type, inKey: line.inKey, nullable, default: defaultLiteral, comment: line.comment };
}

function foreignKeyFrom(
  info: TableInfo,
  line: ForeignKeyLine,
  lookup: ParentLookup,
  path: TableInfo[],
  existing: ReadonlyMap<string, Attribute>,
): { resolved: ResolvedForeignKey; added: Attribute[] } {
  const where = { table: info.className, line: line.line, text: line.text };
  if (line.ref === 'master' && info.tier !== 'part') {
    throw new DefinitionError(where, '"-> master" is only meaningful inside a Part table.', 'name the parent table instead.');
  }
  const parent = lookup(line.ref, info);
  if (!parent) {
    throw new DefinitionError(where, `Unknown parent "${line.ref}".`, `declare ${line.ref} in this schema first, or pass it in the schema's context: new Schema(name, { context: { ${line.ref.split('.')[0]} } }).`);
  }
  const parentTable = resolveTable(parent, lookup, path);
  const parentKey = parentTable.heading.primaryKey;
  const renamedFrom = new Map<string, string>();
  for (const [newName, oldName] of Object.entries(line.renames)) {
    if (!parentKey.includes(oldName)) {
      throw new DefinitionError(where, `"${oldName}" is not in the primary key of ${parent.className} (${parentKey.join(', ')}).`, 'rename only primary-key attributes of the parent.');
    }
    renamedFrom.set(oldName, newName);
  }
  const added: Attribute[] = [];
  const attributes = parentKey.map((parentName) => {
    const name = renamedFrom.get(parentName) ?? parentName;
    if (!existing.has(name) && !added.some((a) => a.name === name)) {
      const source = parentTable.heading.get(parentName);
      added.push({
        name,
        type: inheritedType(source.type),
        inKey: line.inKey,
        nullable: line.nullable,
        default: line.nullable ? { kind: 'null' } : undefined,
        comment: source.comment,
      });
    }
    return name;
  });
  return {
    added,
    resolved: {
      parent,
      attributes,
      parentAttributes: parentKey,
      inKey: line.inKey,
      nullable: line.nullable,
      unique: line.unique,
      renamed: renamedFrom.size > 0,
      line: line.line,
    },
  };
}
