import type { DefaultValue } from '../../../definition/heading.js';
import { makeType, resolveType } from '../../../definition/types.js';
import type { SqlRunner } from '../../dialect.js';
import type { CatalogAttribute, CatalogForeignKey, CatalogTable } from '../../table-declaration.js';
import { postgresQuote } from './postgres-ddl.js';
import { definitionTypeOf } from './postgres-types.js';

interface ColumnRow {
  db: string; tbl: string; name: string; type: string; notnull: boolean; dflt: string | null;
  comment: string | null; identity: string; enum_values: string[] | null;
}
interface ConstraintRow { db: string; tbl: string; kind: 'p' | 'f'; name: string; columns: string[]; ref_db: string | null; ref_table: string | null; ref_columns: string[] | null }
interface IndexRow { tbl: string; name: string; unique: boolean; columns: string[] }

const TABLES = "c.relkind IN ('r', 'p')";

/**
 * Names of the tables of a schema, from pg_class.
 *
 * @example
 * ```ts
 * await listPostgresTables(connection, 'lab');  // ['#probe', 'session', 'subject', '~lineage']
 * ```
 */
export async function listPostgresTables(runner: SqlRunner, database: string): Promise<string[]> {
  const rows = await runner.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND ${TABLES} ORDER BY c.relname`, [database]);
  return rows.map((r) => r.name).sort();
}

/** Whether the schema exists. */
export async function postgresDatabaseExists(runner: SqlRunner, database: string): Promise<boolean> {
  return (await runner.query('SELECT 1 AS x FROM pg_namespace WHERE nspname = ?', [database])).length > 0;
}

/** Drops the schema with what is left in it (its enum types). */
export async function dropPostgresDatabase(runner: SqlRunner, database: string): Promise<void> {
  await runner.run(`DROP SCHEMA IF EXISTS ${postgresQuote(database)} CASCADE`);
}

async function readColumns(runner: SqlRunner, schemas: readonly string[]): Promise<ColumnRow[]> {
  return runner.query<ColumnRow>(
    `SELECT n.nspname AS db, c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS dflt, col_description(c.oid, a.attnum) AS comment, a.attidentity::text AS identity,
            (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid) AS enum_values
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = ANY(?::text[]) AND a.attnum > 0 AND NOT a.attisdropped AND ${TABLES}
      ORDER BY n.nspname, c.relname, a.attnum`, [schemas]);
}

async function readConstraints(runner: SqlRunner, schemas: readonly string[]): Promise<ConstraintRow[]> {
  const names = (keys: string, rel: string): string =>
    `ARRAY(SELECT a.attname::text FROM unnest(${keys}) WITH ORDINALITY k(num, ord) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.num ORDER BY k.ord)`;
  return runner.query<ConstraintRow>(
    `SELECT n.nspname AS db, c.relname AS tbl, con.contype::text AS kind, con.conname AS name, ${names('con.conkey', 'con.conrelid')} AS columns,
            fn.nspname AS ref_db, fc.relname AS ref_table, ${names('con.confkey', 'con.confrelid')} AS ref_columns
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
      WHERE n.nspname = ANY(?::text[]) AND con.contype IN ('p', 'f')
      ORDER BY n.nspname, c.relname, con.conname`, [schemas]);
}

/**
 * A default as pg_get_expr prints it (`'U'::lab.enum_e54fc739`, `'0'::bigint`, `(-1)`,
 * `CURRENT_TIMESTAMP(3)`, `NULL::numeric`, `false`) read back as a definition's default.
 */
function parseDefault(raw: string | null, nullable: boolean, numeric: boolean): DefaultValue | undefined {
  if (raw === null) return nullable ? { kind: 'null' } : undefined;
  if (/^NULL(::.*)?$/i.test(raw)) return { kind: 'null' };
  if (/^(CURRENT_TIMESTAMP|LOCALTIMESTAMP|now\(\))/i.test(raw)) return { kind: 'now' };
  if (raw === 'true' || raw === 'false') return { kind: 'number', text: raw === 'true' ? '1' : '0' };
  const quoted = /^'((?:[^']|'')*)'(?:::.+)?$/s.exec(raw);
  const unquoted = /^\(?([-+]?[\d.]+(?:e[-+]?\d+)?)\)?(?:::.+)?$/i.exec(raw);
  if (quoted) {
    const text = (quoted[1] ?? '').replace(/''/g, "'");
    return numeric && /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(text) ? { kind: 'number', text } : { kind: 'string', text };
  }
  if (unquoted) return { kind: 'number', text: unquoted[1]! };
  return { kind: 'string', text: raw };
}

/**
 * A schema's tables from pg_catalog, read as DataJoint 2 reads them: a `:type:` marker in the
 * column comment gives the type, else the PostgreSQL type does (DataJoint's reverse mapping). A
 * column inherited through a foreign key carries no comment (DataJoint writes none), so its type
 * is the referenced column's, followed across schemas to the table that declared it. Foreign keys
 * pair their columns by position (`unnest … WITH ORDINALITY`), so a renamed one keeps its names.
 *
 * @example
 * ```ts
 * const [session] = await readPostgresCatalog(connection, 'dj23_fixture', 'session');
 * session.attributes.map((a) => a.typeText);  // ['int32', 'int16', 'datetime', 'varchar(16)', 'varchar(16)', 'varchar(255)']
 * ```
 */
export async function readPostgresCatalog(runner: SqlRunner, database: string, only?: string): Promise<CatalogTable[]> {
  const columns: ColumnRow[] = [];
  const constraints: ConstraintRow[] = [];
  const loaded = new Set<string>();
  let wanted = [database];
  // Parents in other schemas are read too, as far as the foreign keys lead.
  while (wanted.length > 0) {
    wanted.forEach((s) => loaded.add(s));
    const [c, k] = await Promise.all([readColumns(runner, wanted), readConstraints(runner, wanted)]);
    columns.push(...c);
    constraints.push(...k);
    wanted = [...new Set(k.flatMap((r) => (r.ref_db !== null && !loaded.has(r.ref_db) ? [r.ref_db] : [])))];
  }
  const key = (db: string, tbl: string, name: string): string => JSON.stringify([db, tbl, name]);
  const byColumn = new Map(columns.map((c) => [key(c.db, c.tbl, c.name), c]));
  const parentOf = new Map<string, [string, string, string]>();
  for (const fk of constraints.filter((k) => k.kind === 'f')) {
    fk.columns.forEach((name, i) => parentOf.set(key(fk.db, fk.tbl, name), [fk.ref_db ?? fk.db, fk.ref_table ?? '', fk.ref_columns?.[i] ?? name]));
  }
  /** The marker (or PostgreSQL type) that gives the column's type, through foreign keys when it has no comment. */
  const typeSource = (column: ColumnRow, depth = 0): string => {
    const marker = /^:([^:]+):/s.exec(column.comment ?? '')?.[1];
    if (marker !== undefined) return marker;
    const parent = parentOf.get(key(column.db, column.tbl, column.name));
    const parentColumn = parent && depth < 32 ? byColumn.get(key(...parent)) : undefined;
    if (parentColumn) return typeSource(parentColumn, depth + 1);
    return definitionTypeOf(column.type, column.enum_values ?? undefined);
  };
  const tables = await runner.query<{ name: string; comment: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ? AND ${TABLES}${only === undefined ? '' : ' AND c.relname = ?'} ORDER BY c.relname`,
    only === undefined ? [database] : [database, only]);
  const indexes = await runner.query<IndexRow>(
    `SELECT c.relname AS tbl, i.relname AS name, x.indisunique AS "unique",
            ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(num, ord) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num ORDER BY k.ord) AS columns
       FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ? AND NOT x.indisprimary ORDER BY c.relname, i.relname`, [database]);
  return tables.filter((t) => t.name === only || !t.name.startsWith('~')).map((t): CatalogTable => {
    const own = constraints.filter((k) => k.db === database && k.tbl === t.name);
    const primary = new Set(own.find((k) => k.kind === 'p')?.columns ?? []);
    const attributes = columns.filter((c) => c.db === database && c.tbl === t.name).map((c): CatalogAttribute => {
      const typeText = typeSource(c);
      const type = resolveType(typeText) ?? makeType(typeText, 'unsupported', c.type, 'BLOB', { unsupported: `the PostgreSQL type ${c.type}` });
      const nullable = !c.notnull;
      const numeric = type.category === 'integer' || type.category === 'float' || type.category === 'decimal' || type.category === 'bool';
      const comment = (c.comment ?? '').replace(/^:[^:]+:/s, '');
      return {
        name: c.name, type: c.identity !== '' ? { ...type, autoIncrement: true } : type, inKey: primary.has(c.name), nullable,
        typeText: c.identity !== '' ? `${typeText} auto_increment` : typeText, sqlType: type.mysql,
        default: parseDefault(c.dflt, nullable, numeric), comment,
      };
    });
    const foreignKeys: CatalogForeignKey[] = own.filter((k) => k.kind === 'f').map((k) => ({
      attributes: k.columns, parentDatabase: k.ref_db ?? database, parentTable: k.ref_table ?? '', parentAttributes: k.ref_columns ?? k.columns,
    }));
    return {
      database, name: t.name, comment: t.comment ?? '', attributes, foreignKeys,
      indexes: indexes.filter((i) => i.tbl === t.name).map((i) => ({ unique: i.unique, attributes: i.columns })),
    };
  });
}
