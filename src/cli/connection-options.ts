/**
 * The connection options every command shares: `-c config.ini`, `--db URL`, and the original
 * rg_pipeline's `-db HOST -u USER -p PASS` (`-p` alone asks for the password without echo;
 * RG_DB_PASSWORD or DJ_PASS also give it); without them, the environment (`RG_DB_URL`,
 * `DJ_HOST`…), a `config.ini` in the working directory, then `./rg-data/rg.sqlite`.
 */
import { Option, type Command } from 'commander';
import type { ConnectionOptions } from '../schema/connection/config.js';
import { PASSWORD_VARIABLES, promptForBarePassword, readPassword } from './password.js';

/** The flags as commander parses them. */
export interface ConnectionFlags {
  config?: string;
  db?: string;
  user?: string;
  password?: string;
  passwordPrompt?: boolean;
  prefix?: string;
}

/**
 * Adds `-c`, `--db`, `-u`, `-p` and `--prefix` to a command.
 *
 * @example
 * ```ts
 * const program = withConnectionOptions(new Command('rg-visual'));
 * await program.parseAsync(acceptSeedFlags(process.argv.slice(2), []), { from: 'user' });
 * await connectionOptions(program.opts()); // { connection: 'mysql://root:@db.lab:3306' } for -db db.lab
 * ```
 */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('-c, --config <ini>', 'a config.ini ([DEFAULT] database/user/pwd), compatible with the original rg_pipeline\'s -c')
    .option('--db <host|url>', 'a MySQL/MariaDB host (with -u/-p) or a connection URL (mysql://, postgres://, sqlite://); default: environment, config.ini, then ./rg-data/rg.sqlite')
    .option('-u, --user <name>', 'MySQL user (with --db host)')
    .option('-p, --password <password>', 'MySQL password (with --db); -p alone asks for it without echo; RG_DB_PASSWORD or DJ_PASS also give it')
    .addOption(new Option('--password-prompt').hideHelp())
    .option('--prefix <prefix>', 'database name prefix (default: DJ_DATABASE_PREFIX, RG_DB_PREFIX)');
}

/**
 * The arguments after the command's name, made readable for commander: the original rg_pipeline
 * spelled the server `-db HOST` (commander would read `-d -b`), and a bare `-p` asks for the password.
 */
export function acceptSeedFlags(args: readonly string[], commands: readonly string[]): string[] {
  const spelled = args.map((arg) => (arg === '-db' ? '--db' : arg.startsWith('-db=') ? `--db=${arg.slice(4)}` : arg));
  return promptForBarePassword(spelled, commands);
}

/** The password from -p VALUE, a prompt (-p alone), or the environment; undefined when none is given. */
async function password(flags: ConnectionFlags): Promise<string | undefined> {
  if (flags.password !== undefined) return flags.password;
  if (flags.passwordPrompt) return readPassword(`Password for ${flags.user ?? 'root'}@${flags.db ?? 'the database'}: `);
  for (const name of PASSWORD_VARIABLES) if (process.env[name] !== undefined) return process.env[name];
  return undefined;
}

/**
 * What the flags ask for, as a schema's connection options (the environment fills the rest): `--db`
 * as a URL with the password put in, or the config file, and the prefix.
 */
export async function connectionOptions(flags: ConnectionFlags): Promise<Pick<ConnectionOptions, 'connection' | 'configFile' | 'prefix'>> {
  const prefix = flags.prefix === undefined ? {} : { prefix: flags.prefix };
  if (flags.db) {
    let url = flags.db;
    const given = await password(flags);
    if (!url.includes('://')) {
      url = `mysql://${encodeURIComponent(flags.user ?? process.env.DJ_USER ?? 'root')}:${encodeURIComponent(given ?? '')}@${url}`;
    } else if (given !== undefined && /^(mysql|mariadb|postgres|postgresql):/i.test(url)) {
      const parsed = new URL(url);
      if (parsed.password === '') {
        if (flags.user) parsed.username = encodeURIComponent(flags.user);
        parsed.password = encodeURIComponent(given);
        url = parsed.toString();
      }
    }
    return { connection: url, ...prefix };
  }
  if (flags.config) return { configFile: flags.config, ...prefix };
  return prefix;
}
