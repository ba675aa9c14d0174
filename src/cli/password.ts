/**
 * The password of `rg-pipeline -p`: given as a value (the seed's usage, visible to `ps`), asked for
 * at a prompt without echo (`-p` alone), or read from RG_DB_PASSWORD (or DataJoint's DJ_PASS).
 */
import { createInterface } from 'node:readline';

/** The variables a password may come from, in order. */
export const PASSWORD_VARIABLES = ['RG_DB_PASSWORD', 'DJ_PASS'] as const;

/**
 * Rewrites a bare `-p`/`--password` (last, or followed by an option or a command name) into
 * `--password-prompt`, so that commander does not take the command for the password.
 *
 * @example
 * ```ts
 * promptForBarePassword(['--db', 'h', '-p', 'status'], ['status']); // ['--db', 'h', '--password-prompt', 'status']
 * ```
 */
export function promptForBarePassword(args: readonly string[], commands: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if ((arg === '-p' || arg === '--password') && (next === undefined || next.startsWith('-') || commands.includes(next))) out.push('--password-prompt');
    else out.push(arg);
  }
  return out;
}

/**
 * Reads a password: on a terminal, at a prompt that echoes nothing (on stderr, so stdout stays
 * clean); otherwise the first line of standard input (`echo "$PW" | rg-pipeline -p …`).
 */
export async function readPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) {
    const lines = createInterface({ input, terminal: false });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    return '';
  }
  // Echo goes off before the prompt shows, so nothing typed (or pasted) early is echoed.
  input.setRawMode(true);
  output.write(prompt);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string): void => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n' || c === '\u0004') return done();
        if (c === '\u0003') return done(Object.assign(new Error('interrupted'), { code: 'SIGINT' }));
        if (c === '\u007f' || c === '\b') typed = typed.slice(0, -1);
        else typed += c;
      }
    };
    input.on('data', onData);
  });
}
