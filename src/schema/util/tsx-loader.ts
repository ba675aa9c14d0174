import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** True for a file Node can only load through a TypeScript loader. */
export function isTypeScript(file: string): boolean {
  return /\.[cm]?tsx?$/.test(file);
}

/**
 * The URL of tsx's loader (what `node --import tsx` loads), found the way `require('tsx')` would
 * be from the first of `near` that has it (files or folders); undefined when none does.
 *
 * @example
 * ```ts
 * findTsx(['/lab/src/tables.ts', process.cwd()]); // 'file:///lab/node_modules/tsx/dist/loader.mjs'
 * ```
 */
export function findTsx(near: readonly string[]): string | undefined {
  for (const place of near) {
    try {
      const from = isTypeScript(place) || path.extname(place) !== '' ? place : path.join(place, 'package.json');
      return pathToFileURL(createRequire(path.resolve(from)).resolve('tsx')).href;
    } catch {
      // not installed there: try the next place
    }
  }
  return undefined;
}
