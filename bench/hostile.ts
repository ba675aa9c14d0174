/**
 * Issue 12: hostile sizes stay bounded. A local server streams 2 GB of JSON-looking bytes as fast
 * as they are read; http/json stops at its size cap. Reported: bytes the server got out, seconds,
 * and the reader process's peak memory (a child process, so the figure is its own).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamSpaces } from '../test/fixtures/endless-server.js';
import { printTable } from './util.js';

async function measure(capMiB: number): Promise<Record<string, string | number>> {
  const sent = { bytes: 0 };
  const server = createServer((_, res) => streamSpaces(res, 2 * 2 ** 30, sent));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/huge.json`;
  const script = `
    const { readSource } = await import(${JSON.stringify(new URL('../src/index.ts', import.meta.url).pathname)});
    const started = Date.now();
    const outcome = await readSource({ type: 'http/json', access: ${JSON.stringify(url)}, max_bytes: ${capMiB * 2 ** 20} }).then(() => 'read', (e) => e.message.slice(0, 40));
    console.log(JSON.stringify({ seconds: (Date.now() - started) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, outcome }));`;
  const output = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', () => resolve(out));
  });
  server.closeAllConnections();
  server.close();
  const result = JSON.parse(output.trim().split('\n').pop()!) as { seconds: number; maxRssMiB: number };
  return { 'cap (MiB)': capMiB, 'server sent (MiB)': Math.round(sent.bytes / 2 ** 20), seconds: result.seconds, 'reader peak RSS (MiB)': Math.round(result.maxRssMiB) };
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  return [await measure(64), await measure(256), await measure(1024)];
}
