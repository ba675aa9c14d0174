import type { CatalogTable, TableDeclaration } from '../connection/table-declaration.js';
import type { Dialect } from '../connection/dialect.js';
import type { Attribute, DefaultValue } from '../definition/heading.js';
import { inSpelling, resolveType, type AttributeType } from '../definition/types.js';
import type { TableInfo } from '../declare/table-info.js';

/** DataJoint 2's job statuses, in the order of its enum. */
export const JOB_STATUSES = ['pending', 'reserved', 'success', 'error', 'ignore'] as const;

/** The longest error message a jobs row holds; longer ones are cut and end in `...truncated`. */
export const ERROR_MESSAGE_LENGTH = 2047;

/** DataJoint's `config.jobs.default_priority`: lower runs first. */
export const DEFAULT_PRIORITY = 5;

/**
 * The jobs table's name, as DataJoint 2.3 names it: `~~` and the table name without its leading
 * underscores.
 *
 * @example
 * ```ts
 * jobsTableName(tableInfo(SpikeTriggeredAverage)); // '~~spike_triggered_average'
 * ```
 */
export function jobsTableName(info: TableInfo): string {
  return `~~${info.tableName.replace(/^_+/, '')}`;
}

/**
 * The key of a table's jobs: its primary-key attributes that come from its primary foreign keys,
 * in key order (DataJoint 2.3 leaves a table's own key attributes out: one job makes them all).
 *
 * @example
 * ```ts
 * jobKeyAttributes(tableInfo(SpikeTriggeredAverage)); // ['subject_name', 'session_idx', 'neuron_idx', 'sta_params_id']
 * ```
 */
export function jobKeyAttributes(info: TableInfo): string[] {
  const resolved = info.resolved!;
  const fromParents = new Set(resolved.foreignKeys.filter((fk) => fk.inKey).flatMap((fk) => fk.attributes));
  return resolved.heading.primaryKey.filter((k) => fromParents.has(k));
}

/** The type an inherited attribute was declared with, in the table that declared it. */
function originType(info: TableInfo, attribute: string): AttributeType {
  const resolved = info.resolved!;
  const fk = resolved.foreignKeys.find((f) => f.attributes.includes(attribute));
  if (fk) return originType(fk.parent, fk.parentAttributes[fk.attributes.indexOf(attribute)] ?? attribute);
  return resolved.heading.get(attribute).type;
}

const type = (written: string): AttributeType => inSpelling(resolveType(written)!, 'dj2');
const column = (name: string, written: string, dflt?: DefaultValue): Attribute => ({
  name, type: type(written), inKey: false, nullable: dflt?.kind === 'null', default: dflt, comment: '',
});
const now: DefaultValue = { kind: 'now' };
const none: DefaultValue = { kind: 'null' };
const text = (t: string): DefaultValue => ({ kind: 'string', text: t });
const zero: DefaultValue = { kind: 'number', text: '0' };

/**
 * The jobs table of an Imported or Computed table, column for column as DataJoint 2.3.2 declares
 * it, so DataJoint workers and ours share it:
 *
 * ```
 * # Job queue for `db`.`__table`
 * <the key attributes> : <their core types>
 * ---
 * status : enum('pending', 'reserved', 'success', 'error', 'ignore')
 * priority : int8
 * created_time=CURRENT_TIMESTAMP(3) : datetime(3)
 * scheduled_time=CURRENT_TIMESTAMP(3) : datetime(3)
 * reserved_time=null : datetime(3)
 * completed_time=null : datetime(3)
 * duration=null : float64
 * error_message="" : varchar(2047)
 * error_stack=null : <blob>
 * user="" : varchar(255)
 * host="" : varchar(255)
 * pid=0 : int32
 * connection_id=0 : int64
 * version="" : varchar(64)
 * INDEX (status, priority, scheduled_time)
 * ```
 *
 * A key column carries its core type's marker on MySQL; on PostgreSQL DataJoint sees only the
 * native type of an inherited column, so it has no comment there.
 *
 * @example
 * ```ts
 * connection.dialect.createTable(jobsDeclaration(tableInfo(Work), connection.dialect));
 * // CREATE TABLE `db`.`~~work` (`item_id` int NOT NULL COMMENT ':int32:', `status` enum(…) NOT NULL COMMENT ':enum(…):', …
 * ```
 */
export function jobsDeclaration(info: TableInfo, dialect: Dialect): TableDeclaration {
  const keys = jobKeyAttributes(info);
  const heading = info.resolved!.heading;
  const database = info.schema.database;
  const keyColumns = keys.map((k): Attribute => {
    const own = heading.get(k);
    const origin = originType(info, k);
    return { name: k, type: { ...own.type, marker: origin.marker }, inKey: true, nullable: false, default: undefined, comment: '' };
  });
  return {
    database,
    tableName: jobsTableName(info),
    className: `${info.className} jobs`,
    tier: 'jobs',
    comment: `Job queue for ${dialect.tableRef(database, info.tableName)}`,
    attributes: [
      ...keyColumns,
      column('status', `enum(${JOB_STATUSES.map((s) => `'${s}'`).join(', ')})`),
      column('priority', 'int8'),
      column('created_time', 'datetime(3)', now),
      column('scheduled_time', 'datetime(3)', now),
      column('reserved_time', 'datetime(3)', none),
      column('completed_time', 'datetime(3)', none),
      column('duration', 'float64', none),
      column('error_message', `varchar(${ERROR_MESSAGE_LENGTH})`, text('')),
      column('error_stack', '<blob>', none),
      column('user', 'varchar(255)', text('')),
      column('host', 'varchar(255)', text('')),
      column('pid', 'int32', zero),
      column('connection_id', 'int64', zero),
      column('version', 'varchar(64)', text('')),
    ],
    primaryKey: keys,
    foreignKeys: [],
    indexes: [{ unique: false, attributes: ['status', 'priority', 'scheduled_time'] }],
    nativeAttributes: keys,
  };
}

/**
 * Why a jobs table the database holds is not DataJoint 2.3's (an older rg-schema or DataJoint
 * layout), or undefined when it is: its columns and their storage must be those above.
 *
 * @example
 * ```ts
 * jobsLayoutProblem(found, jobsDeclaration(info, dialect));
 * // 'its priority is int(11), not tinyint; its version is varchar(255), not varchar(64)'
 * ```
 */
export function jobsLayoutProblem(found: CatalogTable, expected: TableDeclaration): string | undefined {
  const canonical = (sql: string): string => sql.toLowerCase().replace(/\(\d+\)$/, (m) => (/^(tiny|small|medium|big)?int/.test(sql.toLowerCase()) ? '' : m)).replace(/\s+/g, '');
  const problems: string[] = [];
  const names = found.attributes.map((a) => a.name);
  const wanted = expected.attributes.map((a) => a.name);
  const missing = wanted.filter((n) => !names.includes(n));
  const extra = names.filter((n) => !wanted.includes(n) && !n.startsWith('_'));
  if (missing.length > 0) problems.push(`it lacks ${missing.join(', ')}`);
  if (extra.length > 0) problems.push(`it has ${extra.join(', ')}`);
  for (const want of expected.attributes) {
    const column = found.attributes.find((a) => a.name === want.name);
    if (!column || want.inKey) continue;
    if (canonical(column.sqlType) !== canonical(want.type.mysql)) problems.push(`its ${want.name} is ${column.sqlType}, not ${want.type.mysql}`);
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}
