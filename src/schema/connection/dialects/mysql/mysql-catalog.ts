import { typeFromColumn } from '../../../definition/catalog-types.js';
import type { DefaultValue } from '../../../definition/heading.js';
import type { SqlRunner } from '../../dialect.js';
import type { CatalogAttribute, CatalogForeignKey, CatalogTable } from '../../table-declaration.js';

/**
 * Names of the tables of a database, from information_schema.
 *
 * @example
 * ```ts
 * await listMysqlTables(connection, 'lab');  // ['#probe', 'session', 'subject']
 * // SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME
 * ```
 */
export async function listMysqlTables(connection: SqlRunner, database: string): Promise<string[]> {
  const rows = await connection.query<{ name: string }>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database]);
  return rows.map((r) => r.name).sort();
}

/** Whether the database exists. */
export async function mysqlDatabaseExists(connection: SqlRunner, database: string): Promise<boolean> {
  const rows = await connection.query<{ n: string }>('SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  return rows.length > 0;
}

function parseMysqlDefault(raw: string | null, nullable: boolean): DefaultValue | undefined {
  if (raw === null) return nullable ? { kind: 'null' } : undefined;
  if (raw === 'NULL') return { kind: 'null' };
  if (/^current_timestamp/i.test(raw)) return { kind: 'now' };
  const quoted = /^'(.*)'$/s.exec(raw);
  if (quoted) return { kind: 'string', text: (quoted[1] ?? '').replace(/''/g, "'").replace(/\\\\/g, '\\') };
  return /^[-+]?[\d.eE+-]+$/.test(raw) ? { kind: 'number', text: raw } : { kind: 'string', text: raw };
}

/**
 * A database's tables from information_schema: columns with their `:type:` markers read back,
 * keys, foreign keys, and the indexes a definition declared (not those MySQL adds for foreign keys).
 */
export async function readMysqlCatalog(connection: SqlRunner, database: string, only?: string): Promise<CatalogTable[]> {
  const filter = only === undefined ? '' : ' AND TABLE_NAME = ?';
  const params = only === undefined ? [database] : [database, only];
  const tables = await connection.query<{ name: string; comment: string }>(
    `SELECT TABLE_NAME AS name, TABLE_COMMENT AS comment FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?${filter} ORDER BY TABLE_NAME`, params);
  const columns = await connection.query<{ tbl: string; name: string; type: string; nullable: string; dflt: string | null; comment: string; keyed: string; extra: string }>(
    `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt,
            COLUMN_COMMENT AS comment, COLUMN_KEY AS keyed, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?${filter} ORDER BY TABLE_NAME, ORDINAL_POSITION`, params);
  const keys = await connection.query<{ tbl: string; constraintName: string; name: string; refDb: string | null; refTable: string | null; refName: string | null }>(
    `SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS constraintName, COLUMN_NAME AS name, REFERENCED_TABLE_SCHEMA AS refDb,
            REFERENCED_TABLE_NAME AS refTable, REFERENCED_COLUMN_NAME AS refName
       FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ?${filter} ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, params);
  const jsonChecks = await readJsonChecks(connection, database, only);
  const stats = await connection.query<{ tbl: string; indexName: string; nonUnique: number | string; name: string }>(
    `SELECT TABLE_NAME AS tbl, INDEX_NAME AS indexName, NON_UNIQUE AS nonUnique, COLUMN_NAME AS name
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?${filter} AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, params);
  return tables.filter((t) => t.name === only || !t.name.startsWith('~')).map((t) => {
    const primary = new Set(keys.filter((k) => k.tbl === t.name && k.constraintName === 'PRIMARY').map((k) => k.name));
    const attributes = columns.filter((c) => c.tbl === t.name).map((c): CatalogAttribute => {
      const nullable = c.nullable === 'YES';
      const { type, typeText, comment } = typeFromColumn(c.type, c.comment, { jsonCheck: jsonChecks.has(`${t.name}.${c.name}`) });
      const autoIncrement = /auto_increment/i.test(c.extra);
      return {
        name: c.name, type: autoIncrement ? { ...type, autoIncrement } : type, inKey: primary.has(c.name), nullable,
        typeText: typeText + (autoIncrement ? ' auto_increment' : ''), sqlType: c.type,
        default: parseMysqlDefault(c.dflt, nullable), comment,
      };
    });
    const groups = new Map<string, CatalogForeignKey & { attributes: string[]; parentAttributes: string[] }>();
    for (const k of keys.filter((k) => k.tbl === t.name && k.refTable !== null)) {
      const group = groups.get(k.constraintName) ?? { attributes: [], parentAttributes: [], parentDatabase: k.refDb ?? database, parentTable: k.refTable ?? '' };
      group.attributes.push(k.name);
      group.parentAttributes.push(k.refName ?? k.name);
      groups.set(k.constraintName, group);
    }
    const foreignKeys = [...groups.values()];
    const indexGroups = new Map<string, { unique: boolean; attributes: string[] }>();
    for (const s of stats.filter((s) => s.tbl === t.name)) {
      const group = indexGroups.get(s.indexName) ?? { unique: Number(s.nonUnique) === 0, attributes: [] };
      group.attributes.push(s.name);
      indexGroups.set(s.indexName, group);
    }
    // MySQL adds an index for every foreign key; those are not part of the definition.
    const indexes = [...indexGroups.values()].filter((i) =>
      i.unique || !foreignKeys.some((fk) => fk.attributes.join(',') === i.attributes.join(',')));
    return { database, name: t.name, comment: t.comment, attributes, foreignKeys, indexes };
  });
}

/**
 * `table.column` of MariaDB's json columns: MariaDB stores `json` as a longtext with a
 * `json_valid(column)` check. MySQL has a real json type (and no TABLE_NAME in this view).
 */
async function readJsonChecks(connection: SqlRunner, database: string, only?: string): Promise<Set<string>> {
  try {
    const rows = await connection.query<{ tbl: string; clause: string }>(
      `SELECT TABLE_NAME AS tbl, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?${only === undefined ? '' : ' AND TABLE_NAME = ?'}`,
      only === undefined ? [database] : [database, only]);
    const found = new Set<string>();
    for (const row of rows) {
      const column = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(row.clause.trim())?.[1];
      if (column !== undefined) found.add(`${row.tbl}.${column.replace(/``/g, '`')}`);
    }
    return found;
  } catch {
    return new Set();
  }
}
