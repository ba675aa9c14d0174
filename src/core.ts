/**
 * rg-schema/core: the library without the RGC pipeline, for labs that build their own pipelines.
 * DataJoint-style declarative schemas for TypeScript on SQLite and MySQL/MariaDB. Everything public
 * is exported here by name; other modules are internal. Importing it touches no database: a schema
 * connects when one of its tables is first used.
 *
 * @example
 * ```ts
 * import { schema, Manual } from 'rg-schema/core';
 * ```
 *
 * @module rg-schema/core
 */
import 'reflect-metadata';

export {
  RgSchemaError, DefinitionError, ConnectionError, SchemaMismatchError, DataLossError, QueryError,
  DuplicateError, DeadlockError, IntegrityError, UnknownAttributeError, InvalidValueError, CardinalityError,
  BlobError, PopulateError, InterruptedError, ReservationLostError, DataSourceError, UnsupportedTypeError, RequestError,
} from './errors.js';
export type { DefinitionLocation } from './errors.js';

export { Schema } from './schema/declare/schema.js';
export type { SchemaOptions, DeclareOptions } from './schema/declare/schema.js';
export { schema } from './schema/declare/schema-function.js';
export { schemaExists } from './schema/declare/schema-presence.js';
export { Table } from './schema/table/table.js';
export type { TableClass, RowOf, DeclaredRowOf, InsertRowOf, KeyOf } from './schema/table/table.js';
export { Manual, Lookup, Part } from './schema/table/tiers.js';
export { checkRowTypes } from './schema/table/check-row-types.js';
export type { CheckRowTypesOptions } from './schema/table/check-row-types.js';
export { rowInterface } from './schema/table/row-interface.js';
export { Imported, Computed, AutoPopulated } from './schema/populate/auto-populate.js';
export type { PopulateOptions, PopulateResult } from './schema/populate/auto-populate.js';
export type { WorkersStart } from './schema/populate/worker-starts.js';
export type { JobsTable, JobRow, JobStatus, JobWorker, KeyOrder } from './schema/populate/jobs.js';
export { dj014Jobs, dj014ErrorMessage, DJ014_JOBS_TABLE } from './schema/populate/dj014-jobs.js';
export type { Dj014JobsTable, Dj014TableJobs, Dj014JobRow, Dj014JobStatus, Dj014Worker } from './schema/populate/dj014-jobs.js';
export { dj014KeyHash, pythonFloatText } from './schema/populate/dj014-key-hash.js';
export { runFleetWorker, startFleetWorker, resolveStaleAfter, DEFAULT_STALE_AFTER } from './schema/populate/fleet-worker.js';
export type { FleetWorker, FleetWorkerOptions, FleetEvent, FleetResult, FleetStopReason } from './schema/populate/fleet-worker.js';
export { fleetStatus } from './schema/populate/fleet-status.js';
export { populateCpuShare, workerCpuShare } from './schema/populate/cpu-share.js';
export type { FleetHostStatus, FleetWorkerStatus } from './schema/populate/fleet-status.js';
export { WORKER_TABLE } from './schema/populate/worker-registry.js';
export { tableInfo, findTableInfo, TABLE_METADATA_KEY } from './schema/declare/table-info.js';
export type { TableInfo, ResolvedTable, ResolvedForeignKey, IndexDefinition } from './schema/declare/table-info.js';
export { DependencyGraph } from './schema/declare/dependencies.js';
export type { DependencyEdge } from './schema/declare/dependencies.js';
export { snakeCase, camelCase, tableNameFor } from './schema/declare/tiers.js';
export type { Tier } from './schema/declare/tiers.js';
export { parseDefinition } from './schema/definition/parser.js';
export type { ParsedDefinition, DefinitionLine, AttributeLine, ForeignKeyLine, IndexLine } from './schema/definition/parser.js';
export { resolveType } from './schema/definition/types.js';
export type { AttributeType, TypeCategory, Spelling } from './schema/definition/types.js';
export { Heading } from './schema/definition/heading.js';
export type { Attribute, DefaultValue } from './schema/definition/heading.js';
export type { CatalogTable, CatalogAttribute, CatalogForeignKey } from './schema/declare/catalog.js';

export { virtualSchema } from './schema/virtual/virtual-schema.js';
export type { VirtualModule, VirtualSchemaInfo, VirtualSchemaOptions, VirtualTable } from './schema/virtual/virtual-schema.js';
export { codegen } from './schema/codegen/codegen.js';
export type { CodegenResult } from './schema/codegen/codegen.js';
export type { CodegenOptions } from './schema/codegen/generate.js';
export { lineageRows } from './schema/declare/lineage.js';
export type { LineageRow } from './schema/declare/lineage.js';

export { Connection } from './schema/connection/connection.js';
export type { RunResult, TransactionOptions } from './schema/connection/connection.js';
export type {
  Dialect, DriverDialect, SpellingDialect, ValueDialect, SchemaDialect, ErrorKind, ValueReading, SqlRunner, StatementCache, RowBatch,
} from './schema/connection/dialect.js';
export type { TableDeclaration, ForeignKeyDeclaration, Statement } from './schema/connection/table-declaration.js';
export { redactUrl, redactCredentials } from './redact.js';
export { resolveConnectionSpec } from './schema/connection/config.js';
export type { ConnectionOptions, ConnectionSpec, DialectName } from './schema/connection/config.js';

export { Query } from './schema/query/query.js';
export type {
  Restriction, Projected, ProjectedFrom, ProjArg, Aggregated, AggrOptions, FetchColumnsOptions, Operand, RowIn, KeyIn, TableLike, AnyQuery,
} from './schema/query/query.js';
export { sql, not, SqlFragment } from './schema/query/sql.js';
export type { SqlType, Not } from './schema/query/sql.js';
export { top, Top } from './schema/query/top.js';
export { U, UniversalSet } from './schema/query/universal.js';
export type { OrderSpec } from './schema/query/order.js';
export type { Columns, ColumnOf, NumberColumn } from './schema/query/columns.js';
export type { Key, Default, AutoIncrement, Marked, Unmarked, Selectable, Insertable, KeyOfRow } from './schema/query/row-types.js';
export type { InsertOptions, RowSource } from './schema/query/insert.js';
export type { DeleteOptions } from './schema/query/delete.js';

export type { Attachment } from './schema/query/attachment.js';

export { packBlob } from './schema/blob/pack.js';
export type { PackOptions } from './schema/blob/pack.js';
export { PackedBlob, packBlobAsync } from './schema/blob/packed-blob.js';
export { unpackBlob } from './schema/blob/unpack.js';
export type { UnpackOptions } from './schema/blob/unpack.js';
export {
  BoolArray, Datetime64Array, Complex, ComplexArray, MatStruct, MatCell, RecArray, Temporal, Uuid, Decimal, tuple,
  list, markList, isList, isTuple, PyFloat, PyInt, pyFloat, pyInt,
} from './schema/blob/blob-types.js';
export { numpyScalar } from './schema/blob/dtypes.js';
export type { NumpyDtype } from './schema/blob/dtypes.js';
export { float32Value } from './schema/query/float32.js';

export { Diagram } from './erd/diagram.js';
export type { DotOptions } from './erd/dot.js';
export type { ErdModel, ErdNode, ErdEdge } from './erd/graph-model.js';
