#!/usr/bin/env node
/**
 * rg-schema: tools over existing databases. `codegen` writes typed TypeScript classes for a
 * database that DataJoint (0.14 or 2.x) or rg-schema declared.
 */
import { writeFile } from 'node:fs/promises';
import { codegen } from '../schema/codegen/codegen.js';
import { newProgram, runProgram } from './program.js';

interface CodegenFlags { db?: string; schema: string; from: string; out?: string }

const program = newProgram('rg-schema', 'Work with existing DataJoint and rg-schema databases.');

program.command('codegen')
  .description('Write typed TypeScript classes (definitions, row interfaces, Parts, foreign keys) for an existing database.')
  .requiredOption('--schema <name>', 'the database to read (DataJoint\'s prefix included)')
  .option('--db <url>', 'where it is, e.g. mysql://user@127.0.0.1:3306 (default: RG_DB_URL, DJ_HOST, config.ini)')
  .option('--from <module>', 'the module the classes import rg-schema from', 'rg-schema')
  .option('--out <file>', 'write to this file instead of standard output')
  .action(async (flags: CodegenFlags) => {
    const result = await codegen(flags.schema, { ...(flags.db === undefined ? {} : { connection: flags.db }), from: flags.from });
    if (flags.out) await writeFile(flags.out, result.code);
    else process.stdout.write(result.code);
    for (const { table, reason } of result.skipped) console.error(`rg-schema: left out ${flags.schema}.${table}: ${reason}`);
    for (const other of result.references) console.error(`rg-schema: ${flags.schema} refers to ${other}; generate it too: rg-schema codegen --schema ${other} --out ${other}.ts`);
  });

await runProgram(program);
