/**
 * What every rg-schema command shares: `--version`, checked option values, and exit codes that
 * scripts can rely on: 0 done, 1 the work failed, 2 the command line was wrong (a bad value, an
 * unknown option or name, a missing confirmation), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { InterruptedError } from '../errors.js';
import { Connection } from '../schema/connection/connection.js';
import { redactCredentials } from '../redact.js';

/** The package's version, as `--version` prints it. */
export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Exit code of a command line that asks for something impossible (as commander's own errors). */
export const USAGE_EXIT_CODE = 2;

/**
 * A value or combination of options that cannot be used: reported as `<command>: <message>` and
 * exit code 2, like commander's own errors about the command line.
 *
 * @example
 * ```ts
 * throw new UsageError('"Neurons" is not a table of the diagram; tables: Session, Neuron, Spike.');
 * ```
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A command with `--version` (on it and on each subcommand added later through
 * {@link finishProgram}) whose command-line errors end in exit code 2.
 *
 * @example
 * ```ts
 * const program = newProgram('rg-erd', 'Draw an entity-relationship diagram.');
 * ```
 */
export function newProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(VERSION, '-V, --version', 'print the version of rg-schema and exit')
    .exitOverride()
    .showSuggestionAfterError(true);
}

/**
 * Parses the arguments and runs the action; every error ends as a message on stderr (with any
 * password removed) and an exit code: 2 for the command line, 130 when interrupted, 1 otherwise.
 */
export async function runProgram(program: Command, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  for (const sub of program.commands) {
    sub.version(VERSION, '-V, --version', 'print the version of rg-schema and exit');
  }
  try {
    await program.parseAsync(args as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its message (or the help or version) already.
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    } else {
      console.error(`${program.name()}: ${redactCredentials((error as Error).message ?? String(error))}`);
      process.exitCode = error instanceof UsageError ? USAGE_EXIT_CODE : error instanceof InterruptedError ? 130 : 1;
    }
  } finally {
    await Connection.closeAll();
  }
}

/**
 * An option parser for whole numbers of at least `min`, with a sentence for anything else.
 *
 * @example
 * ```ts
 * program.option('--workers <n>', 'local worker processes', wholeNumber('--workers', 1));
 * // --workers abc → error: option '--workers <n>' argument 'abc' is invalid. --workers takes a whole number of at least 1, not "abc".
 * ```
 */
export function wholeNumber(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} takes a whole number of at least ${min}, not "${value}".`);
    }
    return n;
  };
}

/**
 * An option parser for finite numbers greater than zero.
 *
 * @example
 * ```ts
 * program.option('--scale <s>', 'dataset scale', positiveNumber('--scale'), 0.05);
 * ```
 */
export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${flag} takes a number greater than 0, such as 0.05, not "${value}".`);
    }
    return n;
  };
}
