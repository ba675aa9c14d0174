/**
 * rg-pipeline's command line as a user meets it: --version everywhere, bad values refused with
 * exit code 2 and a sentence, clean refusing without a terminal, and commands that only read
 * creating nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { servers } from '../setup/dialects.js';

const exec = promisify(execFile);
const cli = path.resolve('src/cli/rg-pipeline.ts');
const tsx = import.meta.resolve('tsx');
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

type Outcome = { stdout: string; stderr: string; code: number };

/** Runs rg-pipeline with no database configured and stdin a pipe (no terminal). */
async function pipeline(cwd: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', tsx, cli, ...args], { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '', RG_DB_PREFIX: '', DJ_DATABASE_PREFIX: '' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const fresh = (): string => mkdtempSync(path.join(tmpdir(), 'rg-usage-'));

describe('rg-pipeline command line', () => {
  it.each([[[]], [['status']], [['populate']], [['synth']]])('prints its version: %j --version', async (args) => {
    expect(await pipeline(fresh(), [...args, '--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('rg-schema prints its version too, and refuses codegen without --schema with exit code 2', async () => {
    const bin = path.resolve('src/cli/rg-schema.ts');
    const { stdout } = await exec(process.execPath, ['--import', tsx, bin, '--version']);
    expect(stdout).toBe(`${version}\n`);
    await expect(exec(process.execPath, ['--import', tsx, bin, 'codegen'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("required option '--schema <name>' not specified") });
  });

  it.each([
    [['populate', '--workers', 'abc'], /--workers takes a whole number of at least 1, not "abc"\./],
    [['populate', '--workers', '0'], /--workers takes a whole number of at least 1, not "0"\./],
    [['populate', '--workers-start', 'later'], /argument 'later' is invalid\. Allowed choices are idle-cores, all\./],
    [['populate', 'Spikes'], /^rg-pipeline: "Spikes" is not an auto-populated table of the pipeline; choose Stimulation or SpikeTriggeredAverage\.$/m],
    [['synth', 'data', '--scale', 'abc'], /--scale takes a number greater than 0, such as 0\.05, not "abc"\./],
    [['synth', 'data', '--format', 'xml'], /argument 'xml' is invalid\. Allowed choices are pickle, json\./],
    [['demo', '--scale', '-1'], /--scale takes a number greater than 0/],
    [['load', 'm.json', '--max-bytes', '1e'], /--max-bytes takes a whole number of at least 1, not "1e"\./],
    [['erd', 'out.xml'], /^rg-pipeline: Cannot tell the format of "out.xml": name it \.svg, \.dot or \.mmd\.$/m],
    [['statsu'], /unknown command 'statsu'[\s\S]*Did you mean status\?/],
    [['clean'], /^rg-pipeline: refusing to drop every table of rgc on sqlite:\/\/.*rg\.sqlite without asking, and there is no terminal to ask on\. Pass --yes to drop without asking\.$/m],
  ])('refuses %j with exit code 2 and a sentence, creating nothing', async (args, message) => {
    const dir = fresh();
    const result = await pipeline(dir, args);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('clean without a terminal leaves the tables alone', async () => {
    const dir = fresh();
    expect((await pipeline(dir, ['build'])).code).toBe(0);
    expect((await pipeline(dir, ['clean'])).code).toBe(2);
    const status = JSON.parse((await pipeline(dir, ['status', '--json'])).stdout) as { exists: boolean };
    expect(status.exists).toBe(true);
  });

  it('speaks to users in its help: no internals of the original project', async () => {
    const helps = await Promise.all([[], ['check'], ['populate'], ['synth'], ['load'], ['clean']].map((args) => pipeline(fresh(), [...args, '--help'])));
    for (const help of helps) {
      expect(help.code).toBe(0);
      expect(help.stdout).not.toMatch(/the seed/i);
    }
    expect(helps[1]!.stdout.replace(/\s+/g, ' ')).toContain("compatible with the original rg_pipeline's -t");
  });

  it('status, check and erd create no file or folder on SQLite', async () => {
    const dir = fresh();
    const status = await pipeline(dir, ['status']);
    expect(status.stdout).toMatch(/^nothing loaded yet/m);
    expect(JSON.parse((await pipeline(dir, ['status', '--json'])).stdout)).toMatchObject({ exists: false, schema: 'rgc' });
    expect(await pipeline(dir, ['check'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^nothing to check: schema rgc does not exist yet/m) });
    expect(JSON.parse((await pipeline(dir, ['check', '--json'])).stdout)).toMatchObject({ connected: false, exists: false, ok: true });
    expect((await pipeline(dir, ['erd', 'erd.mmd'])).code).toBe(0);
    expect(readdirSync(dir)).toEqual(['erd.mmd']);
  });

  it.each(servers)('status and check create no database on $name', async (server) => {
    const url = server.url('usage');
    const db = ['--db', url, '--prefix', 'rgt_usage_readonly_'];
    expect((await pipeline(fresh(), [...db, 'status'])).stdout).toMatch(/^nothing loaded yet/m);
    expect(await pipeline(fresh(), [...db, 'check'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^connected: (mysql|postgres):\/\//m) });
    const u = new URL(url);
    if (server.name === 'postgres') {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const { rows } = await c.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rgt\\_usage\\_readonly\\_%'");
      await c.end();
      expect(rows).toEqual([]);
      return;
    }
    const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    const [rows] = await c.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'rgt\\_usage\\_readonly\\_%'");
    await c.end();
    expect(rows).toEqual([]);
  });
});
