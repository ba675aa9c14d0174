import { statSync } from 'node:fs';

const warned = new Set<string>();

/**
 * Warns (once per file and process, on stderr) when a file that holds a password can be read by
 * other users of the machine, as ssh does for private keys. Nothing is refused: the warning says
 * how to fix it.
 *
 * @example
 * ```ts
 * warnIfReadableByOthers('config.ini', 'a database password');
 * // rg-schema: warning: config.ini holds a database password and other users can read it (mode 644); run: chmod 600 config.ini
 * ```
 */
export function warnIfReadableByOthers(file: string, what: string, warn: (message: string) => void = (m) => console.warn(m)): void {
  if (warned.has(file) || process.platform === 'win32') return;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return;
  }
  if ((mode & 0o044) === 0) return;
  warned.add(file);
  warn(`rg-schema: warning: ${file} holds ${what} and other users can read it (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
}
