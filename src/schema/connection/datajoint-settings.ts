import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConnectionError } from '../../errors.js';
import { warnIfReadableByOthers } from './file-permissions.js';

/** DataJoint 2's project file, and where its secrets live. */
export const DATAJOINT_CONFIG = 'datajoint.json';
const SECRETS_DIR = '.secrets';
const SYSTEM_SECRETS_DIR = '/run/secrets/datajoint';

/** The connection settings DataJoint 2 would use, and which files gave them. */
export interface DataJointSettings {
  readonly host?: string;
  readonly port?: string;
  readonly user?: string;
  readonly password?: string;
  readonly prefix?: string;
  /** `mysql` or `postgresql` (DJ_BACKEND, `database.backend`). */
  readonly backend?: string;
  /** The PostgreSQL database to connect to (DJ_DATABASE_NAME, `database.name`; DataJoint's default `postgres`). */
  readonly database?: string;
  /** The datajoint.json found, if any. */
  readonly configFile?: string;
}

/**
 * DataJoint 2 looks for datajoint.json in the working directory and its parents, stopping at a
 * project boundary (a folder holding .git or .hg) or the filesystem root.
 */
export function findDataJointConfig(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, DATAJOINT_CONFIG);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    if (existsSync(path.join(dir, '.git')) || existsSync(path.join(dir, '.hg'))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A settings object, nested (`{"database": {"host": …}}`) or flat (`{"database.host": …}`), as DataJoint reads both. */
function databaseSettings(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConnectionError(`Cannot read ${file}: ${(cause as Error).message}. It must be a JSON object such as {"database": {"host": "db.example.org"}}.`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConnectionError(`${file} must be a JSON object such as {"database": {"host": "db.example.org"}}.`);
  const o = parsed as Record<string, unknown>;
  const nested = (o.database !== null && typeof o.database === 'object' ? o.database : {}) as Record<string, unknown>;
  const flat = Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith('database.')).map(([k, v]) => [k.slice('database.'.length), v]));
  return { ...nested, ...flat };
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/**
 * DataJoint 2's settings, in its order: environment variables (DJ_HOST, DJ_PORT, DJ_USER, DJ_PASS,
 * DJ_DATABASE_PREFIX, DJ_BACKEND, DJ_DATABASE_NAME), then the secrets directory (`.secrets/` beside datajoint.json, else
 * /run/secrets/datajoint: files `database.user` and `database.password`, or a
 * `.secrets/datajoint.json`), then datajoint.json. Undefined when none of them names anything.
 */
export function readDataJointSettings(cwd: string, env: NodeJS.ProcessEnv): DataJointSettings | undefined {
  const configFile = findDataJointConfig(cwd);
  const file = configFile ? databaseSettings(configFile) : {};
  if (configFile && text(file.password) !== undefined) warnIfReadableByOthers(configFile, 'a database password');
  const secretsDir = configFile && existsSync(path.join(path.dirname(configFile), SECRETS_DIR)) ? path.join(path.dirname(configFile), SECRETS_DIR)
    : existsSync(SYSTEM_SECRETS_DIR) ? SYSTEM_SECRETS_DIR : undefined;
  const secrets: Record<string, unknown> = {};
  if (secretsDir) {
    const json = path.join(secretsDir, DATAJOINT_CONFIG);
    if (existsSync(json)) {
      Object.assign(secrets, databaseSettings(json));
      if (text(secrets.password) !== undefined) warnIfReadableByOthers(json, 'a database password');
    }
    for (const name of ['user', 'password']) {
      const secretFile = path.join(secretsDir, `database.${name}`);
      if (existsSync(secretFile) && statSync(secretFile).isFile()) {
        secrets[name] = readFileSync(secretFile, 'utf8').trim();
        if (name === 'password') warnIfReadableByOthers(secretFile, 'a database password');
      }
    }
  }
  const pick = (envName: string, key: string): string | undefined => text(env[envName]) ?? text(secrets[key]) ?? text(file[key]);
  const settings = {
    host: pick('DJ_HOST', 'host'),
    port: pick('DJ_PORT', 'port'),
    user: pick('DJ_USER', 'user'),
    password: pick('DJ_PASS', 'password'),
    prefix: text(env.DJ_DATABASE_PREFIX) ?? text(file.database_prefix),
    backend: text(env.DJ_BACKEND) ?? text(file.backend),
    database: text(env.DJ_DATABASE_NAME) ?? text(file.name),
    ...(configFile ? { configFile } : {}),
  };
  return settings.host === undefined && configFile === undefined ? undefined : settings;
}
