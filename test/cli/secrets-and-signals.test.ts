/**
 * No password in any output, none in a worker's environment, passwords from a prompt or the
 * environment, and Ctrl-C stopping populate workers: through the real command line.
 */
import { execFile, spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect, promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, loadManifest, readSource, resolveConnectionSpec } from '../../src/index.js';
import { dialects } from '../setup/dialects.js';

const run = promisify(execFile);
const cli = path.resolve('src/cli/rg-pipeline.ts');
const tsx = import.meta.resolve('tsx');
const mariadb = dialects.find((d) => d.name === 'mysql');
const SECRET = 'S3cr3t/p@ss:w0rd#1';
const ENCODED = encodeURIComponent(SECRET);
const forms = [SECRET, ENCODED, 'S3cr3t', 'w0rd'];
const hasScript = (() => { try { execFileSync('script', ['--version']); return true; } catch { return false; } })();

interface Result { code: number; stdout: string; stderr: string }

function rg(cwd: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function expectNoSecret(text: string): void {
  for (const form of forms) expect(text).not.toContain(form);
}

afterAll(() => Connection.closeAll());

describe.runIf(mariadb)('a MariaDB user with a password', () => {
  const url = new URL(mariadb?.url('secrets') ?? 'mysql://x@y');
  const host = `${url.hostname}:${url.port || 3306}`;
  const withSecret = `mysql://rgt_leaky:${ENCODED}@${host}`;
  beforeAll(async () => {
    const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    await c.query("DROP USER IF EXISTS 'rgt_leaky'@'%'");
    await c.query("DROP USER IF EXISTS 'rgt_leaky'@'localhost'");
    for (const h of ['%', 'localhost']) {
      await c.query(`CREATE USER 'rgt_leaky'@'${h}' IDENTIFIED BY ?`, [SECRET]);
      await c.query(`GRANT ALL ON \`rgt\\_leak\\_%\`.* TO 'rgt_leaky'@'${h}'`);
    }
    await c.end();
  });

  it('never prints the password, whatever the command, the error or the way it was given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-leak-'));
    const db = ['--db', withSecret, '--prefix', 'rgt_leak_'];
    let all = '';
    const collect = (r: Result): Result => { all += r.stdout + r.stderr; return r; };
    collect(await rg(dir, [...db, 'clean', '--yes']));
    collect(await rg(dir, ['synth', 'data', '--scale', '0.01', '--seed', '2']));
    // A manifest whose sources carry passwords too: a database that does not exist, a closed port.
    writeFileSync(path.join(dir, 'leaky.json'), JSON.stringify([
      { type: 'file/pickle', access: 'data/ret1_data.pkl' },
      { type: 'database/mysql', access: `mysql://rgt_leaky:${ENCODED}@${host}/rgt_leak_nowhere` },
      { type: 'http/json', access: `http://rgt_leaky:${ENCODED}@127.0.0.1:9/data.json`, connect_timeout: 1 },
      { type: 'database/mysql', access: `mysql://rgt_leaky:${SECRET}@${host}/x` },
    ]));
    const load = collect(await rg(dir, [...db, 'load', 'leaky.json']));
    expect(load.code).toBe(1);
    expect(load.stdout).toMatch(/^loaded {4}file\/pickle .*ret1_data\.pkl \(16 sessions\)$/m);
    expect(load.stdout.match(/^failed/gm)).toHaveLength(3);
    expect(load.stdout).toContain(`database/mysql mysql://rgt_leaky@${host}/rgt_leak_nowhere`);
    expect(collect(await rg(dir, [...db, 'status'])).stdout).toMatch(/^Session\s+16 rows/m);
    expect(collect(await rg(dir, [...db, 'populate', 'SpikeTriggeredAverage', '--workers', '2', '--workers-start', 'all', '--no-display'])).code).toBe(0);
    expect(collect(await rg(dir, [...db, 'check'])).code).toBe(0);
    collect(await rg(dir, [...db, 'build']));
    // -u/-p, the environment, a prompt fed on stdin: all connect, none print it.
    expect(collect(await rg(dir, ['--db', host, '-u', 'rgt_leaky', '-p', SECRET, '--prefix', 'rgt_leak_', 'status'])).stdout).toMatch(/^Session\s+16 rows/m);
    expect(collect(await rg(dir, ['--db', host, '-u', 'rgt_leaky', '--prefix', 'rgt_leak_', 'status'], { RG_DB_PASSWORD: SECRET })).stdout).toMatch(/^Session\s+16 rows/m);
    expect(collect(await rg(dir, ['--db', host, '-u', 'rgt_leaky', '--prefix', 'rgt_leak_', 'status'], { DJ_PASS: SECRET })).stdout).toMatch(/^Session\s+16 rows/m);
    expect(collect(await rg(dir, ['--db', host, '-u', 'rgt_leaky', '-p', '--prefix', 'rgt_leak_', 'status'], {}, `${SECRET}\n`)).stdout).toMatch(/^Session\s+16 rows/m);
    expect(collect(await rg(dir, ['--db', host, '-u', 'rgt_leaky', '--prefix', 'rgt_leak_', '-p', 'status'], {}, `${SECRET}\n`)).stdout).toMatch(/^Session\s+16 rows/m);
    // Wrong passwords and unreachable servers fail, naming the target and not the secret.
    const wrong = collect(await rg(dir, ['--db', `mysql://rgt_leaky:${ENCODED}x@${host}`, 'status']));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/rgt_leaky@/);
    collect(await rg(dir, ['--db', `mysql://rgt_leaky:${ENCODED}@127.0.0.1:9`, 'check']));
    collect(await rg(dir, ['--db', `mysql://rgt_leaky:${SECRET}@${host}`, 'status']));
    collect(await rg(dir, ['--db', withSecret, '--prefix', 'rgt_leak_', 'populate', 'NoSuchTable']));
    collect(await rg(dir, [...db, 'clean', '--yes']));
    expectNoSecret(all);
    expect(all).toContain('rgt_leaky');
  }, 300_000);

  it.runIf(hasScript)('-p alone on a terminal asks without echo', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-tty-'));
    const command = [process.execPath, '--import', tsx, cli, '--db', host, '-u', 'rgt_leaky', '-p', '--prefix', 'rgt_leak_', 'status'].map((a) => `'${a}'`).join(' ');
    // script(1) gives the command a pseudo-terminal; the password is typed once the prompt shows.
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
      if (screen.includes('Password for rgt_leaky@') && !child.stdin.writableEnded) child.stdin.end(`${SECRET}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Connected: status reports the rows, or (the database dropped by the test before) that nothing is loaded.
    expect(screen).toMatch(/^(Session\s+\d+ rows|nothing loaded yet)/m);
    expect(code).toBe(0);
    expectNoSecret(screen);
  }, 60_000);

  it('thrown errors keep no password in their message, .sql, .params, cause or stack', async () => {
    const errors: unknown[] = [];
    await readSource({ type: 'database/mysql', access: `mysql://rgt_leaky:${ENCODED}@${host}/rgt_leak_none` }).catch((e: unknown) => errors.push(e));
    await readSource({ type: 'http/json', access: `http://u:${ENCODED}@127.0.0.1:9/x`, connect_timeout: 1 }).catch((e: unknown) => errors.push(e));
    await readSource({ type: 'http/json', access: `http://u:${SECRET}@127.0.0.1:9/x`, connect_timeout: 1 }).catch((e: unknown) => errors.push(e));
    const connection = Connection.for(resolveConnectionSpec({ connection: `mysql://rgt_leaky:${ENCODED}x@${host}` }));
    await connection.query('SELECT 1').catch((e: unknown) => errors.push(e));
    const good = Connection.for(resolveConnectionSpec({ connection: withSecret }));
    await good.query(`SELECT nonsense FROM nowhere WHERE note = ?`, [`see mysql://a:${ENCODED}@b/c`]).catch((e: unknown) => errors.push(e));
    const summary = await loadManifest([{ type: 'http/json', access: `http://u:${ENCODED}@127.0.0.1:9/x`, connect_timeout: 1 }]).catch((e: unknown) => e);
    expect(errors).toHaveLength(5);
    expectNoSecret(errors.map((e) => inspect(e, { depth: 10, showHidden: true })).join('\n') + inspect(summary, { depth: 10 }));
  }, 60_000);

  it('worker processes hold no password in their environment, yet connect', async () => {
    const script = `
      const m = await import(${JSON.stringify(path.resolve('test/fixtures/populate-pipeline.ts'))});
      await m.schema.drop({ force: true });
      await m.Item.insert([1, 2, 3, 4].map((item) => ({ item })));
      const r = await m.Work.populate({ workers: 2, workersStart: 'all', workerModule: { path: ${JSON.stringify(path.resolve('test/fixtures/populate-pipeline.ts'))}, exportName: 'Work' } });
      console.log('DONE', r.successCount, r.errors.length);
      await m.schema.drop({ force: true });
      const { Connection } = await import(${JSON.stringify(path.resolve('src/index.ts'))});
      await Connection.closeAll();`;
    const { stdout } = await run(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      env: { ...process.env, RG_DB_URL: withSecret, RG_DB_PASSWORD: SECRET, DJ_PASS: SECRET, RG_SOURCE_PASSWORD: SECRET, RG_TEST_PRINT_ENV: '1', RG_TEST_SCHEMA: 'rgt_leak_workers', DJ_HOST: '' },
    });
    expect(stdout).toContain('DONE 4 0');
    // workers: 2 is this process and one worker process.
    expect(stdout.match(/WORKER ENV/g)).toHaveLength(1);
    expectNoSecret(stdout);
  }, 120_000);
});

