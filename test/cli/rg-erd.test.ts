import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const cli = path.resolve('src/cli/rg-erd.ts');
const tsx = import.meta.resolve('tsx');
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

type Outcome = { stdout: string; stderr: string; code: number };

async function erd(cwd: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', tsx, cli, ...args], { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const titles = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/<title>([^<]+)<\/title>/g)].map((m) => m[1]!).slice(1).filter((t) => !t.includes('&#45;'));

describe('rg-erd', () => {
  it('prints its version', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-cli-'));
    expect(await erd(dir, ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('says what it draws, and creates nothing but the picture', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-cli-'));
    const result = await erd(dir, ['out.svg']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('wrote out.svg: the RGC pipeline that comes with rg-schema (schema rgc; --module or --db draws yours); 8 tables, 7 foreign keys\n');
    expect(readdirSync(dir)).toEqual(['out.svg']);
  });

  it('finds a Part by the class name a user imports, as well as by Master.Part', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-cli-'));
    await erd(dir, ['short.svg', '--table', 'Spike', '--up', '2', '--down', '0']);
    await erd(dir, ['long.svg', '--table', 'Stimulation.Spike', '--up', '2', '--down', '0']);
    expect(titles(path.join(dir, 'short.svg')).sort()).toEqual(['Stimulation', 'Stimulation.Neuron', 'Stimulation.Spike']);
    expect(titles(path.join(dir, 'long.svg')).sort()).toEqual(['Stimulation', 'Stimulation.Neuron', 'Stimulation.Spike']);
  });

  it('draws the schemas a TypeScript module exports', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-cli-'));
    const lib = path.resolve('src/index.ts');
    writeFileSync(path.join(dir, 'lab.ts'), `
      import { Manual, Computed, Schema } from ${JSON.stringify(lib)};
      export const lab = new Schema('lab');
      @lab class Mouse extends Manual { static override definition = 'mouse: int'; }
      @lab export class Weight extends Computed {
        static override definition = '-> Mouse\\n---\\ngrams: float';
        async make(): Promise<void> {}
      }
      void Mouse;
    `);
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { experimentalDecorators: true } }));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const result = await erd(dir, ['lab.dot', '--module', 'lab.ts']);
    expect(result.stdout).toBe('wrote lab.dot: the schemas lab.ts exports (lab); 2 tables, 1 foreign key\n');
    expect(readFileSync(path.join(dir, 'lab.dot'), 'utf8')).toContain('"Mouse" -> "Weight" [style=solid');
  });

  it.each([
    [['out.xml'], /^rg-erd: Cannot tell the format of "out.xml": name it .svg, .dot or .mmd.$/m],
    [['out.svg', '--down', 'abc'], /--down takes a whole number of at least 0, not "abc"\./],
    [['out.svg', '--up', '-1'], /--up takes a whole number of at least 0, not "-1"\./],
    [['out.svg', '--table', 'Spikes'], /^rg-erd: No table "Spikes" in the diagram; tables: DataSource, .*Stimulation\.Spike, Subject\.$/m],
    [['out.svg', '--db', 'sqlite://missing.sqlite'], /^rg-erd: --db and --schema go together/m],
    [['out.svg', '--db', 'sqlite://missing.sqlite', '--schema', 'rgc'], /^rg-erd: --db sqlite:\/\/missing.sqlite: there is no SQLite file at .*missing.sqlite\.$/m],
    [['out.svg', '--bogus'], /unknown option '--bogus'/],
  ])('refuses %j with exit code 2 and a sentence, creating nothing', async (args, message) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-cli-'));
    const result = await erd(dir, args);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});
