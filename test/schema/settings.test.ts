import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { redactCredentials, redactUrl, resolveConnectionSpec } from '../../src/index.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-settings-'));
  mkdirSync(path.join(dir, '.git'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const password = (spec: ReturnType<typeof resolveConnectionSpec>): unknown => (spec.knexConfig.connection as { password?: string }).password;

describe("DataJoint 2's settings", () => {
  it('DJ_DATABASE_PREFIX names the prefix; RG_DB_PREFIX and DJ_PREFIX remain aliases', () => {
    const cwd = project({});
    const url = 'sqlite://x.sqlite';
    expect(resolveConnectionSpec({ connection: url, cwd, env: { DJ_DATABASE_PREFIX: 'lab_' } }).prefix).toBe('lab_');
    expect(resolveConnectionSpec({ connection: url, cwd, env: { RG_DB_PREFIX: 'rg_' } }).prefix).toBe('rg_');
    expect(resolveConnectionSpec({ connection: url, cwd, env: { DJ_PREFIX: 'dj_' } }).prefix).toBe('dj_');
    expect(resolveConnectionSpec({ connection: url, cwd, env: { DJ_DATABASE_PREFIX: 'lab_', RG_DB_PREFIX: 'rg_' } }).prefix).toBe('lab_');
    expect(resolveConnectionSpec({ connection: url, cwd, env: { DJ_DATABASE_PREFIX: 'lab_' }, prefix: 'mine_' }).prefix).toBe('mine_');
  });

  it('reads datajoint.json (nested or flat) from a parent folder, with .secrets/ files, the environment winning', () => {
    const dir = project({
      'datajoint.json': JSON.stringify({ database: { host: 'db.lab.org', port: 3307, database_prefix: 'lab_' } }),
      '.secrets/database.user': 'alice\n',
      '.secrets/database.password': 'from-secrets\n',
    });
    chmodSync(path.join(dir, '.secrets/database.password'), 0o600);
    const cwd = path.join(dir, 'src', 'analysis');
    mkdirSync(cwd, { recursive: true });
    const spec = resolveConnectionSpec({ cwd, env: {} });
    expect([spec.dialect, spec.display, spec.prefix, password(spec)]).toEqual(['mysql', 'mysql://alice@db.lab.org:3307', 'lab_', 'from-secrets']);
    expect(spec.source).toContain(path.join(dir, 'datajoint.json'));
    const overridden = resolveConnectionSpec({ cwd, env: { DJ_USER: 'bob', DJ_PASS: 'from-env', DJ_DATABASE_PREFIX: 'env_' } });
    expect([overridden.display, overridden.prefix, password(overridden)]).toEqual(['mysql://bob@db.lab.org:3307', 'env_', 'from-env']);
    const flat = project({ 'datajoint.json': JSON.stringify({ 'database.host': 'flat.lab.org', 'database.user': 'carol' }), '.secrets/datajoint.json': JSON.stringify({ 'database.password': 'pw' }) });
    chmodSync(path.join(flat, '.secrets/datajoint.json'), 0o600);
    const f = resolveConnectionSpec({ cwd: flat, env: {} });
    expect([f.display, password(f)]).toEqual(['mysql://carol@flat.lab.org:3306', 'pw']);
  });

  it('DJ_HOST takes its user and password from .secrets/ when the environment has none', () => {
    const dir = project({ 'datajoint.json': '{}', '.secrets/database.password': 'pw' });
    chmodSync(path.join(dir, '.secrets/database.password'), 0o600);
    expect(password(resolveConnectionSpec({ cwd: dir, env: { DJ_HOST: 'h' } }))).toBe('pw');
  });

  it('stops at the project boundary and falls back to SQLite; config.ini comes before datajoint.json', () => {
    const outer = project({ 'datajoint.json': JSON.stringify({ database: { host: 'outer' } }) });
    const inner = path.join(outer, 'inner');
    mkdirSync(path.join(inner, '.git'), { recursive: true });
    expect(resolveConnectionSpec({ cwd: inner, env: {} }).dialect).toBe('sqlite');
    writeFileSync(path.join(outer, 'config.ini'), '[DEFAULT]\ndatabase = ini-host\n');
    expect(resolveConnectionSpec({ cwd: outer, env: {} }).display).toBe('mysql://root@ini-host:3306');
  });

  it('warns about a password file others can read', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const dir = project({ 'datajoint.json': JSON.stringify({ database: { host: 'h', password: 'in-json' } }) });
    chmodSync(path.join(dir, 'datajoint.json'), 0o644);
    resolveConnectionSpec({ cwd: dir, env: {} });
    expect(warn.mock.calls.flat().join('\n')).toMatch(/datajoint\.json holds a database password and other users can read it \(mode 644\)/);
    expect(warn.mock.calls.flat().join('\n')).not.toContain('in-json');
    warn.mockRestore();
  });

  it('a URL without a password takes it from RG_DB_PASSWORD, then DJ_PASS; an explicit empty one stays empty', () => {
    expect(password(resolveConnectionSpec({ connection: 'mysql://u@h', env: { RG_DB_PASSWORD: 'a', DJ_PASS: 'b' } }))).toBe('a');
    expect(password(resolveConnectionSpec({ connection: 'mysql://u@h', env: { DJ_PASS: 'b' } }))).toBe('b');
    expect(password(resolveConnectionSpec({ connection: 'mysql://u:@h', env: { RG_DB_PASSWORD: 'a' } }))).toBe('');
  });
});

describe('redacting credentials', () => {
  it.each([
    ['mysql://me:s3cret@db:3306/lab', 'mysql://me@db:3306/lab'],
    ['mysql://me:p@ss@db/lab', 'mysql://me@db/lab'],
    ['mysql://me:a/b@db/lab', 'mysql://me@db/lab'],
    ['mysql://me:a#b@db/lab', 'mysql://me@db/lab'],
    ['http://u:p%40ss@host/a@b.json', 'http://u@host/a@b.json'],
    ['http://host/a@b.json', 'http://host/a@b.json'],
    ['https://h/x.json?token=abc&x=1&api_key=zz', 'https://h/x.json?token=***&x=1&api_key=***'],
    ['sqlite:///tmp/x.sqlite', 'sqlite:///tmp/x.sqlite'],
    ['not a url', 'not a url'],
  ])('%s → %s', (input, output) => {
    expect(redactUrl(input)).toBe(output);
  });

  it('finds URLs inside free text', () => {
    expect(redactCredentials('cannot reach mysql://root:hunter2@db:3306 (and http://a:b@c/d).')).toBe('cannot reach mysql://root@db:3306 (and http://a@c/d).');
  });
});
