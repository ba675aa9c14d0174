import { readFileSync } from 'node:fs';
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

/**
 * The code of a worker thread (for `new Worker(code, { eval: true })`) that loads the module
 * `name` beside `here` (an `import.meta.url`): its `.js` build when `here` is compiled, else its
 * `.ts` source, after registering tsx in the thread (Node does not carry tsx's loader into a
 * worker, so tests and `npx tsx` runs need this; tsx is then installed).
 *
 * @example
 * ```ts
 * new Worker(workerThreadSource(import.meta.url, 'movie-sign-worker'), { eval: true });
 * // from dist: import("file:///app/dist/tables/movie-sign-worker.js");
 * ```
 */
export function workerThreadSource(here: string, name: string): string {
  if (!here.endsWith('.ts')) return `import(${JSON.stringify(new URL(`./${name}.js`, here).href)});`;
  // tsx's ESM register(), found as Node would import it (require.resolve would give its CommonJS build).
  const manifest = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = pathToFileURL(path.join(path.dirname(manifest), api)).href;
  const entry = new URL(`./${name}.ts`, here).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
}
