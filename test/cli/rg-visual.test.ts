import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import type { SessionItem } from '../../src/visual/api-types.js';
import { dialects } from '../setup/dialects.js';
import { demoDatabase } from '../visual/demo-database.js';

const run = promisify(execFile);
const tsx = import.meta.resolve('tsx');
const visual = path.resolve('src/cli/rg-visual.ts');
const pipeline = path.resolve('src/cli/rg-pipeline.ts');
const env = { ...process.env, RG_DB_URL: '', DJ_HOST: '', RG_CONFIG: '' };

afterAll(() => Connection.closeAll());

/** A running rg-visual: its output so far, and a way to wait for a line of it. */
function start(args: string[], cwd = process.cwd()): { child: ChildProcess; output: () => string; waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', tsx, visual, ...args], { cwd, env });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (let waited = 0; waited < 60_000; waited += 100) {
      const match = pattern.exec(output);
      if (match) return match;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`rg-visual never printed ${pattern}; it printed:\n${output}`);
  };
  return { child, output: () => output, waitFor, exit };
}

describe.each(dialects)('rg-visual command on $name', (dialect) => {
  it('takes rg-pipeline\'s connection options, prints its URL, serves the pipeline, and exits 0 on Ctrl-C', async () => {
    const demo = await demoDatabase(dialect, `visual_cli_${dialect.name}`, 0.02);
    // MariaDB the way the original command line spelled it: -db HOST -u USER.
    const url = new URL(demo.url);
    const connection = dialect.name === 'mysql' ? ['-db', `${url.hostname}:${url.port}`, '-u', decodeURIComponent(url.username) || 'root'] : ['--db', demo.url];
    const viewer = start([...connection, '--prefix', demo.prefix, '--port', '0', '--cache-mb', '64']);
    try {
      const [, address] = await viewer.waitFor(/^rg-visual: (http:\/\/127\.0\.0\.1:\d+\/) \(database (\S+), read-only; movie cache 64 MB\)$/m);
      await viewer.waitFor(/Press Ctrl-C to stop\./);
      expect(viewer.output()).not.toMatch(/Not ready/);
      const sessions = await (await fetch(`${address}api/sessions`)).json() as SessionItem[];
      expect(sessions).toHaveLength(16);
      expect((await fetch(address!)).status).toBe(200);
      viewer.child.kill('SIGINT');
      expect(await viewer.exit).toBe(0);
      expect(viewer.output()).toContain('rg-visual: interrupted, closing');
    } finally {
      viewer.child.kill('SIGKILL');
    }
  }, 240_000);
});

describe('rg-visual command', () => {
  it('shows the demo data after `rg-pipeline demo`, with no options at all', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-visual-demo-'));
    const empty = start(['--port', '0'], dir);
    try {
      await empty.waitFor(/Press Ctrl-C to stop\./);
      expect(empty.output()).toContain(`Not ready yet (the page says so until it is): There is no database file at ${path.join(dir, 'rg-data', 'rg.sqlite')}. Make one with \`npx rg-pipeline demo\``);
      expect(existsSync(path.join(dir, 'rg-data'))).toBe(false);
    } finally {
      empty.child.kill('SIGINT');
      await empty.exit;
    }
    await run(process.execPath, ['--import', tsx, pipeline, 'demo', '--scale', '0.01'], { cwd: dir, env });
    const viewer = start(['--port', '0'], dir);
    try {
      const [, address] = await viewer.waitFor(/^rg-visual: (http:\/\/127\.0\.0\.1:\d+\/) \(database sqlite:\/\/(\S+),/m);
      await viewer.waitFor(/Press Ctrl-C to stop\./);
      expect(viewer.output()).toContain(`database sqlite://${path.join(dir, 'rg-data', 'rg.sqlite')}`);
      const sessions = await (await fetch(`${address}api/sessions`)).json() as SessionItem[];
      expect(sessions.map((s) => s.subject_name)).toContain('KO (chx10)');
      viewer.child.kill('SIGTERM');
      expect(await viewer.exit).toBe(0);
    } finally {
      viewer.child.kill('SIGKILL');
    }
  }, 180_000);

  it('says which server it cannot reach, never the password, and says when it is shared with the network', async () => {
    const viewer = start(['-db', '127.0.0.1:1', '-u', 'someone', '-p', 'hunter2', '--port', '0', '--host', '0.0.0.0']);
    try {
      await viewer.waitFor(/Press Ctrl-C to stop\./);
      expect(viewer.output()).toMatch(/^rg-visual: http:\/\/127\.0\.0\.1:\d+\/ \(database mysql:\/\/someone@127\.0\.0\.1:1, read-only/m);
      expect(viewer.output()).toMatch(/^Listening on every network interface: anyone who can reach this machine can read this database/m);
      expect(viewer.output()).toContain('Not ready yet (the page says so until it is): Cannot reach the database mysql://someone@127.0.0.1:1: the connection was refused');
      expect(viewer.output()).not.toContain('hunter2');
    } finally {
      viewer.child.kill('SIGINT');
      expect(await viewer.exit).toBe(0);
    }
  }, 60_000);

  it('refuses a bad option value with a sentence and exit code 2, and prints its version', async () => {
    const bad = start(['--port', 'eighty']);
    expect(await bad.exit).toBe(2);
    expect(bad.output()).toContain('--port must be a whole number from 0 to 65535.');
    const version = start(['--version']);
    expect(await version.exit).toBe(0);
    expect(version.output().trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  }, 60_000);
});
