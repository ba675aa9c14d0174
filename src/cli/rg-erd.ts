#!/usr/bin/env node
/**
 * rg-erd: draws an ERD to .svg, .dot or .mmd. By default the RGC pipeline; or a module's schemas;
 * or a live database schema (including one DataJoint for Python declared).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { Connection } from '../schema/connection/connection.js';
import { resolveConnectionSpec } from '../schema/connection/config.js';
import { readCatalog } from '../schema/declare/catalog.js';
import { Schema } from '../schema/declare/schema.js';
import { Diagram } from '../erd/diagram.js';
import { modelFromCatalog } from '../erd/graph-model.js';
import { writeDiagram } from '../erd/write.js';

interface Options { module?: string; db?: string; schema?: string; table?: string; up: string; down: string }

async function diagramFor(options: Options): Promise<Diagram> {
  if (options.db !== undefined || options.schema !== undefined) {
    if (!options.db || !options.schema) throw new Error('--db and --schema go together: --db mysql://user@host:3306 --schema name');
    const connection = Connection.for(resolveConnectionSpec({ connection: options.db }));
    const tables = await readCatalog(connection, options.schema);
    if (tables.length === 0) throw new Error(`Schema ${options.schema} has no tables on ${connection.display}.`);
    return Diagram.ofModel(modelFromCatalog(tables));
  }
  const module = options.module
    ? ((await import(pathToFileURL(path.resolve(options.module)).href)) as Record<string, unknown>)
    : ((await import('../pipeline.js')) as Record<string, unknown>);
  const schemas = Object.values(module).filter((v): v is Schema => v instanceof Schema);
  if (schemas.length === 0) throw new Error(`${options.module ?? 'The pipeline module'} exports no Schema; export the schema object beside its tables.`);
  return schemas.slice(1).reduce((d, s) => d.add(Diagram.of(s)), Diagram.of(schemas[0]!));
}

function focus(diagram: Diagram, options: Options): Diagram {
  if (!options.table) return diagram;
  const node = diagram.model.nodes.find((n) => n.name === options.table || n.id.endsWith(`.${options.table}`));
  if (!node) throw new Error(`No table "${options.table}" in the diagram; tables: ${diagram.nodes.map((n) => n.name).join(', ')}.`);
  const one = new Diagram(diagram.model, [node.id]);
  return one.upstream(Number(options.up)).add(one.downstream(Number(options.down)));
}

const program = new Command('rg-erd')
  .description('Draw an entity-relationship diagram as DataJoint draws it (.svg, .dot or .mmd); no Graphviz install needed.')
  .argument('<file>', 'output file: .svg, .dot or .mmd')
  .option('--module <path>', "a module that exports its Schema (default: the RGC pipeline)")
  .option('--db <url>', 'read a live database instead, e.g. mysql://root@127.0.0.1:3306 or postgres://postgres@127.0.0.1:5432/postgres')
  .option('--schema <name>', 'the database schema to read with --db')
  .option('--table <name>', 'draw this table and its neighbourhood')
  .option('--up <n>', 'generations of parents to include with --table', '1')
  .option('--down <n>', 'generations of children to include with --table', '1')
  .action(async (file: string, options: Options) => {
    try {
      const diagram = focus(await diagramFor(options), options);
      await writeDiagram(diagram, file);
      console.log(`wrote ${file}: ${diagram.nodes.length} tables, ${diagram.edges.length} foreign keys`);
    } catch (error) {
      console.error(`rg-erd: ${(error as Error).message}`);
      process.exitCode = 1;
    } finally {
      await Connection.closeAll();
    }
  });

await program.parseAsync();
