import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Lookup, Manual, Part, Schema } from '../../src/index.js';
import { Diagram } from '../../src/erd/diagram.js';
import { renderSvg } from '../../src/erd/render.js';
import { pipeline } from '../../src/pipeline.js';
import { labelProblems, nodeLabels } from './svg-labels.js';
import { dialects, schemaName, servers } from '../setup/dialects.js';

const run = promisify(execFile);
afterAll(() => Connection.closeAll());

function lab() {
  const schema = new Schema('rgt_erd', { connection: 'sqlite::memory:' });
  @schema class Animal extends Manual { static override definition = 'animal: int'; }
  @schema class Kind extends Lookup { static override definition = 'kind: varchar(8)'; }
  @schema class Recording extends Manual {
    static override definition = '-> Animal\nrec: int\n---\n-> [nullable] Kind';
    static Channel = class extends Part { static override definition = '-> master\nch: int'; };
  }
  @schema class Sorting extends Computed {
    static override definition = '-> Recording\n---\n-> Animal.proj(donor="animal")\nn: int';
    async make(): Promise<void> {}
  }
  void Kind; void Sorting;
  return { schema, Animal, Recording };
}

type SvgGroup = { '@_class': string; title: string; polygon?: unknown; ellipse?: unknown; path?: { '@_stroke-dasharray'?: string } | Array<{ '@_stroke-dasharray'?: string }> };

function groups(svg: string): SvgGroup[] {
  const xml = new XMLParser({ ignoreAttributes: false, htmlEntities: true, isArray: (name) => name === 'g' }).parse(svg) as { svg: { g: Array<{ g: SvgGroup[] }> } };
  return xml.svg.g[0]!.g;
}

const first = lab();

