import 'reflect-metadata';
import { DataLossError, DefinitionError, RgSchemaError, SchemaMismatchError } from '../../errors.js';
import { Connection } from '../connection/connection.js';
import { resolveConnectionSpec, type ConnectionOptions } from '../connection/config.js';
import { parseDefinition } from '../definition/parser.js';
import { resolveType } from '../definition/types.js';
import { readCatalog, listTableNames, type CatalogTable } from './catalog.js';
import { withCreationLock } from './creation-lock.js';
import { createTableStatements } from './ddl.js';
import { DependencyGraph, noteRegistration } from './dependencies.js';
import { compareWithCatalog } from './compare.js';
import { deleteLineage, hasLineageTable, writeLineage } from './lineage.js';
import { resolveTable } from './resolve.js';
import { AFTER_ACTIVATE, findTableInfo, setTableInfo, tableInfo, type TableInfo } from './table-info.js';
import { tableNameFor, type Tier } from './tiers.js';

/** Options of a schema: where its database is, and what its definitions may name. */
export interface SchemaOptions extends ConnectionOptions {
  /**
   * Names that definitions may refer to (`-> Neuron`, `-> pipeline.Neuron`): table classes,
   * schemas, or module namespaces; like DataJoint's `dj.Schema(name, locals())`.
   */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * When false, activation creates and writes nothing: the tables must exist already and match
   * their declarations, and Lookup contents are not inserted (DataJoint's `create_tables=False`).
   * Read-only tools such as the viewer open the pipeline this way. Default true.
   */
  readonly createTables?: boolean;
  /**
   * How tables record the types both DataJoint generations spell alike (`varchar(n)`, `date`,
   * `json`, `enum`, `bool`, `longblob`) when their definition does not say: `'2.x'` writes DataJoint
   * 2's `:type:` markers (so DataJoint 2 reads json as dicts and blobs as blobs), `'0.x'` plain
   * columns (DataJoint 0.14 rejects markers it does not know). A table using a type of one
   * generation only (`int32`, `<blob>` / `attach`) follows that. Default: `'2.x'` when another
   * table of the schema is spelled the 2.x way or the database holds DataJoint 2's `~lineage`
   * table, `'0.x'` otherwise.
   */
  readonly spelling?: '0.x' | '2.x';
  /**
   * How populate reserves keys by default: `'datajoint-0.14'` through the schema-wide `~jobs`
   * table of DataJoint 0.14 (every populate reserves, so a mixed fleet of 0.14 Python workers and
   * rg-schema workers computes each key once); `'datajoint-2'` (the default) through DataJoint 2's
   * per-table `~~name` jobs tables when `reserveJobs` is set. `populate({ jobs })` overrides it.
   */
  readonly jobs?: 'datajoint-2' | 'datajoint-0.14';
}

/** How a class is declared when it is not nested in its master. */
export interface DeclareOptions {
  readonly master?: abstract new (...args: never[]) => unknown;
  /** The name used for a nested Part (the static property's name). */
  readonly name?: string;
}

type TableClassLike = abstract new (...args: never[]) => unknown;

const allTables: TableInfo[] = [];

/** A schema is callable: `@schema` declares the class below it. */
export interface Schema {
  <T extends TableClassLike>(cls: T): T;
}

/**
 * A database schema: a registry of table classes, declared in dependency order on first use (or
 * by `activate()`), on the schema's connection. In MySQL it is the database `<prefix><name>`.
 *
 * @example
 * ```ts
 * const schema = new Schema('my_analysis', { context: { Neuron } });
 *
 * @schema
 * class BurstParams extends Lookup {
 *   static definition = `burst_params_id: smallint unsigned\n---\nmax_isi: float`;
 * }
 * await schema.activate();
 * // MySQL: CREATE TABLE `my_analysis`.`#burst_params` (...) ENGINE=InnoDB, COMMENT ''
 * ```
 */
export class Schema {
  readonly name!: string;
  readonly context!: Readonly<Record<string, unknown>>;
  private readonly options!: SchemaOptions;
  private readonly registry!: Map<string, TableInfo>;
  private ownConnection: Connection | undefined;
  private activation: Promise<void> | undefined;
  /** Set on activation: the database holds DataJoint 2's ~lineage table. */
  private lineageFound: boolean | undefined;

