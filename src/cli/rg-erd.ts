#!/usr/bin/env node
/**
 * rg-erd: draws an ERD to .svg, .dot or .mmd. By default the RGC pipeline; or a module's schemas;
 * or a live database schema (including one DataJoint for Python declared). It only reads: no
 * database, table or folder is created.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '../schema/connection/connection.js';
import { resolveConnectionSpec } from '../schema/connection/config.js';
import { readCatalog } from '../schema/declare/catalog.js';
import { Schema } from '../schema/declare/schema.js';
import { Diagram } from '../erd/diagram.js';
import { modelFromCatalog } from '../erd/graph-model.js';
import { writeDiagram } from '../erd/write.js';
import { importModule } from './import-module.js';
import { newProgram, runProgram, UsageError, wholeNumber } from './program.js';

interface Options { module?: string; db?: string; schema?: string; table?: string; up: number; down: number }

const FORMATS = ['svg', 'dot', 'gv', 'mmd'];

/** The diagram asked for, and a phrase that says what it shows. */
async function diagramFor(options: Options): Promise<{ diagram: Diagram; what: string }> {
  if (options.db !== undefined || options.schema !== undefined) {
    if (!options.db || !options.schema) throw new UsageError('--db and --schema go together: --db mysql://user@host:3306 --schema name');
    const spec = resolveConnectionSpec({ connection: options.db });
    const file = (spec.knexConfig.connection as { filename?: string } | undefined)?.filename;
    if (spec.dialect === 'sqlite' && file !== undefined && file !== ':memory:' && !existsSync(file)) {
      throw new UsageError(`--db ${options.db}: there is no SQLite file at ${file}.`);
    }
    const connection = Connection.for(spec);
    const tables = await readCatalog(connection, options.schema);
    if (tables.length === 0) throw new UsageError(`Schema ${options.schema} has no tables on ${connection.display}.`);
    return { diagram: Diagram.ofModel(modelFromCatalog(tables)), what: `schema ${options.schema} on ${connection.display}` };
  }
  const module = options.module ? await importModule(options.module) : ((await import('../pipeline.js')) as Record<string, unknown>);
  const schemas = [...new Set(Object.values(module).filter((v): v is Schema => v instanceof Schema))];
  if (schemas.length === 0) throw new UsageError(`${options.module ?? 'The pipeline module'} exports no Schema; export the schema object beside its tables.`);
  const names = schemas.map((s) => s.name).join(', ');
  const what = options.module ? `the schemas ${options.module} exports (${names})` : `the RGC pipeline that comes with rg-schema (schema ${names}; --module or --db draws yours)`;
  return { diagram: schemas.slice(1).reduce((d, s) => d.add(Diagram.of(s)), Diagram.of(schemas[0]!)), what };
}

/**
 * The table `--table` names: its class name as imported (`Spike`), its full name (`Stimulation.Spike`)
 * or its database name (`stimulation__spike`).
 */
function focus(diagram: Diagram, options: Options): Diagram {
  if (!options.table) return diagram;
  const wanted = options.table;
  const candidates = diagram.model.nodes.filter((n) => n.name === wanted || n.id.endsWith(`.${wanted}`));
  const matches = candidates.length > 0 ? candidates : diagram.model.nodes.filter((n) => n.name.split('.').pop() === wanted);
  if (matches.length === 0) throw new UsageError(`No table "${wanted}" in the diagram; tables: ${diagram.nodes.map((n) => n.name).join(', ')}.`);
  if (matches.length > 1) throw new UsageError(`"${wanted}" names ${matches.map((n) => n.name).join(' and ')}; say which.`);
  const one = new Diagram(diagram.model, [matches[0]!.id]);
  return one.upstream(options.up).add(one.downstream(options.down));
}

const program = newProgram('rg-erd', 'Draw an entity-relationship diagram as DataJoint draws it (.svg, .dot or .mmd); no Graphviz install needed. It only reads: nothing is created.')
  .argument('<file>', 'output file: .svg, .dot (or .gv) or .mmd (Mermaid)')
  .option('--module <path>', 'a module (.js, or .ts with tsx installed) that exports its Schema; default: the RGC pipeline')
  .option('--db <url>', 'read a live database instead, e.g. mysql://root@127.0.0.1:3306, postgres://postgres@127.0.0.1:5432/postgres or sqlite://file.sqlite')
  .option('--schema <name>', 'the database schema to read with --db')
  .option('--table <name>', 'draw this table and its neighbourhood: a class name (Spike), a Part with its master (Stimulation.Spike) or a table name')
  .option('--up <n>', 'generations of parents to include with --table', wholeNumber('--up', 0), 1)
  .option('--down <n>', 'generations of children to include with --table', wholeNumber('--down', 0), 1)
  .action(async (file: string, options: Options) => {
    const ext = path.extname(file).slice(1).toLowerCase();
    if (!FORMATS.includes(ext)) throw new UsageError(`Cannot tell the format of "${file}": name it .svg, .dot or .mmd.`);
    const { diagram, what } = await diagramFor(options);
    const shown = focus(diagram, options);
    await writeDiagram(shown, file);
    const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
    console.log(`wrote ${file}: ${what}${options.table ? `, around ${options.table}` : ''}; ${count(shown.nodes.length, 'table')}, ${count(shown.edges.length, 'foreign key')}`);
  });

await runProgram(program);
