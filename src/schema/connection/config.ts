import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { ConnectionError } from '../../errors.js';
import { readDataJointSettings } from './datajoint-settings.js';
import { warnIfReadableByOthers } from './file-permissions.js';
import { secretValue } from './secrets.js';
import type { DialectName } from './dialect.js';

/** The database engines rg-schema speaks to. */
export type { DialectName } from './dialect.js';

/** A resolved connection target. `display` is safe to print: it never holds the password. */
export interface ConnectionSpec {
  readonly dialect: DialectName;
  readonly knexConfig: Knex.Config;
  /** Database-name prefix (DataJoint's `database.prefix`). */
  readonly prefix: string;
  readonly display: string;
  /** Where the setting came from: `option`, `RG_DB_URL`, `DJ_HOST`, `config.ini`, `datajoint.json`, `parent process` or `default`. */
  readonly source: string;
  /** Identifies the target for connection sharing; includes the secret, so never print it. */
  readonly key: string;
}

/** How to find a database. Anything left out falls back to the environment, then config.ini. */
export interface ConnectionOptions {
  /** `mysql://user:pass@host:3306`, `postgres://user:pass@host:5432/database`, `sqlite:///abs/file.sqlite`, `sqlite://rel/file.sqlite`, or a knex config. */
  readonly connection?: string | Knex.Config;
  readonly prefix?: string;
  /** A config.ini in the seed's format (`[DEFAULT] database/user/pwd`). */
  readonly configFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Idle connections close after a second, so a script's process exits on its own shortly after its
 * last query instead of being held open by the pool (Connection.closeAll() exits at once).
 */
const IDLE_POOL = { min: 0, idleTimeoutMillis: 1000, reapIntervalMillis: 500 };

/** The embedded default: one SQLite file, so that foreign keys between schemas are enforced. */
export const DEFAULT_SQLITE_FILE = 'rg-data/rg.sqlite';

let processConnection: ConnectionSpec | undefined;

/**
 * The target this process was handed by its parent (a populate worker receives it over IPC, so the
 * password is never in its environment). Schemas without an explicit connection use it.
 */
export function setProcessConnection(spec: ConnectionSpec | undefined): void {
  processConnection = spec;
}

/** The database-name prefix from the environment: DataJoint 2's DJ_DATABASE_PREFIX, or its aliases RG_DB_PREFIX and DJ_PREFIX. */
export function prefixFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DJ_DATABASE_PREFIX ?? env.RG_DB_PREFIX ?? env.DJ_PREFIX;
}

/**
 * Resolves where to connect: explicit options, then `RG_DB_URL`, then DataJoint's
 * `DJ_HOST`/`DJ_PORT`/`DJ_USER`/`DJ_PASS`, then a `config.ini` (the seed's), then DataJoint 2's
 * `datajoint.json` (found in the working directory or a parent) with its `.secrets/`, then the
 * embedded SQLite file. A URL without a password takes it from `RG_DB_PASSWORD` (or `DJ_PASS`).
 * The prefix comes from the options, `DJ_DATABASE_PREFIX` (aliases `RG_DB_PREFIX`, `DJ_PREFIX`),
 * the config.ini's `prefix`, or datajoint.json's `database.database_prefix`.
 *
 * @example
 * ```ts
 * resolveConnectionSpec({ connection: 'mysql://root:@127.0.0.1:3306' }).display;
 * // 'mysql://root@127.0.0.1:3306'
 * ```
 */