  constructor(name: string, options: SchemaOptions = {}) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      throw new RgSchemaError(`"${name}" is not a valid schema name. Use lower case letters, digits and underscores, starting with a letter.`);
    }
    const decorate = <T extends TableClassLike>(cls: T): T => {
      (decorate as unknown as Schema).declare(cls);
      return cls;
    };
    Object.setPrototypeOf(decorate, new.target.prototype);
    const fields: Record<string, unknown> = {
      name, context: options.context ?? {}, options, registry: new Map(), ownConnection: undefined, activation: undefined, lineageFound: undefined,
    };
    for (const [key, value] of Object.entries(fields)) {
      Object.defineProperty(decorate, key, { value, writable: true, enumerable: true, configurable: true });
    }
    return decorate as unknown as Schema;
  }

  /**
   * Points the schema at another database (a command line's --db, say). Its tables are declared
   * there on next use; the previous connection stays open until Connection.closeAll().
   */
  configure(options: Pick<SchemaOptions, 'connection' | 'prefix' | 'configFile' | 'createTables'>): void {
    if (this.ownConnection?.inTransaction) throw new RgSchemaError(`Schema ${this.name} is inside a transaction on ${this.ownConnection.display}; configure it outside.`);
    Object.defineProperty(this, 'options', { value: { ...this.options, ...options }, writable: true, enumerable: true, configurable: true });
    this.ownConnection = undefined;
    this.activation = undefined;
    this.lineageFound = undefined;
  }

  /** The shared connection, resolved from the options, the environment, config.ini, or the default. */
  get connection(): Connection {
    if (!this.ownConnection || this.ownConnection.closed) this.ownConnection = Connection.for(resolveConnectionSpec(this.options));
    return this.ownConnection;
  }

  /**
   * The jobs protocol populate uses by default (see {@link SchemaOptions.jobs}).
   *
   * @example
   * ```ts
   * new Schema('lab', { jobs: 'datajoint-0.14' }).jobs;  // 'datajoint-0.14'
   * ```
   */
  get jobs(): 'datajoint-2' | 'datajoint-0.14' {
    return this.options.jobs ?? 'datajoint-2';
  }

  /** The database name: the connection's prefix, then the schema name. */
  get database(): string {
    return `${this.options.prefix ?? this.connection.prefix}${this.name}`;
  }

  /** Tables declared in this schema, in declaration order. */
  get tables(): TableInfo[] {
    return [...this.registry.values()];
  }

  /** The declared class of that name, if any. */
  table(className: string): TableClassLike | undefined {
    return this.registry.get(className)?.cls;
  }

  /**
   * Declares a table class: parses its definition now (syntax errors surface at once) and creates it
   * in the database on first use or `activate()`. Nested static Part classes are declared with it.
   */
  declare<T extends TableClassLike>(cls: T, options: DeclareOptions = {}): T {
    const className = options.name ?? cls.name;
    const existing = findTableInfo(cls);
    if (existing?.schema === this) return cls;
    const tier = (cls as unknown as { tier?: Tier }).tier;
    if (tier === undefined) {
      throw new RgSchemaError(`${className} must extend Manual, Lookup, Imported, Computed or Part to be declared.`);
    }
    const definition = (cls as unknown as { definition?: unknown }).definition;
    if (typeof definition !== 'string') {
      throw new DefinitionError({ table: className }, 'The class has no definition.', 'add `static definition = `...`` with the table\'s attributes.');
    }
    const master = options.master ? findTableInfo(options.master) : undefined;
    if (tier === 'part' && !master) {
      throw new DefinitionError({ table: className }, 'A Part table needs its master.', 'nest it in the master as `static Name = class extends Part {...}`, or call schema.declare(PartClass, { master: Master }).');
    }
    if (tier !== 'part' && options.master) {
      throw new DefinitionError({ table: className }, 'Only a Part table has a master.', 'extend Part, or declare it without `master`.');
    }
    const registryName = master ? `${master.className}.${className}` : className;
    if (this.registry.has(registryName)) {
      throw new DefinitionError({ table: className }, `Schema ${this.name} already has a table named ${registryName}.`, 'rename one of the classes.');
    }
    const info: TableInfo = {
      cls, schema: this, className: registryName, tier, definition,
      parsed: parseDefinition(registryName, definition),
      tableName: tableNameFor(tier, className, master?.tableName),
      master, parts: [], resolved: undefined, resolving: false,
    };
    setTableInfo(cls, info);
    master?.parts.push(info);
    this.registry.set(registryName, info);
    allTables.push(info);
    noteRegistration(info);
    this.activation = undefined;
    if (tier !== 'part') {
      for (const key of Object.getOwnPropertyNames(cls)) {
        const value = (cls as unknown as Record<string, unknown>)[key];
        if (typeof value === 'function' && (value as { tier?: Tier }).tier === 'part' && value !== cls) {
          this.declare(value as TableClassLike, { master: cls, name: key });
        }
      }
    }
    return cls;
  }

  /**
   * How this schema's tables spell the types both DataJoint generations share, when their own
   * definition does not decide (see {@link SchemaOptions.spelling}).
   *
   * @example
   * ```ts
   * new Schema('lab', { spelling: '2.x' }).defaultSpelling(); // 'dj2'
   * ```
   */
  defaultSpelling(): 'dj0' | 'dj2' {
    if (this.options.spelling !== undefined) return this.options.spelling === '2.x' ? 'dj2' : 'dj0';
    if (this.lineageFound) return 'dj2';
    const spellsDj2 = (t: TableInfo): boolean => t.parsed.lines.some((l) => l.kind === 'attribute' && resolveType(l.type)?.spelling === 'dj2');
    return [...this.registry.values()].some(spellsDj2) ? 'dj2' : 'dj0';
  }

  /** Finds what a `-> ref` line names, from this schema's registry and context. */
  lookup(ref: string, from: TableInfo): TableInfo | undefined {
    if (ref === 'master') return from.master;
    const [head, ...rest] = ref.split('.');
    if (head === undefined) return undefined;
    let value: unknown = this.registry.get(head)?.cls ?? this.context[head];
    if (value === undefined && from.master && rest.length === 0) value = from.master.parts.find((p) => p.className.endsWith(`.${head}`))?.cls;
    for (const segment of rest) {
      if (value instanceof Schema) value = value.table(segment) ?? value.registry.get(`${segment}`)?.cls;
      else if (value !== null && (typeof value === 'object' || typeof value === 'function')) value = (value as Record<string, unknown>)[segment];
      else return undefined;
    }
    return typeof value === 'function' ? findTableInfo(value) : undefined;
  }

  /** Resolves every definition of this schema (no database needed). Throws DefinitionError. */
  resolve(): TableInfo[] {
    for (const info of this.registry.values()) resolveTable(info, (ref, from) => from.schema.lookup(ref, from));
    return this.tables;
  }

  /** The dependency graph of every declared table on this connection, across schemas. */
  dependencies(): DependencyGraph {
    const sameConnection = allTables.filter((t) => t.schema.ownConnection === undefined || t.schema.connection === this.connection);
    for (const t of sameConnection) {
      try {
        t.schema.resolve();
      } catch {
        // A broken schema elsewhere must not hide this one's graph; it reports its own errors.
      }
    }
    return DependencyGraph.of(sameConnection.filter((t) => t.resolved !== undefined));
  }

  /**
   * Creates every declared table that does not exist yet, in dependency order, and checks the ones
   * that do against their declarations. All or nothing: on any error, tables created by this call
   * are dropped again.
   */
  activate(): Promise<void> {
    // Parent schemas first, outside this schema's lock: on SQLite the lock holds the one connection.
    this.activation ??= this.activateParents().then(() => withCreationLock(this.connection, this.database, () => this.createTables())).catch((error: unknown) => {
      this.activation = undefined;
      throw error;
    });
    return this.activation;
  }

  private async activateParents(): Promise<void> {
    for (const other of new Set(DependencyGraph.of(this.resolve()).nodes.map((t) => t.schema))) if (other !== this) await other.activate();
  }

  private async createTables(): Promise<void> {
    await this.detectSpelling();
    const tables = this.resolve();
    const graph = DependencyGraph.of(tables);
    for (const other of new Set(graph.nodes.map((t) => t.schema))) if (other !== this) await other.activate();
    const order = graph.topologicalOrder(tables);
    const connection = this.connection;
    const statements = new Map(order.map((t) => [t, createTableStatements(connection.dialect, t, t.resolved!)]));
    const create = this.options.createTables !== false;
    if (create) await this.ensureDatabase();
    const catalog = new Map((await readCatalog(connection, this.database)).map((c) => [c.name, c]));
    const present = new Set(await listTableNames(connection, this.database));
    const problems = order.flatMap((t) => {
      const found = catalog.get(t.tableName);
      if (found) return compareWithCatalog(t, found);
      return present.has(t.tableName) ? [`${t.className}: table ${t.tableName} exists but rg-schema has no record of its declaration.`] : [];
    });
    if (problems.length > 0) {
      throw new SchemaMismatchError(`Schema ${this.name} (${this.database}) does not match the database:\n  ${problems.join('\n  ')}\nrg-schema never alters a table silently. Fix: change the definition to match, or drop the table (Table.drop({ force: true })) to declare it anew.`);
    }
    const missing = order.filter((t) => !catalog.has(t.tableName));
    if (!create) {
      if (missing.length === 0) return;
      throw new SchemaMismatchError(`Schema ${this.name} (${this.database}) on ${connection.display} has no table for ${missing.map((t) => t.className).join(', ')}, and it was opened with createTables: false, so nothing is created. Fix: declare the tables first (rg-pipeline build, or activate the schema with createTables left on).`);
    }
    for (const t of missing) refuseUnsupported(t);
    const created: TableInfo[] = [];
    try {
      for (const t of missing) {
        await connection.transaction(async () => {
          for (const { sql, params } of statements.get(t) ?? []) await connection.run(sql, params, t.className);
        });
        created.push(t);
      }
      const lineage = created.filter((t) => t.schema.lineageFound || t.resolved!.spelling === 'dj2');
      await writeLineage(connection, this.database, lineage);
      for (const t of order) await afterActivate(t);
    } catch (error) {
      for (const t of created.reverse()) await this.dropTable(t).catch(() => undefined);
      throw error;
    }
  }

  /**
   * On MySQL and PostgreSQL, a database that holds DataJoint 2's `~lineage` table makes 2.x the default spelling;
   * tables resolved before this was known are resolved again.
   */
  private async detectSpelling(): Promise<void> {
    if (this.lineageFound !== undefined || this.connection.dialect.createLineageTable === undefined) return;
    const before = this.defaultSpelling();
    this.lineageFound = await hasLineageTable(this.connection, this.database);
    if (this.defaultSpelling() !== before) for (const t of this.registry.values()) t.resolved = undefined;
  }

  /**
   * Writes DataJoint 2's `~lineage` rows for every declared table of the schema (MySQL, PostgreSQL), as
   * DataJoint's `schema.rebuild_lineage()` does, so DataJoint 2 can join tables declared before
   * rg-schema wrote lineage.
   *
   * @example
   * ```ts
   * await schema.rebuildLineage();
   * // DELETE FROM `lab`.`~lineage` WHERE `table_name` = ?; INSERT INTO `lab`.`~lineage` … (per table)
   * ```
   */
  async rebuildLineage(): Promise<void> {
    await this.activate();
    await writeLineage(this.connection, this.database, this.tables);
  }

  private async ensureDatabase(): Promise<void> {
    const connection = this.connection;
    for (const { sql, params } of connection.dialect.createDatabase(this.database)) await connection.run(sql, params);
  }

  /** Table names that exist in this schema's database (hidden `~` tables excluded). */
  async listTables(): Promise<string[]> {
    return (await listTableNames(this.connection, this.database)).filter((n) => !n.startsWith('~'));
  }

  /** The database's own description of this schema's tables. */
  async catalog(): Promise<CatalogTable[]> {
    return readCatalog(this.connection, this.database);
  }

  /**
   * Populates every Imported and Computed table of the schema, parents first.
   *
   * @example
   * ```ts
   * const results = await schema.populateAll({ reserveJobs: true, display: true });
   * results.SpikeTriggeredAverage.successCount;
   * ```
   */
  async populateAll(options: Record<string, unknown> = {}): Promise<Record<string, { successCount: number; errors: ReadonlyArray<{ key: Record<string, unknown>; error: Error }> }>> {
    await this.activate();
    const graph = DependencyGraph.of(this.resolve());
    const results: Record<string, { successCount: number; errors: ReadonlyArray<{ key: Record<string, unknown>; error: Error }> }> = {};
    for (const t of graph.topologicalOrder(this.tables)) {
      if (t.tier !== 'imported' && t.tier !== 'computed') continue;
      const populate = (t.cls as unknown as { populate(o: object): Promise<(typeof results)[string]> }).populate;
      results[t.className] = await populate.call(t.cls, options);
    }
    return results;
  }

  /** Runs `work` in one transaction; every query inside uses it. */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.connection.transaction(work);
  }

  /**
   * Drops every table of the schema (and tables of other schemas that depend on them), then the
   * database. Refused without `force` when any of them holds rows.
   */
  async drop(options: { force?: boolean } = {}): Promise<void> {
    const graph = this.dependencies();
    const own = graph.nodes.filter((t) => t.schema === this);
    const doomed = graph.topologicalOrder([...new Set([...own, ...own.flatMap((t) => graph.descendants(t))])]);
    await dropInOrder(doomed, options, `schema ${this.name}`);
    await this.connection.dialect.dropDatabase(this.connection, this.database);
    this.activation = undefined;
  }

  /** Drops one table's storage without checks (used by drop() and failed activations). */
  async dropTable(t: TableInfo): Promise<void> {
    const connection = this.connection;
    for (const { sql, params } of connection.dialect.dropTable(this.database, t.tableName)) await connection.run(sql, params);
    await deleteLineage(connection, this.database, t.tableName);
    t.schema.activation = undefined;
  }

  /** The class's table and every table that depends on it, dropped children first. */
  async dropWithDependents(cls: TableClassLike, options: { force?: boolean } = {}): Promise<void> {
    const info = tableInfo(cls);
    const graph = this.dependencies();
    const doomed = graph.topologicalOrder([info, ...graph.descendants(info)]);
    await dropInOrder(doomed, options, info.className);
  }
}

