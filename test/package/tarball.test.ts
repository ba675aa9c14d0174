/**
 * The package as a user installs it: packed, installed into a fresh project, then required,
 * imported, type-checked under strict settings, and run with worker processes without tsx.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, makeConsumer, typescriptBlocks, type Consumer } from './consumer.js';

let consumer: Consumer;
beforeAll(async () => {
  consumer = await makeConsumer();
}, 600_000);

const node = process.execPath;
const fail = (e: { stdout?: string; stderr?: string }): string => `${e.stdout ?? ''}${e.stderr ?? ''}`;

describe('the packed tarball', () => {
  it('holds a LICENSE, the README and CHANGELOG, the ERD picture and every example the README cites', () => {
    const pkg = JSON.parse(readFileSync(path.join(consumer.installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(path.join(consumer.installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect((pkg.repository as { url: string }).url).toMatch(/^git\+https:\/\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    const readme = readFileSync(path.join(consumer.installed, 'README.md'), 'utf8');
    const cited = [...new Set([...readme.matchAll(/\b((?:examples|docs)\/[\w./-]+\.(?:ts|js|json|svg))\b/g)].map((m) => m[1]!))];
    expect(cited).toEqual(expect.arrayContaining(['examples/bursts.ts', 'docs/erd.svg']));
    for (const file of cited) expect(existsSync(path.join(consumer.installed, file)), `${file} is cited by the README`).toBe(true);
    const changelog = readFileSync(path.join(consumer.installed, 'CHANGELOG.md'), 'utf8');
    expect(changelog, 'the CHANGELOG has a section for this version').toContain(`## [${String(pkg.version)}]`);
  });

  it('ships no source map that points at a file it does not ship', () => {
    const files = filesUnder(consumer.installed);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing = maps.flatMap((map) => {
      const { sources } = JSON.parse(readFileSync(path.join(consumer.installed, map), 'utf8')) as { sources: string[] };
      return sources.map((s) => path.join(path.dirname(map), s)).filter((s) => !existsSync(path.join(consumer.installed, s)));
    });
    expect(missing).toEqual([]);
  });

  it('can be required and imported, as rg-schema (with the pipeline) and rg-schema/core (without)', async () => {
    consumer.write('require.cjs', `
      const rg = require('rg-schema');
      const core = require('rg-schema/core');
      console.log(JSON.stringify({ rg: [typeof rg.Schema, typeof rg.schema, typeof rg.Spike], core: [typeof core.Schema, typeof core.schema, typeof core.Spike], same: rg.Schema === core.Schema }));
    `);
    consumer.write('import.mjs', `
      import { Schema, schema, Spike } from 'rg-schema';
      import * as core from 'rg-schema/core';
      console.log(JSON.stringify({ rg: [typeof Schema, typeof schema, typeof Spike], core: [typeof core.Schema, typeof core.schema, typeof core.Spike], same: Schema === core.Schema }));
    `);
    const expected = { rg: ['function', 'function', 'function'], core: ['function', 'function', 'undefined'], same: true };
    for (const file of ['require.cjs', 'import.mjs']) {
      const { stdout, stderr } = await consumer.run(node, [file]).catch((e) => { throw new Error(fail(e)); });
      expect(JSON.parse(stdout), file).toEqual(expected);
      expect(stderr, `${file} prints no warning`).toBe('');
    }
  });

  it('touches no database when imported, only when a table is first used', async () => {
    consumer.write('quiet/import-only.mjs', `
      import { Spike } from 'rg-schema';
      import { schema, Manual } from 'rg-schema/core';
      const lab = schema('lab');
      class Animal extends Manual { static definition = 'animal: int'; }
      lab.declare(Animal);
      void Spike;
      if (process.argv[2] === 'use') console.log(await Animal.count());
    `);
    const embedded = path.join(consumer.dir, 'rg-data');
    await consumer.run(node, ['quiet/import-only.mjs']);
    expect(existsSync(embedded)).toBe(false);
    // An unreachable server is never contacted either: the import returns without error.
    const unreachable = { RG_DB_URL: 'mysql://nobody@127.0.0.1:1' };
    await consumer.run(node, ['quiet/import-only.mjs'], unreachable);
    await expect(consumer.run(node, ['quiet/import-only.mjs', 'use'], unreachable))
      .rejects.toMatchObject({ stderr: expect.stringMatching(/Cannot connect to mysql:\/\/nobody@127\.0\.0\.1:1/) });
    expect(existsSync(embedded)).toBe(false);
    // Using a table creates the embedded database, relative to the working directory.
    const used = await consumer.run(node, ['quiet/import-only.mjs', 'use']);
    expect(used.stdout.trim()).toBe('0');
    expect(existsSync(path.join(embedded, 'rg.sqlite'))).toBe(true);
  });

  it('type-checks its public types, the README\'s TypeScript and the shipped examples under strict tsc, skipLibCheck off', async () => {
    consumer.write('tsconfig.json', JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false,
        noUncheckedIndexedAccess: true, experimentalDecorators: true, types: ['node'], noEmit: true,
      },
      include: ['typed/**/*.ts'],
    }, null, 2));
    const readme = readFileSync(path.join(consumer.installed, 'README.md'), 'utf8');
    const blocks = typescriptBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // Each README block is a module of its own, as a user would paste it into a file.
    blocks.forEach((block, i) => consumer.write(`typed/readme-${i + 1}.ts`, `${block}\nexport {};\n`));
    for (const example of readdirSync(path.join(consumer.installed, 'examples')).filter((f) => f.endsWith('.ts'))) {
      consumer.write(`typed/examples/${example}`, readFileSync(path.join(consumer.installed, 'examples', example), 'utf8'));
    }
    consumer.write('typed/public-types.ts', `
      import type * as rg from 'rg-schema';
      import type * as core from 'rg-schema/core';
      import type { NdArray } from 'ndarray';
      type Everything = typeof rg & typeof core;
      export const names: Array<keyof Everything> = ['Schema', 'schema', 'Spike', 'packBlob', 'unpackBlob'];
      // ndarray's types resolve from the package's own dependencies, the same ones the user gets.
      export const movieOf = (stimulation: rg.RgcStimulation): NdArray<Float64Array> => stimulation.movie;
    `);
    const tsc = path.join(consumer.dir, 'node_modules/typescript/bin/tsc');
    const result = await consumer.run(node, [tsc, '-p', 'tsconfig.json']).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  }, 120_000);

  describe('rg-erd, as installed', () => {
    const erd = path.join('node_modules', '.bin', 'rg-erd');
    const moduleText = (lib: string): string => `
      import { schema, Manual, Computed } from '${lib}';
      export const lab = schema('lab');
      class Mouse extends Manual { static definition = 'mouse: int'; }
      class Weight extends Computed { static definition = '-> Mouse\\n---\\ngrams: float'; async make() {} }
      lab.declare(Mouse);
      lab.declare(Weight);
    `;

    it('prints its version, and draws a .js module\'s schema', async () => {
      const pkg = JSON.parse(readFileSync(path.join(consumer.installed, 'package.json'), 'utf8')) as { version: string };
      expect((await consumer.run(erd, ['--version'])).stdout).toBe(`${pkg.version}\n`);
      consumer.write('erd/lab.js', moduleText('rg-schema/core'));
      const { stdout } = await consumer.run(erd, ['erd/lab.svg', '--module', 'erd/lab.js']).catch((e) => { throw new Error(fail(e)); });
      expect(stdout).toBe('wrote erd/lab.svg: the schemas erd/lab.js exports (lab); 2 tables, 1 foreign key\n');
    });

    it('says what a .ts module needs without tsx, and loads it with tsx beside it', async () => {
      consumer.write('erd-ts/lab.ts', moduleText('rg-schema/core'));
      await expect(consumer.run(erd, ['erd-ts/lab.svg', '--module', 'erd-ts/lab.ts'])).rejects.toMatchObject({
        code: 2, stderr: expect.stringMatching(/^rg-erd: --module erd-ts\/lab.ts is TypeScript, which Node loads only through tsx: npm install --save-dev tsx/m),
      });
      // A project that has tsx: the module's own node_modules holds it.
      consumer.write('with-tsx/package.json', JSON.stringify({ type: 'module' }));
      mkdirSync(path.join(consumer.dir, 'with-tsx', 'node_modules'), { recursive: true });
      symlinkSync(path.resolve('node_modules/tsx'), path.join(consumer.dir, 'with-tsx', 'node_modules', 'tsx'), 'dir');
      consumer.write('with-tsx/lab.ts', moduleText('rg-schema/core'));
      const { stdout } = await consumer.run(erd, ['with-tsx/lab.dot', '--module', 'with-tsx/lab.ts']).catch((e) => { throw new Error(fail(e)); });
      expect(stdout).toBe('wrote with-tsx/lab.dot: the schemas with-tsx/lab.ts exports (lab); 2 tables, 1 foreign key\n');
    });
  });

  describe('worker processes in a project without tsx', () => {
    it('populate from a .js module with nothing more installed', async () => {
      expect(existsSync(path.join(consumer.dir, 'node_modules/tsx'))).toBe(false);
      consumer.write('workers/tables.js', `
        import { schema, Manual, Computed } from 'rg-schema/core';
        export const lab = schema('lab', { connection: 'sqlite://lab.sqlite' });
        export class Recording extends Manual { static definition = 'recording: int'; }
        export class Stats extends Computed {
          static definition = '-> Recording\\n---\\ndoubled: int';
          async make(key) { await this.insert1({ ...key, doubled: key.recording * 2 }); }
        }
        lab.declare(Recording);
        lab.declare(Stats);
      `);
      consumer.write('workers/main.js', `
        import { fileURLToPath } from 'node:url';
        import { Recording, Stats } from './tables.js';
        await Recording.insert(Array.from({ length: 12 }, (_, i) => ({ recording: i })));
        const result = await Stats.populate({ workers: 2, workersStart: 'all', workerModule: { path: fileURLToPath(new URL('./tables.js', import.meta.url)), exportName: 'Stats' } });
        const sum = (await Stats.fetch()).reduce((s, r) => s + r.doubled, 0);
        console.log(JSON.stringify({ successCount: result.successCount, errors: result.errors.length, workersStarted: result.workersStarted, sum }));
      `);
      const { stdout } = await consumer.run(node, ['workers/main.js']).catch((e) => { throw new Error(fail(e)); });
      expect(JSON.parse(stdout)).toEqual({ successCount: 12, errors: 0, workersStarted: 1, sum: 132 });
    }, 120_000);

    it('refuse a .ts module before starting any, saying what to install', async () => {
      consumer.write('workers-ts/tables.ts', 'export {};\n');
      consumer.write('workers-ts/main.js', `
        import { fileURLToPath } from 'node:url';
        import { Recording, Stats } from '../workers/tables.js';
        await Recording.insert([{ recording: 100 }], { skipDuplicates: true });
        try {
          await Stats.populate({ workers: 2, workerModule: { path: fileURLToPath(new URL('./tables.ts', import.meta.url)), exportName: 'Stats' } });
        } catch (error) {
          console.log(error.name + ': ' + error.message);
        }
      `);
      const { stdout } = await consumer.run(node, ['workers-ts/main.js']);
      expect(stdout).toMatch(/^PopulateError: Worker processes cannot load .*tables\.ts/);
      expect(stdout).toContain('npm install --save-dev tsx');
    });
  });
});