describe('ERD', () => {
  const { schema, Recording } = first;
  const diagram = Diagram.of(schema);

  it('draws every table and foreign key in the SVG, each tier with its shape and colour', async () => {
    const svg = await diagram.toSvg();
    const all = groups(svg);
    const nodes = all.filter((g) => g['@_class'].startsWith('node'));
    const byTitle = new Map(nodes.map((n) => [n.title, n]));
    expect([...byTitle.keys()].filter((t) => !t.startsWith('_rename')).sort()).toEqual(['Animal', 'Kind', 'Recording', 'Recording.Channel', 'Sorting']);
    expect(byTitle.get('Animal')!['@_class']).toBe('node tier-manual');
    const drawn = (title: string): string => JSON.stringify(byTitle.get(title));
    expect(drawn('Animal')).toMatch(/"polygon":\{"@_fill":"#00ff00"/);
    expect(byTitle.get('Sorting')!['@_class']).toBe('node tier-computed');
    expect(drawn('Sorting')).toMatch(/"ellipse":\{"@_fill":"#ff0000"/);
    expect(drawn('Recording')).toMatch(/"polygon":\{"@_fill":"#00ff00"/);
    expect(byTitle.get('Kind')!['@_class']).toBe('node tier-lookup');
    expect(byTitle.get('Recording.Channel')!['@_class']).toBe('node tier-part');
    const renamed = nodes.filter((n) => n.title.startsWith('_rename'));
    expect(renamed).toHaveLength(1);
    expect(JSON.stringify(renamed[0])).toMatch(/"ellipse":\{"@_fill":"#ff8800"/);
    const edges = all.filter((g) => g['@_class'] === 'edge').map((e) => ({ title: e.title.replace(/&#45;&gt;|->/g, '->'), dashed: JSON.stringify(e).includes('stroke-dasharray') }));
    expect(edges.map((e) => e.title).sort()).toEqual([
      'Animal->Recording', 'Animal->_rename_Sorting_donor', 'Kind->Recording', 'Recording->Recording.Channel', 'Recording->Sorting', '_rename_Sorting_donor->Sorting',
    ].sort());
    expect(edges.find((e) => e.title === 'Kind->Recording')!.dashed).toBe(true);
    expect(edges.find((e) => e.title === 'Animal->Recording')!.dashed).toBe(false);
  });

  it('gives the same DOT text every time (snapshot)', () => {
    expect(diagram.toDot()).toBe(Diagram.of(schema).toDot());
    expect(diagram.toDot({ tooltips: false })).toMatchSnapshot();
  });

  it('adds, subtracts and widens around a table', () => {
    const one = Diagram.of(Recording);
    expect(one.nodes.map((n) => n.name)).toEqual(['Recording']);
    expect(one.upstream(1).nodes.map((n) => n.name)).toEqual(['Animal', 'Kind', 'Recording']);
    expect(one.downstream(1).nodes.map((n) => n.name)).toEqual(['Recording', 'Recording.Channel', 'Sorting']);
    expect(diagram.subtract(one.downstream(1)).nodes.map((n) => n.name)).toEqual(['Animal', 'Kind']);
    expect(one.add(Diagram.of(lab().Animal)).nodes.map((n) => n.name)).toEqual(['Animal', 'Recording']);
  });

  it('writes Mermaid text with the same nodes and edge styles', () => {
    const mmd = diagram.toMermaid();
    expect(mmd).toContain('flowchart TB');
    expect(mmd.match(/:::(manual|lookup|imported|computed|part)/g)).toHaveLength(5);
    expect(mmd).toContain('-.-');
    expect(mmd).toContain('|donor←animal|');
  });
});

describe('ERD labels', () => {
  it.each([
    ['the RGC pipeline (the README\'s picture)', Diagram.of(pipeline), 'TB'],
    ['a schema with a Part, a Lookup and a renamed key', Diagram.of(first.schema), 'TB'],
    ['the pipeline without DataSource, left to right', Diagram.of(pipeline).subtract(Diagram.of(pipeline.table('DataSource')!)), 'LR'],
  ] as const)('%s: every label lies inside the picture and inside its node, and no two overlap', async (_, diagram, direction) => {
    const svg = await diagram.toSvg({ direction });
    const { labels } = nodeLabels(svg);
    expect(labels.map((l) => l.text).sort()).toEqual(diagram.nodes.map((n) => n.name.split('.').pop()).sort());
    expect(labelProblems(svg)).toEqual([]);
  });

  it('finds what was wrong with DataJoint\'s fixed-size Computed circle', async () => {
    // DataJoint draws Computed tables as 0.3-inch circles; the long name ran off the picture and over Spike.
    const fixed = Diagram.of(pipeline).toDot().replace(/(shape=ellipse, fillcolor="#FF000020".*?)fixedsize=false/, '$1fixedsize=true');
    const problems = labelProblems(await renderSvg(fixed));
    expect(problems).toEqual(expect.arrayContaining([
      '"SpikeTriggeredAverage" runs outside its ellipse',
    ]));
    expect(problems.some((p) => /runs outside the picture|overlaps/.test(p))).toBe(true);
  });
});

describe('rg-erd command', () => {
  it('writes the pipeline ERD as SVG with no dot on the PATH', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-'));
    const out = path.join(dir, 'out.svg');
    // A PATH of one folder that holds only a link to node: no Graphviz binary can be found, wherever
    // node and dot are installed on this machine.
    const bin = mkdtempSync(path.join(tmpdir(), 'rg-erd-bin-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const env = { ...process.env, PATH: bin };
    await expect(run('/bin/sh', ['-c', 'command -v dot'], { env })).rejects.toBeDefined();
    expect((await run('/bin/sh', ['-c', 'command -v node'], { env })).stdout.trim()).toBe(path.join(bin, 'node'));
    const { stdout } = await run(path.join(bin, 'node'), ['--import', import.meta.resolve('tsx'), 'src/cli/rg-erd.ts', out], { env });
    expect(stdout).toMatch(/^wrote .*out.svg: the RGC pipeline .*; 8 tables, 7 foreign keys$/m);
    const titles = groups(readFileSync(out, 'utf8')).map((g) => g.title);
    expect(titles).toEqual(expect.arrayContaining(['Subject', 'Session', 'Stimulation', 'Stimulation.Neuron', 'Stimulation.Spike']));
  });
});

describe.each(servers)('ERD of a live database on $name', (server) => {
  it('reads tables, tiers and keys from the catalog, as DataJoint for Python declares them', async () => {
    const url = server.url('erd');
    const schema = new Schema(schemaName('erd_live'), { connection: url });
    @schema class Animal extends Manual { static override definition = 'animal: int'; }
    @schema class Scan extends Computed {
      static override definition = '-> Animal\nscan: int';
      async make(): Promise<void> {}
    }
    void Animal; void Scan;
    await schema.drop({ force: true });
    await schema.activate();
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-erd-'));
    const out = path.join(dir, 'live.dot');
    await run(process.execPath, ['--import', 'tsx', 'src/cli/rg-erd.ts', out, '--db', url, '--schema', schema.database]);
    const dot = readFileSync(out, 'utf8');
    expect(dot).toContain('"Animal" [label="Animal", shape=box');
    expect(dot).toContain('"Scan" [label="Scan", shape=ellipse, fillcolor="#FF000020"');
    expect(dot).toContain('"Animal" -> "Scan" [style=solid');
  });
});
