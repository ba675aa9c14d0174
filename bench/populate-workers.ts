/**
 * Issue 15: when do worker processes pay? `rg-pipeline populate SpikeTriggeredAverage --workers N`
 * on the 531-key synthetic dataset (scale 0.02, seed 4), on SQLite and MariaDB, from the built
 * package (what users run), next to what one worker process costs to start.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MYSQL_URL, time } from './util.js';

const exec = promisify(execFile);
const cli = path.resolve('dist/cli/rg-pipeline.js');

async function pipeline(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [cli, ...args], { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' }, maxBuffer: 1 << 24 });
  return stdout;
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  if (!existsSync(cli)) await exec('npm', ['run', 'build'], { maxBuffer: 1 << 24 });
  const rows: Array<Record<string, string | number>> = [];
  const startup = await time(() => exec(process.execPath, ['-e', `await import(${JSON.stringify(path.resolve('dist/pipeline.js'))})`]));
  rows.push({ database: '-', workers: '-', what: 'start one process and import the pipeline', seconds: startup.seconds, 'keys/s': '' });
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-workers-'));
  await pipeline(dir, ['synth', 'data', '--scale', '0.02', '--seed', '4']);
  await pipeline(dir, ['load', 'data/manifest.json']);
  const loaded = path.join(dir, 'loaded');
  cpSync(path.join(dir, 'rg-data'), loaded, { recursive: true });
  const mysql = ['--db', MYSQL_URL, '--prefix', 'rgbench_workers_'];
  await pipeline(dir, [...mysql, 'clean', '--yes']);
  await pipeline(dir, [...mysql, 'load', 'data/manifest.json']);
  for (const database of ['sqlite', 'mysql'] as const) {
    for (const workers of [1, 2, 4]) {
      const db = database === 'mysql' ? mysql : [];
      if (database === 'sqlite') {
        rmSync(path.join(dir, 'rg-data'), { recursive: true, force: true });
        cpSync(loaded, path.join(dir, 'rg-data'), { recursive: true });
      } else {
        await exec(process.execPath, ['--input-type=module', '-e', `
          import { SpikeTriggeredAverage, pipeline, Connection } from ${JSON.stringify(path.resolve('dist/index.js'))};
          pipeline.configure({ connection: ${JSON.stringify(MYSQL_URL)}, prefix: 'rgbench_workers_' });
          await SpikeTriggeredAverage.deleteQuick();
          await Connection.closeAll();`], { cwd: dir });
      }
      const result = await time(() => pipeline(dir, [...db, 'populate', 'SpikeTriggeredAverage', '--workers', String(workers), '--no-display']));
      const keys = Number(/(\d+) keys populated/.exec(result.result)?.[1] ?? 0);
      rows.push({ database, workers, what: `populate ${keys} STA keys`, seconds: result.seconds, 'keys/s': keys / result.seconds });
    }
  }
  await pipeline(dir, [...mysql, 'clean', '--yes']);
  return rows;
}

