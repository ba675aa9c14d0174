import { Schema, type SchemaOptions } from './schema.js';

/**
 * Creates a schema, as DataJoint's `dj.schema(name, locals())` does: the same as
 * `new Schema(name, options)`, for code that reads better as a call. Nothing connects until a
 * table of the schema is first used (or `activate()` is called).
 *
 * @param name - the schema's name: lower case letters, digits and underscores. On MySQL/MariaDB
 *   it is the database `<prefix><name>`; on SQLite its tables are named `"<name>.<table>"`.
 * @param options - the connection (a URL or knex config, else the environment, `config.ini`, or
 *   `./rg-data/rg.sqlite`), a database-name `prefix`, and the `context` whose names definitions
 *   may refer to.
 *
 * @example
 * ```ts
 * import * as rg from 'rg-schema';
 *
 * const schema = rg.schema('my_analysis', { context: { Neuron: rg.Neuron } });   // dj.schema(...)
 *
 * @schema
 * class Experimenter extends rg.Manual<{ experimenter: string }> {
 *   static override definition = 'experimenter: varchar(32)';
 * }
 * // on first use, MySQL: CREATE TABLE `my_analysis`.`experimenter` (...)
 * ```
 */
export function schema(name: string, options: SchemaOptions = {}): Schema {
  return new Schema(name, options);
}
