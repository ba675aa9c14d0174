/**
 * Rewrites the `?` placeholders that stand outside literals, quoted identifiers, dollar-quoted
 * strings and comments as PostgreSQL's `$1`, `$2`, …: the query layer writes `?` for every
 * dialect, and the pg driver binds `$n` parameters. A statement without parameters is returned as
 * it is, so a raw SQL restriction may use PostgreSQL's jsonb `?` operators when it binds nothing.
 *
 * @example
 * ```ts
 * postgresPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?'", 1);  // "SELECT * FROM t WHERE a = $1 AND b = '?'"
 * ```
 */
export function postgresPlaceholders(sql: string, count: number): string {
  if (count === 0) return sql;
  let out = '';
  let start = 0;
  let next = 0;
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'") {
      // E'…' strings take backslash escapes; standard strings only ''.
      const escapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !/[\w$]/.test(sql[i - 2] ?? ' ');
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'") {
          if (sql[i + 1] === "'") i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === '"') {
      i = sql.indexOf('"', i + 1);
      i = i < 0 ? n : i + 1;
      while (i < n && sql[i] === '"') {
        i = sql.indexOf('"', i + 1);
        i = i < 0 ? n : i + 1;
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      i = sql.indexOf('\n', i);
      if (i < 0) i = n;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = sql.indexOf('*/', i + 2);
      i = i < 0 ? n : i + 2;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$(?:[A-Za-z_]\w*)?\$/.exec(sql.slice(i, i + 64))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? n : end + tag.length;
      } else i++;
    } else if (c === '?') {
      out += `${sql.slice(start, i)}$${++next}`;
      start = ++i;
    } else i++;
  }
  if (next !== count) throw new Error(`internal: ${count} parameters for ${next} placeholders`);
  return out + sql.slice(start);
}
