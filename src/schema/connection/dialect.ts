import type { DialectName } from './config.js';

/** What differs between MySQL and SQLite below the query layer. */
export interface Dialect {
  readonly name: DialectName;
  /** Quotes one identifier. */
  quote(identifier: string): string;
  /**
   * The full table reference. MySQL has databases; in SQLite every schema shares one file (so that
   * foreign keys between schemas hold) and the schema is part of the table's quoted name.
   */
  tableRef(database: string, table: string): string;
  /** Classifies a driver error. */
  errorKind(error: unknown): 'duplicate' | 'foreignKey' | 'packet' | 'connection' | 'other';
}

function code(error: unknown): string {
  const e = error as { code?: unknown; errno?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : '';
}

export const mysqlDialect: Dialect = {
  name: 'mysql',
  quote: (identifier) => `\`${identifier.replace(/`/g, '``')}\``,
  tableRef(database, table) {
    return `${this.quote(database)}.${this.quote(table)}`;
  },
  errorKind(error) {
    const c = code(error);
    if (c === 'ER_DUP_ENTRY') return 'duplicate';
    if (c.startsWith('ER_NO_REFERENCED_ROW') || c.startsWith('ER_ROW_IS_REFERENCED')) return 'foreignKey';
    if (c === 'ER_NET_PACKET_TOO_LARGE' || c === 'EPIPE') return 'packet';
    if (c === 'PROTOCOL_CONNECTION_LOST' || c === 'ECONNREFUSED' || c === 'ECONNRESET' || c === 'ER_ACCESS_DENIED_ERROR') return 'connection';
    return 'other';
  },
};

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  quote: (identifier) => `"${identifier.replace(/"/g, '""')}"`,
  tableRef(database, table) {
    return this.quote(`${database}.${table}`);
  },
  errorKind(error) {
    const c = code(error);
    if (c === 'SQLITE_CONSTRAINT_PRIMARYKEY' || c === 'SQLITE_CONSTRAINT_UNIQUE') return 'duplicate';
    // ON DELETE RESTRICT is enforced by an internal trigger, so SQLite reports it as one.
    if (c === 'SQLITE_CONSTRAINT_FOREIGNKEY' || (c === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY/.test(String((error as Error)?.message)))) return 'foreignKey';
    if (c === 'SQLITE_CANTOPEN') return 'connection';
    return 'other';
  },
};
