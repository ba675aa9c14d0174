import { Connection } from '../connection/connection.js';
import { resolveConnectionSpec, type ConnectionOptions } from '../connection/config.js';
import { listTableNames } from '../declare/catalog.js';
import { planSchema } from '../declare/catalog-plan.js';
import { RgSchemaError } from '../../errors.js';
import { generateCode, type CodegenOptions } from './generate.js';

/** What codegen wrote, and what it could not. */
export interface CodegenResult {
  /** The TypeScript module. */
  readonly code: string;
  /** Other databases its foreign keys point into; generate a module for each (`./<database>.js`). */
  readonly references: readonly string[];
  /** Tables left out, and why. */
  readonly skipped: ReadonlyArray<{ readonly table: string; readonly reason: string }>;
}

/**
 * Reads an existing database (DataJoint 0.14 or 2.x wrote it, or rg-schema) and writes typed
 * TypeScript for it: the Schema, a class and a row interface per table, Parts nested in their
 * masters, foreign keys naming the generated classes. Declaring the result against the same
 * database passes the catalog check. `npx rg-schema codegen` is this function on the command line.
 *
 * @example
 * ```ts
 * const { code } = await codegen('dj23_fixture', { connection: 'mysql://root@127.0.0.1:3306' });
 * await writeFile('lab.ts', code);
 * ```
 */
export async function codegen(database: string, options: Omit<ConnectionOptions, 'prefix'> & CodegenOptions = {}): Promise<CodegenResult> {
  const connection = Connection.for(resolveConnectionSpec({ ...options, prefix: '' }));
  if ((await listTableNames(connection, database)).length === 0) {
    throw new RgSchemaError(`Database "${database}" has no tables on ${connection.display}. Check the name (DataJoint's database prefix included).`);
  }
  if (!/^[a-z][a-z0-9_]*$/.test(database)) {
    throw new RgSchemaError(`Cannot generate classes for "${database}": rg-schema names schemas with lower case letters, digits and underscores.`);
  }
  const plan = await planSchema(connection, database);
  return { code: generateCode(plan, options), references: [...plan.references.values()], skipped: plan.skipped };
}