export function resolveConnectionSpec(options: ConnectionOptions = {}): ConnectionSpec {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const envPrefix = prefixFromEnvironment(env);
  const prefix = options.prefix ?? envPrefix;
  if (options.connection !== undefined) return withPrefix(fromValue(options.connection, cwd, 'option', env), prefix);
  if (processConnection && options.configFile === undefined) return withPrefix(processConnection, options.prefix ?? processConnection.prefix);
  if (env.RG_DB_URL) return withPrefix(fromUrl(env.RG_DB_URL, cwd, 'RG_DB_URL', env), prefix);
  if (env.DJ_HOST) {
    const dj = readDataJointSettings(cwd, env);
    return withPrefix(dataJointSpec({ ...dj, host: env.DJ_HOST, password: dj?.password ?? secretValue('DJ_PASS', env) ?? '' }, 'DJ_HOST'), prefix ?? dj?.prefix);
  }
  const iniPath = options.configFile ?? env.RG_CONFIG ?? path.join(cwd, 'config.ini');
  if (options.configFile !== undefined || existsSync(iniPath)) {
    const ini = readConfigIni(iniPath);
    if (ini.pwd || ini.password || /:\/\/[^/@]*:[^@/]+@/.test(ini.url ?? '')) warnIfReadableByOthers(iniPath, 'a database password');
    return withPrefix(fromIni(ini, cwd, iniPath, env), prefix ?? ini.prefix);
  }
  const dj = readDataJointSettings(cwd, env);
  if (dj?.host !== undefined) {
    return withPrefix(dataJointSpec({ ...dj, host: dj.host }, `datajoint.json (${dj.configFile ?? 'environment'})`), prefix ?? dj.prefix);
  }
  return withPrefix(sqliteSpec(path.resolve(cwd, DEFAULT_SQLITE_FILE), 'default'), prefix ?? dj?.prefix);
}

/**
 * The server DataJoint 2's settings name: MySQL/MariaDB, or PostgreSQL when the backend is
 * `postgresql` (then the database is `database.name`, DataJoint's default `postgres`).
 */
function dataJointSpec(dj: { host: string; port?: string | undefined; user?: string | undefined; password?: string | undefined; backend?: string | undefined; database?: string | undefined; configFile?: string | undefined }, source: string): ConnectionSpec {
  const backend = dj.backend?.toLowerCase();
  if (backend === undefined || /^(mysql|mariadb)$/.test(backend)) {
    return mysqlSpec({ host: dj.host, port: dj.port, user: dj.user ?? 'root', password: dj.password ?? '' }, source);
  }
  if (/^postgres(ql)?$/.test(backend)) {
    return postgresSpec({ host: dj.host, port: dj.port, user: dj.user ?? 'postgres', password: dj.password ?? '', database: dj.database ?? 'postgres' }, source);
  }
  throw new ConnectionError(`${dj.configFile ?? 'DJ_BACKEND'} asks for the ${dj.backend} backend; rg-schema connects to MySQL/MariaDB (mysql), PostgreSQL (postgresql) and SQLite.`);
}

function withPrefix(spec: ConnectionSpec, prefix: string | undefined): ConnectionSpec {
  return prefix === undefined ? spec : { ...spec, prefix };
}

function fromValue(value: string | Knex.Config, cwd: string, source: string, env: NodeJS.ProcessEnv): ConnectionSpec {
  if (typeof value === 'string') return fromUrl(value, cwd, source, env);
  const client = String(value.client ?? '');
  const dialect: DialectName | undefined = /sqlite/.test(client) ? 'sqlite' : /mysql|maria/.test(client) ? 'mysql' : /^(pg|postgres(ql)?)$/.test(client) ? 'postgres' : undefined;
  if (!dialect) {
    throw new ConnectionError(`Unsupported knex client "${client}". Use "mysql2" (MySQL/MariaDB), "pg" (PostgreSQL) or "better-sqlite3" (SQLite).`);
  }
  const base = dialect === 'sqlite' ? sqliteSpec(sqliteFilename(value), source) : undefined;
  const knexConfig = base ? { ...base.knexConfig, ...value, pool: base.knexConfig.pool }
    : dialect === 'mysql' ? withMysqlDefaults(value) : { ...value, pool: { ...IDLE_POOL, max: 10, ...(value.pool ?? {}) } };
  return {
    dialect,
    knexConfig,
    prefix: '',
    display: base ? base.display : knexMysqlDisplay(value) ?? `${client} connection (knex config)`,
    source,
    key: `${source}:${JSON.stringify(value)}`,
  };
}