async function dropInOrder(doomed: TableInfo[], options: { force?: boolean }, what: string): Promise<void> {
  const counts: string[] = [];
  for (const t of doomed) {
    const connection = t.schema.connection;
    if (!(await listTableNames(connection, t.schema.database)).includes(t.tableName)) continue;
    const rows = await connection.query<{ n: number | bigint | string }>(`SELECT count(*) AS n FROM ${connection.dialect.tableRef(t.schema.database, t.tableName)}`);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) counts.push(`${t.className}: ${n} rows`);
  }
  if (counts.length > 0 && !options.force) {
    throw new DataLossError(`Dropping ${what} would delete data (${counts.join(', ')}). Pass { force: true } to drop anyway.`);
  }
  for (const t of [...doomed].reverse()) await t.schema.dropTable(t);
}

/** Columns rg-schema cannot write are refused before anything is created. */
function refuseUnsupported(t: TableInfo): void {
  const bad = t.resolved!.heading.attributes.find((a) => a.type.category === 'unsupported');
  if (bad) {
    throw new DefinitionError({ table: t.className }, `${bad.name} uses ${bad.type.unsupported ?? bad.type.declared}, which rg-schema can open in an existing table but cannot create.`, 'declare this table with DataJoint for Python, or store the value in the table (<blob>, <attach>, bytes).');
  }
}

/** Runs the class's {@link AFTER_ACTIVATE} hook (Lookup contents), if it has one. */
async function afterActivate(t: TableInfo): Promise<void> {
  const hook = (t.cls as unknown as { [AFTER_ACTIVATE]?: (info: TableInfo) => Promise<void> })[AFTER_ACTIVATE];
  if (typeof hook === 'function') await hook.call(t.cls, t);
}
