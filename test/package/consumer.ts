/**
 * A fresh consumer project with rg-schema installed from its packed tarball, as a user gets it.
 *
 * The tarball is packed from a staging copy of the files package.json ships (built there), so the
 * checkout's own dist/ is left alone while other tests run. Dependencies come from the registry
 * through npm's cache; better-sqlite3's native addon is copied from this checkout instead of
 * being compiled again (about a minute; the README's install notes say so).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface Consumer {
  /** The consumer project's folder. */
  readonly dir: string;
  /** The installed package's folder (node_modules/rg-schema). */
  readonly installed: string;
  /** The tarball's path. */
  readonly tarball: string;
  /** Runs a command in the consumer project, with no database configured. */
  run(command: string, args: string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
  write(file: string, text: string): string;
}

function devVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function pack(): Promise<string> {
  const stage = mkdtempSync(path.join(tmpdir(), 'rg-pack-'));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
  for (const entry of [...pkg.files.filter((f) => f !== 'dist'), 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    if (existsSync(path.join(root, entry))) cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  await exec(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: stage });
  const { stdout } = await exec(npm, ['pack', '--ignore-scripts', '--silent'], { cwd: stage });
  return path.join(stage, stdout.trim().split('\n').pop()!);
}

/** Packs, then installs the tarball with typescript and @types/node into a new folder. */
export async function makeConsumer(): Promise<Consumer> {
  const tarball = await pack();
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-consumer-'));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  await exec(npm, [
    'install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error',
    tarball, `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`,
  ], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  mkdirSync(path.dirname(path.join(dir, addon)), { recursive: true });
  cpSync(path.join(root, addon), path.join(dir, addon));
  const env = { ...process.env, RG_DB_URL: '', DJ_HOST: '', RG_CONFIG: '', NODE_OPTIONS: '' };
  return {
    dir,
    tarball,
    installed: path.join(dir, 'node_modules/rg-schema'),
    run: (command, args, extra = {}) => exec(command, args, { cwd: dir, env: { ...env, ...extra }, maxBuffer: 16 * 1024 * 1024 }),
    write: (file, text) => {
      const target = path.join(dir, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
      return target;
    },
  };
}

/** Every file under a folder, relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * The fenced ```ts blocks of a Markdown text, in order; a block right after the (invisible) line
 * `<!-- typecheck: skip … -->` is a fragment, left out.
 */
export function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^(<!-- typecheck: skip[^\n]*-->\n)?```ts\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === undefined).map((m) => m[2]!);
}
