import { AFTER_ACTIVATE, type TableInfo } from '../declare/table-info.js';
import type { Tier } from '../declare/tiers.js';
import { insertRows } from '../query/insert.js';
import { Table } from './table.js';
import { retryDeadlocks } from '../connection/retry-deadlocks.js';

/**
 * Data entered by people or by scripts outside the pipeline. Table name: `snake_name`.
 *
 * @example
 * ```ts
 * @schema class Subject extends Manual<SubjectRow> { static definition = `subject_name: varchar(64)`; }
 * // CREATE TABLE `rgc`.`subject` (`subject_name` varchar(64) NOT NULL, PRIMARY KEY (`subject_name`)) …
 * ```
 */
export abstract class Manual<Row extends object = Record<string, unknown>> extends Table<Row> {
  static override readonly tier: Tier = 'manual';
}

/**
 * Small fixed tables of parameters; `static contents` is inserted on declaration.
 * Table name: `#snake_name`.
 */
export abstract class Lookup<Row extends object = Record<string, unknown>> extends Table<Row> {
  static override readonly tier: Tier = 'lookup';
  /** Rows inserted when the table is declared (existing rows are kept). */
  static contents: readonly object[] = [];

  /** Inserts `contents` once the table exists; rows already present are kept. */
  static async [AFTER_ACTIVATE](this: { contents?: unknown }, info: TableInfo): Promise<void> {
    const contents = this.contents;
    if (!Array.isArray(contents) || contents.length === 0) return;
    // Workers starting together each insert the contents: InnoDB may fail one of the statements
    // to break a lock cycle, and outside a transaction it can simply run again.
    const insert = (): Promise<unknown> => insertRows(info, contents as object[], { skipDuplicates: true });
    await (info.schema.connection.inTransaction ? insert() : retryDeadlocks(insert));
  }
}

/** A table nested in its master (`static Unit = class extends Part {...}`); name `master__part`. */
export abstract class Part<Row extends object = Record<string, unknown>> extends Table<Row> {
  static override readonly tier: Tier = 'part';
}
