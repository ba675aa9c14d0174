import type { Connection } from '../connection/connection.js';
import type { DefaultValue } from '../definition/heading.js';
import { typeFromColumn } from '../definition/catalog-types.js';
import { makeType, resolveType, type AttributeType } from '../definition/types.js';
import { SQLITE_META_TABLE, type SqliteDeclaration } from './ddl.js';

/** A column as the database holds it. */
export interface CatalogAttribute {
  readonly name: string;
  /** The type as a definition would spell it (marker restored), e.g. `int unsigned`, `float32`. */
  readonly typeText: string;
  /** The column's SQL type as the catalog shows it (`int(11)`, `longtext`). */
  readonly sqlType: string;
  /** The type as DataJoint reads it; `unsupported` for what rg-schema cannot read. */
  readonly type: AttributeType;
  readonly inKey: boolean;
  readonly nullable: boolean;
  readonly default: DefaultValue | undefined;
  readonly comment: string;
}

/** A foreign key as the database's catalog describes it. */
export interface CatalogForeignKey {
  readonly attributes: readonly string[];
  readonly parentDatabase: string;
  readonly parentTable: string;
  readonly parentAttributes: readonly string[];
}

/** A table as the database's own catalog describes it. */
export interface CatalogTable {
  readonly database: string;
  readonly name: string;
  readonly comment: string;
  readonly attributes: readonly CatalogAttribute[];
  readonly foreignKeys: readonly CatalogForeignKey[];
  readonly indexes: ReadonlyArray<{ readonly unique: boolean; readonly attributes: readonly string[] }>;
}

/** Reads every table of a database (DataJoint's hidden `~` tables excluded), in name order. */
export async function readCatalog(connection: Connection, database: string, only?: string): Promise<CatalogTable[]> {
  return connection.dialect.name === 'mysql' ? readMysql(connection, database, only) : readSqlite(connection, database, only);
}

/** Names of the tables that exist in a database. */
export async function listTableNames(connection: Connection, database: string): Promise<string[]> {
  if (connection.dialect.name === 'mysql') {
    const rows = await connection.query<{ name: string }>(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database]);
    return rows.map((r) => r.name).sort();
  }
  const rows = await connection.query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ? ORDER BY name", [database.length + 1, `${database}.`]);
  return rows.map((r) => r.name.slice(database.length + 1)).sort();
}

function parseMysqlDefault(raw: string | null, nullable: boolean): DefaultValue | undefined {
  if (raw === null) return nullable ? { kind: 'null' } : undefined;
  if (raw === 'NULL') return { kind: 'null' };
  if (/^current_timestamp/i.test(raw)) return { kind: 'now' };
  const quoted = /^'(.*)'$/s.exec(raw);
  if (quoted) return { kind: 'string', text: (quoted[1] ?? '').replace(/''/g, "'").replace(/\\\\/g, '\\') };
  return /^[-+]?[\d.eE+-]+$/.test(raw) ? { kind: 'number', text: raw } : { kind: 'string', text: raw };
}

async function readMysql(connection: Connection, database: string, only?: string): Promise<CatalogTable[]> {
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
  return tables.filter((t) => !t.name.startsWith('~')).map((t) => {
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
async function readJsonChecks(connection: Connection, database: string, only?: string): Promise<Set<string>> {
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

async function readSqlite(connection: Connection, database: string, only?: string): Promise<CatalogTable[]> {
  const exists = await connection.query<{ n: number | bigint }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", [SQLITE_META_TABLE]);
  if (Number(exists[0]?.n ?? 0) === 0) return [];
  const filter = only === undefined ? '' : ' AND table_name = ?';
  const rows = await connection.query<{ table_name: string; declaration: string }>(
    `SELECT table_name, declaration FROM ${connection.dialect.quote(SQLITE_META_TABLE)} WHERE database_name = ?${filter} ORDER BY table_name`,
    only === undefined ? [database] : [database, only]);
  const present = new Set(await listTableNames(connection, database));
  return rows.filter((r) => present.has(r.table_name)).map((r) => {
    const d = JSON.parse(r.declaration) as SqliteDeclaration;
    return {
      database,
      name: r.table_name,
      comment: d.comment,
      attributes: d.attributes.map((a) => {
        const type = resolveType(a.type) ?? makeType(a.type, 'unsupported', a.type, 'BLOB', { unsupported: `the type ${a.type}` });
        return {
          name: a.name, typeText: a.type, sqlType: type.mysql, type, inKey: a.inKey, nullable: a.nullable,
          default: a.default ?? undefined, comment: a.comment,
        };
      }),
      foreignKeys: d.foreignKeys,
      indexes: d.indexes,
    };
  });
}