/** `mysql://user@host:port` of a knex config, when it names them: never the password. */
function knexMysqlDisplay(config: Knex.Config): string | undefined {
  const c = config.connection as { host?: unknown; port?: unknown; user?: unknown } | undefined;
  if (!c || typeof c !== 'object' || typeof c.host !== 'string') return undefined;
  return `mysql://${typeof c.user === 'string' ? c.user : 'root'}@${c.host}:${Number(c.port ?? 3306)}`;
}

function sqliteFilename(config: Knex.Config): string {
  const connection = config.connection as { filename?: string } | undefined;
  if (!connection?.filename) throw new ConnectionError('A SQLite knex config needs connection.filename.');
  return connection.filename;
}

/**
 * Parses a connection URL. The password is kept out of `display`. A MySQL URL with no password
 * (`mysql://me@host`, not `mysql://me:@host`) takes it from RG_DB_PASSWORD, else DJ_PASS.
 */
export function fromUrl(url: string, cwd: string, source: string, env: NodeJS.ProcessEnv = process.env): ConnectionSpec {
  const scheme = /^([a-z0-9+]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const rest = url.replace(/^sqlite:(\/\/)?/i, '');
    if (rest === ':memory:' || rest === '') return sqliteSpec(':memory:', source);
    return sqliteSpec(rest.startsWith('/') ? rest : path.resolve(cwd, rest), source);
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // No cause: URL's own error repeats the input, password included.
      throw new ConnectionError(`Cannot read the connection URL from ${source}. Expected mysql://user:password@host:3306.`);
    }
    const givesPassword = /^[a-z0-9+]+:\/\/[^/@]*:[^@]*@/i.test(url) || parsed.password !== '';
    return mysqlSpec({
      host: parsed.hostname,
      port: parsed.port,
      user: decodeURIComponent(parsed.username) || 'root',
      password: givesPassword ? decodeURIComponent(parsed.password) : (secretValue('RG_DB_PASSWORD', env) ?? secretValue('DJ_PASS', env) ?? ''),
    }, source);
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConnectionError(`Cannot read the connection URL from ${source}. Expected postgres://user:password@host:5432/database.`);
    }
    const givesPassword = /^[a-z0-9+]+:\/\/[^/@]*:[^@]*@/i.test(url) || parsed.password !== '';
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return postgresSpec({
      host: parsed.hostname,
      port: parsed.port,
      user: decodeURIComponent(parsed.username) || 'postgres',
      password: givesPassword ? decodeURIComponent(parsed.password) : (secretValue('RG_DB_PASSWORD', env) ?? secretValue('DJ_PASS', env) ?? ''),
      database: database || 'postgres',
    }, source);
  }
  throw new ConnectionError(`Unsupported connection URL scheme "${scheme ?? ''}" from ${source}. Use mysql://user:password@host:3306, postgres://user:password@host:5432/database, sqlite:///absolute/file.sqlite or sqlite://relative/file.sqlite.`);
}

/**
 * A PostgreSQL server: one database of it, whose schemas (namespaces) are rg-schema's schemas, as
 * DataJoint 2 uses them. The password is kept out of `display` and `key` shares connections.
 */
function postgresSpec(target: { host: string; port?: string | undefined; user: string; password: string; database: string }, source: string): ConnectionSpec {
  const [host, portInHost] = target.host.split(':');
  const port = Number(target.port || portInHost || 5432);
  const hostname = host || '127.0.0.1';
  return {
    dialect: 'postgres',
    knexConfig: {
      client: 'pg',
      connection: { host: hostname, port, user: target.user, password: target.password, database: target.database, application_name: 'rg-schema' },
      pool: { ...IDLE_POOL, max: 10 },
    },
    prefix: '',
    display: `postgres://${target.user}@${hostname}:${port}/${target.database}`,
    source,
    key: `postgres:${target.user}:${target.password}@${hostname}:${port}/${target.database}`,
  };
}

