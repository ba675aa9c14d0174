import { existsSync } from 'node:fs';
import type { Knex } from 'knex';
import { ConnectionError, SchemaMismatchError } from '../errors.js';
import { resolveConnectionSpec, type ConnectionOptions, type ConnectionSpec } from '../schema/connection/config.js';
import { dialectFor } from '../schema/connection/dialects/index.js';
import type { Schema } from '../schema/declare/schema.js';

/**
 * The database as the viewer opens it: read-only in the driver as well as in the viewer's code.
 *
 * @example
 * ```ts
 * const database = new ReadOnlyDatabase(pipeline, { connection: 'mysql://alice:secret@db:3306' });
 * await database.problem(); // undefined, or 'Cannot reach the database mysql://alice@db:3306: …'
 * ```
 *
 * SQLite files open with better-sqlite3's `readonly`; MySQL/MariaDB sessions start with
 * `SET SESSION TRANSACTION READ ONLY` and PostgreSQL's with `SET SESSION CHARACTERISTICS AS
 * TRANSACTION READ ONLY`, so the server itself refuses any write or DDL. Nothing is
 * created, not even the SQLite file's folder, and the pipeline's tables are only checked
 * (`createTables: false`).
 */
export class ReadOnlyDatabase {
  readonly spec: ConnectionSpec;
  /** Safe to show: never the password. */
  readonly display: string;
  readonly #schema: Schema;
  /** Whether a connection was opened (a SQLite connection would create its file's folder). */
  #opened = false;

  constructor(schema: Schema, options: ConnectionOptions = {}) {
    this.spec = resolveConnectionSpec(options);
    this.display = this.spec.display;
    this.#schema = schema;
    schema.configure({ connection: readOnlyConfig(this.spec), prefix: this.spec.prefix, createTables: false });
  }

  /** The SQLite file, when the database is one. */
  get file(): string | undefined {
    return this.spec.dialect === 'sqlite' ? (this.spec.knexConfig.connection as { filename: string }).filename : undefined;
  }

  /**
   * Why the pipeline cannot be shown, in a sentence that names the database (and never its
   * password), or undefined when it can.
   */
  async problem(): Promise<string | undefined> {
    if (this.file !== undefined && !existsSync(this.file)) {
      return `There is no database file at ${this.file}. Make one with \`npx rg-pipeline demo\` (or \`rg-pipeline load manifest.json\`), or point rg-visual at your database with --db, -c or RG_DB_URL.`;
    }
    try {
      this.#opened = true;
      await this.#schema.activate();
      return undefined;
    } catch (error) {
      return describeFailure(error, this.display, this.#schema.database);
    }
  }

  /** Closes the pool (the schema reconnects if used again). */
  async close(): Promise<void> {
    if (this.#opened) await this.#schema.connection.close();
  }
}

function readOnlyConfig(spec: ConnectionSpec): Knex.Config {
  const config = spec.knexConfig;
  const connection = config.connection as { filename: string } & Record<string, unknown>;
  if (spec.dialect === 'sqlite') {
    if (connection.filename === ':memory:') throw new ConnectionError('An in-memory SQLite database is empty in every new connection; give rg-visual a file (sqlite:///path/rg.sqlite).');
    return { ...config, connection: { ...connection, filename: connection.filename, options: { readonly: true } } };
  }
  const dialect = dialectFor(spec.dialect);
  const readOnly = dialect.readOnlySession ?? '';
  return {
    ...config,
    // An unreachable server is reported in seconds, not after knex's default minute.
    acquireConnectionTimeout: 5000,
    connection: { ...dialect.connectTimeout(5000), ...connection },
    pool: {
      ...config.pool,
      // A viewer runs for hours: keep a few warm connections instead of reconnecting after each pause.
      min: 0, max: 10, idleTimeoutMillis: 60_000,
      afterCreate(raw: { query(sql: string, done: (error: Error | null) => void): void }, done: (error: Error | null, raw: unknown) => void) {
        raw.query(readOnly, (error) => done(error, raw));
      },
    },
  };
}

const REASONS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'the connection was refused (is the server running, and on that port?)'],
  [/ENOTFOUND|EAI_AGAIN/, 'the host name does not resolve'],
  [/ETIMEDOUT|Timeout acquiring|timed? ?out/i, 'it did not answer in time'],
  [/ER_ACCESS_DENIED|Access denied/i, 'the server refused that user and password'],
  [/ER_DBACCESS_DENIED/i, 'that user may not read the pipeline\'s database'],
  [/unable to open database file|SQLITE_CANTOPEN/i, 'the file cannot be opened'],
  [/file is not a database|SQLITE_NOTADB/i, 'the file is not a SQLite database'],
];

/**
 * A failure to open the pipeline, as a sentence for a person (driver messages are not repeated).
 *
 * @example
 * ```ts
 * describeFailure(refused, 'mysql://alice@db:3306', 'rgc');
 * // 'Cannot reach the database mysql://alice@db:3306: the connection was refused (is the server running, and on that port?).'
 * ```
 */
export function describeFailure(error: unknown, display: string, database: string): string {
  if (error instanceof SchemaMismatchError) {
    if (/createTables: false/.test(error.message)) {
      return `The database ${display} holds no complete RGC pipeline (schema ${database}): load one with \`npx rg-pipeline demo\` or \`rg-pipeline load manifest.json\`, or point rg-visual at another database.`;
    }
    return `The pipeline's tables in ${display} do not match this version of rg-schema: ${error.message.split('\n')[0]}`;
  }
  const text = chain(error);
  const reason = REASONS.find(([pattern]) => pattern.test(text))?.[1] ?? 'the connection failed';
  return `Cannot reach the database ${display}: ${reason}.`;
}

/** The messages and codes of an error and its causes, for classification only (never shown). */
function chain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: unknown; code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    parts.push(String(e.code ?? ''), String(e.message ?? ''));
  }
  return parts.join(' ');
}
