import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RgSchemaError } from '../errors.js';

/** A file the page loads, named by its content so browsers may keep it forever. */
export interface Asset {
  readonly name: string;
  readonly type: string;
  readonly body: Buffer;
}

export interface PageAssets {
  readonly plotly: Asset;
  readonly app: Asset;
  readonly css: Asset;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

function asset(stem: string, ext: string, type: string, body: Buffer): Asset {
  return { name: `${stem}-${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`, type, body };
}

/** Plotly's cartesian partial bundle (heatmap, scatter, bar, histogram), from the installed package. */
function plotly(): Asset {
  const file = createRequire(import.meta.url).resolve('plotly.js-cartesian-dist-min');
  return asset('plotly-cartesian', 'min.js', 'text/javascript; charset=utf-8', readFileSync(file));
}

/**
 * The page's own script and styles. An installed package serves what `npm run build` bundled into
 * dist/visual/assets; run from the TypeScript sources (tests, tsx), the page is bundled here with
 * esbuild (a devDependency) once at start.
 */
async function pageBundle(): Promise<{ js: Buffer; css: Buffer }> {
  if (!fromSource) {
    const js = path.join(here, 'assets', 'app.js');
    const css = path.join(here, 'assets', 'app.css');
    if (!existsSync(js) || !existsSync(css)) throw new RgSchemaError(`The viewer's page is missing from ${path.dirname(js)}: run \`npm run build\`.`);
    return { js: readFileSync(js), css: readFileSync(css) };
  }
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(here, 'page', 'main.ts')],
    bundle: true, write: false, minify: true, format: 'iife', target: 'es2020',
    outdir: 'out', entryNames: 'app', logLevel: 'silent',
  });
  const find = (ext: string): Buffer => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!file) throw new RgSchemaError(`esbuild produced no ${ext} for the viewer's page.`);
    return Buffer.from(file.contents);
  };
  return { js: find('.js'), css: find('.css') };
}

let loading: Promise<PageAssets> | undefined;

/**
 * The page's assets, read (or bundled) once per process.
 *
 * @example
 * ```ts
 * (await pageAssets()).plotly.name; // 'plotly-cartesian-7c593b9eda0e.min.js'
 * ```
 */
export function pageAssets(): Promise<PageAssets> {
  loading ??= pageBundle().then(({ js, css }) => ({
    plotly: plotly(),
    app: asset('app', 'js', 'text/javascript; charset=utf-8', js),
    css: asset('app', 'css', 'text/css; charset=utf-8', css),
  })).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
