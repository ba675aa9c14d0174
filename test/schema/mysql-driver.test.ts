import { describe, expect, it } from 'vitest';
import { executeMysql, streamMysql, type MysqlRaw } from '../../src/schema/connection/dialects/mysql/mysql-driver.js';

/** A mysql2 connection that records what it is asked to run and answers `result`. */
function recordingRaw(result: unknown): { raw: MysqlRaw; calls: Array<{ sql: string; values: unknown }> } {
  const calls: Array<{ sql: string; values: unknown }> = [];
  const query = (sql: string, values?: unknown, done?: (error: Error | null, result: unknown) => void) => {
    calls.push({ sql, values });
    const callback = typeof values === 'function' ? values as typeof done : done;
    setImmediate(() => callback?.(null, result));
    return { stream: () => (async function* () { yield* result as unknown[]; })() as unknown as NodeJS.ReadableStream };
  };
  const raw = { threadId: 1, query, execute: () => undefined, escape: (v: unknown) => (typeof v === 'string' ? `'${v.replace(/'/g, "\\'")}'` : String(v)) };
  return { raw: raw as unknown as MysqlRaw, calls };
}

/**
 * Statements go to mysql2 as finished text with `null` values: with none (or `[]`) mysql2 scans
 * the whole text for placeholders again before sending it.
 */
describe('the MySQL driver', () => {
  it('sends a statement as finished text, with null values, and answers its header', async () => {
    const { raw, calls } = recordingRaw({ affectedRows: 2, insertId: 0 });
    const result = await executeMysql(raw, "INSERT INTO t (a, b, c) VALUES (?, ?, '?'), (?, ?, '?')", [1.5, "it's", -0.25, 'why?']);
    expect(result).toEqual({ affectedRows: 2, insertId: 0 });
    expect(calls).toEqual([{ sql: "INSERT INTO t (a, b, c) VALUES (1.5, 'it\\'s', '?'), (-0.25, 'why?', '?')", values: null }]);
  });

  it('streams a SELECT sent the same way', async () => {
    const { raw, calls } = recordingRaw([{ x: 1 }, { x: 2 }]);
    const rows: unknown[] = [];
    for await (const row of streamMysql(raw, 'SELECT x FROM t WHERE y = ?', ['?'])) rows.push(row);
    expect(rows).toEqual([{ x: 1 }, { x: 2 }]);
    expect(calls).toEqual([{ sql: "SELECT x FROM t WHERE y = '?'", values: null }]);
  });
});
