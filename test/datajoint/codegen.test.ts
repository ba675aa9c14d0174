import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Lookup, Manual, Part, Schema, checkRowTypes, codegen, type TableClass } from '../../src/index.js';
import { fixtureDatabase, loadFixture, mysqlUrl, type LoadedFixture } from '../setup/datajoint-fixtures.js';
import { dialects } from '../setup/dialects.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'test', 'generated');
const fromSrc = (file: string): string => path.relative(path.dirname(file), path.join(root, 'src/index.js')).replace(/\\/g, '/');
const onMysql = dialects.some((d) => d.name === 'mysql');

afterAll(() => Connection.closeAll());

/** Type-checks files under the project's strict settings; returns tsc's report. */
async function typecheck(files: string[]): Promise<string> {
  const config = path.join(out, `tsconfig.${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '../..' }, include: [], files }));
  try {
    await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: root });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  } finally {
    rmSync(config, { force: true });
  }
}

/** A file that uses the generated classes the way a lab would; `@ts-expect-error` lines must fail to compile. */
const usage = (module: string): string => `
import { Subject, Session, Recording } from './${module}';
export async function use(): Promise<string> {
  const rows = await Subject.fetch();
  const id: number = rows[0]!.subject_id;
  const session = await Session.restrict({ subject_id: 1, session_idx: 1 }).fetch1();
  const trace = await Recording.Channel.restrict({ channel: 0 }).fetch('trace');
  // @ts-expect-error: no such attribute
  Subject.restrict({ subjectid: 1 });
  // @ts-expect-error: subject_id is a number
  await Subject.insert1({ subject_id: 'one', subject_name: 'x', dob: '2020-01-01' });
  return rows[0]!.subject_name + session.started + String(trace.length + id);
}
`;

describe.runIf(onMysql)('rg-schema codegen on the DataJoint fixtures', () => {
  const fixtures: LoadedFixture[] = [];
  const files: Record<string, string> = {};
  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    for (const generation of ['dj23', 'dj014'] as const) {
      fixtures.push(await loadFixture(generation));
      const file = path.join(out, `${generation}.ts`);
      const cli = ['--import', import.meta.resolve('tsx'), path.join(root, 'src/cli/rg-schema.ts'), 'codegen', '--db', mysqlUrl, '--schema', fixtureDatabase(generation), '--from', fromSrc(file)];
      const { stdout, stderr } = await run(process.execPath, cli, { cwd: root });
      expect(stderr).toBe('');
      writeFileSync(file, stdout);
      writeFileSync(path.join(out, `${generation}-usage.ts`), usage(`${generation}.js`));
      files[generation] = file;
    }
  });
  afterAll(async () => {
    for (const f of fixtures) await f.release();
  });

  it('writes classes, definitions in the table\'s spelling, row interfaces, nested Parts and -> Parent lines', () => {
    const code = { dj23: readGenerated(files.dj23!), dj014: readGenerated(files.dj014!) };
    expect(code.dj23).toContain("export const schema = new Schema('dj23_fixture', { prefix: '', spelling: '2.x' });");
    expect(code.dj014).toContain("export const schema = new Schema('dj014_fixture', { prefix: '', spelling: '0.x' });");
    expect(code.dj23).toContain('export class Recording extends Imported<RecordingRow> {');
    expect(code.dj23).toContain('  static Channel = class Channel extends Part<RecordingChannelRow> {');
    expect(code.dj23).toContain("      -> Probe.proj(ref_probe='probe')");
    expect(code.dj23).toContain('    subject_id : int32  # subject number');
    expect(code.dj014).toContain('    subject_id : int  # subject number');
    expect(code.dj23).toContain('    -> [nullable] Probe');
    expect(code.dj23).toContain([
      'export interface SubjectRow {', '  subject_id: Key<number>;', '  subject_name: string;', '  sex: Default<"M" | "F" | "U">;',
      '  dob: string;', '  weight: string | null;', '  meta: unknown;', '  uid: string | null;', '}'].join('\n'));
    expect(code.dj23).toContain('export interface ExtraRow {\n  extra_id: Key<number>;\n  big: bigint;\n  flag: boolean;\n  raw: Buffer | null;');
    expect(code.dj014).toContain('  att: RgAttachment | null;');
  });

  it('type-checks under strict (with the local modules below), and a wrong attribute or value type does not', async () => {
    // One tsc run for every generated module: each run type-checks the library too.
    const local = dialects.map((d) => path.join(out, `local-${d.name}.ts`));
    const report = await typecheck([files.dj23!, files.dj014!, path.join(out, 'dj23-usage.ts'), path.join(out, 'dj014-usage.ts'), ...local]);
    // An unused @ts-expect-error is itself an error, so the usage files prove the wrong lines fail.
    expect(report).toBe('');
  });

  it.each(['dj23', 'dj014'])('round-trips: the generated %s module declares against its database (catalog check), fetches, and its row interfaces match', async (generation) => {
    const module = (await import(pathToFileURL(files[generation]!).href)) as Record<string, unknown> & { schema: Schema };
    module.schema.configure({ connection: mysqlUrl });
    await module.schema.activate();
    expect(await checkRowTypes(files[generation]!, { module, requireMarks: true })).toEqual([]);
    const Subject = module.Subject as TableClass;
    const Recording = module.Recording as TableClass & { Channel: TableClass };
    expect((await Subject.fetch('subject_name')).map((r) => r.subject_name)).toEqual(['alice', 'bob']);
    expect(await Recording.Channel.count()).toBe(6);
    const data = (await Recording.restrict({ subject_id: 2, session_idx: 1 }).fetch1()).data as { shape: number[]; get(...i: number[]): number };
    expect([data.shape, data.get(1, 2, 3)]).toEqual([[2, 3, 4], 2123]);
  });
});

function readGenerated(file: string): string {
  return readFileSync(file, 'utf8');
}

const local = new Map<string, { connection: string; schema: Schema }>();
beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  for (const dialect of dialects) {
    const connection = dialect.url('codegen');
    const schema = new Schema(`rgt_codegen_${dialect.name}`, { connection });
    await schema.drop({ force: true });
    @schema class Animal extends Manual {
      static override definition = '# an animal\nanimal_id: int unsigned auto_increment\n---\nname: varchar(32)\nborn = null : date';
      static Tag = class extends Part { static override definition = '-> master\ntag: char(8)'; };
    }
    @schema class Choice extends Lookup {
      static override definition = 'ok: bool\n---\nlabel: varchar(8)';
      static override contents = [{ ok: true, label: 'yes' }];
    }
    @schema class Vote extends Manual {
      static override definition = '-> Choice\nvoter: int32';
    }
    void Vote;
    await Animal.insert1({ name: 'a' });
    const file = path.join(out, `local-${dialect.name}.ts`);
    writeFileSync(file, (await codegen(schema.name, { connection, from: fromSrc(file) })).code);
    local.set(dialect.name, { connection, schema });
  }
});

describe.each(dialects)('codegen of a database rg-schema declared, on $name', (dialect) => {
  it('declares against the same tables and fetches', async () => {
    const { connection, schema } = local.get(dialect.name)!;
    const file = path.join(out, `local-${dialect.name}.ts`);
    const code = readFileSync(file, 'utf8');
    expect(code).toContain('  animal_id: Key<AutoIncrement<number>>;');
    expect(code).toContain('    animal_id : int unsigned auto_increment');
    expect(code).toContain('  static Tag = class Tag extends Part<AnimalTagRow> {');
    // Vote.ok is a plain tinyint column (DataJoint writes no marker on inherited columns), but it
    // is Choice's bool, and the declared class reads it as one.
    expect(code).toContain('export interface VoteRow {\n  ok: Key<boolean>;\n  voter: Key<number>;\n}');
    const module = (await import(pathToFileURL(file).href)) as { schema: Schema; Animal: TableClass; Vote: TableClass };
    module.schema.configure({ connection });
    expect(await module.Animal.fetch()).toEqual([{ animal_id: 1, name: 'a', born: null }]);
    await module.Vote.insert1({ ok: true, voter: 3 });
    expect(await module.Vote.fetch()).toEqual([{ ok: true, voter: 3 }]);
    await schema.drop({ force: true });
  });
});
