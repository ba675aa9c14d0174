import { DataSource } from './data-source.js';
import { sourceId } from './sources/read-source.js';

/**
 * Brings DataSource ids stored before ids left credentials out up to date. An id was the hash of
 * the entry *with* its password, so anyone who could read the table could test password guesses
 * against it; the stored entry never held the password, so the new id is computed from it. Session
 * rows follow through the foreign key (ON UPDATE CASCADE). Ids without a password in their source
 * are unchanged. Returns how many ids changed.
 *
 * @example
 * ```ts
 * await migrateSourceIds();
 * // UPDATE `rgc`.`data_source` SET `source_id` = ? WHERE `source_id` = ?   (once per old id)
 * ```
 */
export async function migrateSourceIds(): Promise<number> {
  const rows = await DataSource.fetch('source_id', 'entry');
  const ids = new Set(rows.map((r) => r.source_id));
  const stale = rows.filter((r) => r.entry !== null && typeof r.entry === 'object' && sourceId(r.entry as Record<string, unknown>) !== r.source_id);
  if (stale.length === 0) return 0;
  const connection = DataSource.query().connection;
  const table = DataSource.fullTableName;
  const column = connection.dialect.quote('source_id');
  let changed = 0;
  await connection.transaction(async () => {
    for (const row of stale) {
      const id = sourceId(row.entry as Record<string, unknown>);
      // The same source loaded twice, once with and once without a password: keep both as they are.
      if (ids.has(id)) continue;
      await connection.run(`UPDATE ${table} SET ${column} = ? WHERE ${column} = ?`, [id, row.source_id], 'DataSource');
      ids.add(id);
      changed++;
    }
  });
  return changed;
}