function mysqlSpec(target: { host: string; port?: string | undefined; user: string; password: string }, source: string): ConnectionSpec {
  const [host, portInHost] = target.host.split(':');
  const port = Number(target.port || portInHost || 3306);
  const knexConfig = withMysqlDefaults({
    client: 'mysql2',
    connection: { host: host || '127.0.0.1', port, user: target.user, password: target.password },
  });
  return {
    dialect: 'mysql',
    knexConfig,
    prefix: '',
    display: `mysql://${target.user}@${host || '127.0.0.1'}:${port}`,
    source,
    key: `mysql:${target.user}:${target.password}@${host}:${port}`,
  };
}

/**
 * Takes NO_BACKSLASH_ESCAPES out of a new MySQL session's sql_mode. Values are escaped by mysql2's
 * escaper and DDL literals by ours, both of which write a backslash as `\\`; a server configured
 * with NO_BACKSLASH_ESCAPES would read that as two characters, and a quoted value could end early.
 */
export function keepBackslashEscapes(raw: { query(sql: string, done: (error: Error | null) => void): unknown }, done: (error: Error | null) => void): void {
  raw.query("SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))", done);
}

type AfterCreate = (raw: unknown, done: (error: Error | null, raw: unknown) => void) => void;

/** Values come back the same on both dialects: dates as text, 64-bit integers exactly. */
function withMysqlDefaults(config: Knex.Config): Knex.Config {
  const connection = (typeof config.connection === 'object' ? config.connection : {}) as Record<string, unknown>;
  const userAfterCreate = (config.pool as { afterCreate?: AfterCreate } | undefined)?.afterCreate;
  const afterCreate: AfterCreate = (raw, done) => keepBackslashEscapes(raw as Parameters<typeof keepBackslashEscapes>[0], (error) => {
    if (error) done(error, raw);
    else if (userAfterCreate) userAfterCreate(raw, done);
    else done(null, raw);
  });
  return {
    ...config,
    connection: {
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      ...{ jsonStrings: true }, // json is parsed once, by the heading (mysql2 would parse MariaDB's json too)
      charset: 'utf8mb4',
      ...connection,
    },
    pool: { ...IDLE_POOL, max: 10, ...(config.pool ?? {}), afterCreate },
  };
}

function sqliteSpec(filename: string, source: string): ConnectionSpec {
  return {
    dialect: 'sqlite',
    knexConfig: {
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // One connection: SQLite serialises writers anyway, and transactions must see their own writes.
      // An in-memory database lives only as long as its connection, so that one is never idled out.
      pool: filename === ':memory:' ? { min: 1, max: 1 } : { ...IDLE_POOL, max: 1 },
    },
    prefix: '',
    display: `sqlite://${filename}`,
    source,
    key: `sqlite:${filename}`,
  };
}

interface IniSettings { readonly [key: string]: string | undefined }

/** Reads the `[DEFAULT]` section (or the first one) of a config.ini. */
export function readConfigIni(file: string): IniSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConnectionError(`Cannot read the config file ${file}.`, { cause });
  }
  const sections = new Map<string, Record<string, string>>();
  let current = 'DEFAULT';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = section[1]?.trim() ?? current;
      continue;
    }
    const pair = /^([^=:]+)[=:](.*)$/.exec(line);
    if (!pair) continue;
    const values = sections.get(current) ?? {};
    values[(pair[1] ?? '').trim().toLowerCase()] = (pair[2] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
    sections.set(current, values);
  }
  return sections.get('DEFAULT') ?? sections.values().next().value ?? {};
}

function fromIni(ini: IniSettings, cwd: string, file: string, env: NodeJS.ProcessEnv): ConnectionSpec {
  const source = `config.ini (${file})`;
  if (ini.url) return fromUrl(ini.url, cwd, source, env);
  const host = ini.host ?? ini.database;
  if (!host) throw new ConnectionError(`${file} names no server. Write "database = host" (or "url = mysql://…") under [DEFAULT].`);
  return mysqlSpec({ host, port: ini.port, user: ini.user ?? 'root', password: ini.pwd ?? ini.password ?? '' }, source);
}
