import { makeType, resolveType } from '../../../definition/types.js';
import type { SqlRunner } from '../../dialect.js';
import type { CatalogTable } from '../../table-declaration.js';
import { SQLITE_META_TABLE, sqliteTableRef, type SqliteDeclaration } from './sqlite-ddl.js';

async function hasMetaTable(runner: SqlRunner): Promise<boolean> {
  const rows = await runner.query<{ n: number | bigint }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", [SQLITE_META_TABLE]);
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * The tables of one schema in the shared file: those named `database.table`.
 *
 * @example
 * ```ts
 * await listSqliteTables(connection, 'lab');  // ['#probe', 'subject']
 * // SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ? ORDER BY name
 * ```
 */
export async function listSqliteTables(runner: SqlRunner, database: string): Promise<string[]> {
  const rows = await runner.query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ? ORDER BY name", [database.length + 1, `${database}.`]);
  return rows.map((r) => r.name.slice(database.length + 1)).sort();
}

/** A schema exists once it has a table. */
export async function sqliteDatabaseExists(runner: SqlRunner, database: string): Promise<boolean> {
  return (await listSqliteTables(runner, database)).length > 0;
}

/** Drops whatever tables of the schema remain, and their declarations. */
export async function dropSqliteDatabase(runner: SqlRunner, database: string): Promise<void> {
  for (const name of await listSqliteTables(runner, database)) await runner.run(`DROP TABLE IF EXISTS ${sqliteTableRef(database, name)}`);
  if (await hasMetaTable(runner)) await runner.run(`DELETE FROM "${SQLITE_META_TABLE}" WHERE database_name = ?`, [database]);
}

/** SQLite keeps no comments or declared types: the catalog is what {@link SQLITE_META_TABLE} recorded. */
export async function readSqliteCatalog(runner: SqlRunner, database: string, only?: string): Promise<CatalogTable[]> {
  if (!(await hasMetaTable(runner))) return [];
  const filter = only === undefined ? '' : ' AND table_name = ?';
  const rows = await runner.query<{ table_name: string; declaration: string }>(
    `SELECT table_name, declaration FROM "${SQLITE_META_TABLE}" WHERE database_name = ?${filter} ORDER BY table_name`,
    only === undefined ? [database] : [database, only]);
  const present = new Set(await listSqliteTables(runner, database));
  return rows.filter((r) => present.has(r.table_name) && (r.table_name === only || !r.table_name.startsWith('~'))).map((r) => {
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
