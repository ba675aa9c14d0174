import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * Everything a database holds, as one hash: every table's name, declaration and rows (SQLite), or
 * the databases named with `prefix` and their tables' CHECKSUM TABLE (MySQL), or the schemas named
 * with `prefix`, their tables' definitions and an MD5 of their rows (PostgreSQL). Read through a connection of its own, so the
 * viewer's pool is not involved.
 */
export async function fingerprint(url: string, prefix: string): Promise<string> {
  const hash = createHash('sha256');
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.replace(/^sqlite:\/\//, ''), { readonly: true });
    try {
      const tables = db.prepare("SELECT name, sql FROM sqlite_master ORDER BY name").all() as Array<{ name: string; sql: string | null }>;
      for (const t of tables) {
        hash.update(`${t.name}\n${t.sql ?? ''}\n`);
        if (t.sql?.startsWith('CREATE TABLE')) {
          for (const row of db.prepare(`SELECT * FROM "${t.name.replace(/"/g, '""')}"`).raw().iterate() as Iterable<unknown[]>) {
            for (const v of row) hash.update(Buffer.isBuffer(v) ? v : String(v)).update('\u0000');
          }
        }
      }
    } finally {
      db.close();
    }
    return hash.digest('hex');
  }
  if (/^postgres(ql)?:/.test(url)) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows: tables } = await c.query<{ db: string; name: string; columns: string }>(
        `SELECT n.nspname AS db, cl.relname AS name, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) AS columns
           FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE n.nspname LIKE $1 AND cl.relkind = 'r' GROUP BY 1, 2 ORDER BY 1, 2`, [`${prefix}%`]);
      const { rows: schemata } = await c.query<{ db: string }>('SELECT nspname AS db FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1', [`${prefix}%`]);
      hash.update(schemata.map((s) => s.db).join(',') + '\n');
      for (const t of tables) {
        const ref = `"${t.db.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;
        const { rows } = await c.query<{ sum: string | null }>(`SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS sum FROM ${ref} AS x`);
        hash.update(`${t.db}.${t.name}(${t.columns}):${rows[0]?.sum ?? ''}\n`);
      }
    } finally {
      await c.end();
    }
    return hash.digest('hex');
  }
  const u = new URL(url);
  const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username) || 'root', password: decodeURIComponent(u.password) });
  try {
    // Other test files share the server: only this test's databases (its prefix) count.
    const [schemata] = await c.query('SELECT SCHEMA_NAME AS db FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY 1', [`${prefix}%`]) as unknown as [Array<{ db: string }>];
    hash.update(schemata.map((s) => s.db).join(',') + '\n');
    const [tables] = await c.query('SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE ? ORDER BY 1, 2', [`${prefix}%`]) as unknown as [Array<{ db: string; name: string }>];
    for (const t of tables) {
      const [rows] = await c.query(`CHECKSUM TABLE \`${t.db}\`.\`${t.name.replace(/`/g, '``')}\``) as unknown as [Array<{ Checksum: unknown }>];
      hash.update(`${t.db}.${t.name}:${String(rows[0]?.Checksum)}\n`);
    }
  } finally {
    await c.end();
  }
  return hash.digest('hex');
}