describe('Ctrl-C on rg-pipeline populate --workers', () => {
  it('stops the workers and exits 130', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-sigint-'));
    await run(process.execPath, ['--import', tsx, cli, 'synth', 'data', '--scale', '0.05', '--seed', '3'], { cwd: dir, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' } });
    await run(process.execPath, ['--import', tsx, cli, 'load', 'data/manifest.json'], { cwd: dir, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' } });
    const child = spawn(process.execPath, ['--import', tsx, cli, 'populate', 'SpikeTriggeredAverage', '--workers', '3', '--workers-start', 'all', '--no-display'], { cwd: dir, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const workersOf = (): number[] => {
      try {
        return execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    let workers: number[] = [];
    // --workers 3: this process and two worker processes.
    for (let i = 0; i < 300 && workers.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      workers = workersOf();
    }
    expect(workers).toHaveLength(2);
    // Soon after the workers exist (still starting, or at work): on a quick machine the whole
    // populate of scale 0.05 once ended within 1.5 s of this point, before the Ctrl-C came.
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output).toMatch(/interrupted \(SIGINT\); its 2 worker processes were stopped, and this process gave back the keys it held/);
    const alive = workers.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
    expect(alive).toEqual([]);
  }, 180_000);
});

describe('config files holding passwords', () => {
  it('warns when config.ini is readable by others, and not once it is not', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-ini-'));
    writeFileSync(path.join(dir, 'config.ini'), '[DEFAULT]\ndatabase = 127.0.0.1:9\nuser = someone\npwd = hunter2\n');
    chmodSync(path.join(dir, 'config.ini'), 0o644);
    const open = await rg(dir, ['-c', 'config.ini', 'status']);
    expect(open.stderr).toMatch(/warning: .*config\.ini holds a database password and other users can read it \(mode 644\); run: chmod 600/);
    expect(open.stderr + open.stdout).not.toContain('hunter2');
    chmodSync(path.join(dir, 'config.ini'), 0o600);
    expect((await rg(dir, ['-c', 'config.ini', 'status'])).stderr).not.toMatch(/warning/);
  }, 60_000);
});
