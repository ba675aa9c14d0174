import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findTsx, isTypeScript } from '../schema/util/tsx-loader.js';
import { UsageError } from './program.js';

/**
 * Imports a user's module for `--module`; a TypeScript one through tsx, found beside it or in the
 * working directory. A missing file, or TypeScript without tsx, is a usage error that says what to do.
 *
 * @example
 * ```ts
 * const exports = await importModule('./my-tables.ts'); // { schema, Bursts, … }
 * ```
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new UsageError(`--module ${file}: no such file.`);
  if (isTypeScript(absolute) && !process.execArgv.some((a) => a.includes('tsx'))) {
    const tsx = findTsx([absolute, process.cwd()]);
    if (!tsx) {
      throw new UsageError(`--module ${file} is TypeScript, which Node loads only through tsx: npm install --save-dev tsx in your project, or point --module at the compiled .js file.`);
    }
    await import(tsx);
  }
  return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
}
