import { PopulateError } from '../../errors.js';
import { findTsx, isTypeScript } from '../util/tsx-loader.js';

/**
 * The Node options a populate worker process starts with. A compiled `.js` module needs none. A
 * TypeScript module (or this library run from its sources) needs tsx: it is looked for beside the
 * module, then in the working directory, then beside this library; when the parent process itself
 * runs under tsx (`npx tsx script.ts`), its loader is passed on. Without any of these the call
 * fails before a process is started, saying what to install.
 *
 * @example
 * ```ts
 * workerExecArgv('/app/dist/worker-main.js', '/app/dist/tables.js'); // []
 * workerExecArgv('/app/dist/worker-main.js', '/app/src/tables.ts');  // ['--import', 'file:///app/node_modules/tsx/dist/loader.mjs']
 * ```
 */
export function workerExecArgv(main: string, modulePath: string): string[] {
  const typescript = [main, modulePath].filter(isTypeScript);
  if (typescript.length === 0) return [];
  const loader = findTsx([modulePath, process.cwd(), main]);
  if (loader) return ['--import', loader];
  const inherited = inheritedTsxLoader(process.execArgv);
  if (inherited.length > 0) return inherited;
  throw new PopulateError(
    `Worker processes cannot load ${typescript.join(' and ')}: Node runs TypeScript modules (with decorators) only through a loader, and tsx is not installed.`
    + ' Fix: npm install --save-dev tsx, or run your script with npx tsx, or point workerModule.path at the compiled .js module.',
  );
}

/** The `--import`/`--require` options of a tsx loader this process was started with, if any. */
function inheritedTsxLoader(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (flag !== '--import' && flag !== '--require' && flag !== '--loader' && flag !== '-r') continue;
    const value = inline ?? execArgv[i + 1];
    if (inline === undefined) i++;
    if (value !== undefined && /[\\/]tsx[\\/]|^tsx(\/|$)/.test(value)) kept.push(flag, value);
  }
  return kept;
}
