/**
 * The connection options every command shares: `-c config.ini`, `--db URL`, and the original
 * rg_pipeline's `-db HOST -u USER -p PASS`; without them, the environment (`RG_DB_URL`,
 * `DJ_HOST`…), a `config.ini` in the working directory, then `./rg-data/rg.sqlite`.
 */
import type { Command } from 'commander';
import type { ConnectionOptions } from '../schema/connection/config.js';

/** The flags as commander parses them. */
export interface ConnectionFlags {
  config?: string;
  db?: string;
  user?: string;
  password?: string;
  prefix?: string;
}

/**
 * Adds `-c`, `--db`, `-u`, `-p` and `--prefix` to a command.
 *
 * @example
 * ```ts
 * const program = withConnectionOptions(new Command('rg-visual'));
 * program.parse(acceptSeedFlags(process.argv));
 * connectionOptions(program.opts()); // { connection: 'mysql://root:@db.lab:3306' } for -db db.lab
 * ```
 */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('-c, --config <ini>', 'a config.ini ([DEFAULT] database/user/pwd), as the original rg_pipeline\'s -c')
    .option('--db <host|url>', 'a MySQL/MariaDB host (with -u/-p) or a connection URL; default: environment, config.ini, then ./rg-data/rg.sqlite')
    .option('-u, --user <name>', 'MySQL user (with --db host)')
    .option('-p, --password <password>', 'MySQL password (with --db host)')
    .option('--prefix <prefix>', 'database name prefix');
}

/** The original rg_pipeline spelled the server `-db HOST`; commander reads that as `-d -b`. */
export function acceptSeedFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => (arg === '-db' ? '--db' : arg.startsWith('-db=') ? `--db=${arg.slice(4)}` : arg));
}

/** `--db host -u user -p pass` as a URL; a URL passes through. */
export function databaseUrl(flags: ConnectionFlags): string | undefined {
  if (!flags.db) return undefined;
  if (flags.db.includes('://')) return flags.db;
  return `mysql://${encodeURIComponent(flags.user ?? 'root')}:${encodeURIComponent(flags.password ?? '')}@${flags.db}`;
}

/** What the flags ask for, as a schema's connection options (the environment fills the rest). */
export function connectionOptions(flags: ConnectionFlags): Pick<ConnectionOptions, 'connection' | 'configFile' | 'prefix'> {
  const url = databaseUrl(flags);
  return {
    ...(url !== undefined ? { connection: url } : flags.config !== undefined ? { configFile: flags.config } : {}),
    ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
  };
}
