import { redactCredentials } from './redact.js';

/**
 * The one error hierarchy of rg-schema. Every error a user can meet is an {@link RgSchemaError};
 * the subclasses say what kind of thing went wrong, and their messages say where and how to fix it.
 *
 * @example
 * ```ts
 * try { await Session.insert1(row); }
 * catch (e) { if (e instanceof DuplicateError) console.log(e.table, e.sql); }
 * ```
 */
export class RgSchemaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    // Messages are printed: a URL in one never carries its password (nor does the stack, made from it).
    super(redactCredentials(message), options);
    scrubCauses(options?.cause);
    this.name = new.target.name;
  }
}

/** A driver's or the platform's error inside ours can quote a URL too (Node's ERR_INVALID_URL quotes it whole). */
function scrubCauses(cause: unknown, depth = 0): void {
  if (!(cause instanceof Error) || depth > 5) return;
  const scrub = (text: string | undefined): string | undefined => (text === undefined ? undefined : redactCredentials(text));
  if (cause.message.includes('://')) cause.message = scrub(cause.message)!;
  if (cause.stack?.includes('://')) cause.stack = scrub(cause.stack);
  // Drivers attach the statement (mysql2's .sql, with values spliced in) and Node the input URL.
  for (const key of Object.keys(cause)) {
    const value = (cause as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.includes('://')) (cause as unknown as Record<string, unknown>)[key] = redactCredentials(value);
  }
  scrubCauses(cause.cause, depth + 1);
}

/** Where in a table definition a problem sits. */
export interface DefinitionLocation {
  /** The class name of the table being declared. */
  readonly table: string;
  /** 1-based line number within the definition string. */
  readonly line?: number;
  /** The offending line's text. */
  readonly text?: string;
}

/** A table definition that cannot be declared: syntax, types, references, keys. */
export class DefinitionError extends RgSchemaError {
  readonly table: string;
  readonly line: number | undefined;
  readonly text: string | undefined;
  constructor(where: DefinitionLocation, problem: string, fix: string) {
    const at = where.line === undefined ? '' : ` line ${where.line}`;
    const quoted = where.text === undefined ? '' : `: "${where.text}"`;
    super(`${where.table}${at}${quoted}\n  ${problem}\n  Fix: ${fix}`);
    this.table = where.table;
    this.line = where.line;
    this.text = where.text;
  }
}

/** The connection settings cannot be understood or the server cannot be reached. */
export class ConnectionError extends RgSchemaError {}

/** A table exists in the database with a heading other than its declaration. */
export class SchemaMismatchError extends RgSchemaError {}

/** The operation would lose data and was not forced. */
export class DataLossError extends RgSchemaError {}

/** Carries the SQL and its parameters, so that a failure can be reproduced. */
export class QueryError extends RgSchemaError {
  readonly sql: string | undefined;
  readonly params: readonly unknown[] | undefined;
  readonly table: string | undefined;
  constructor(
    message: string,
    details: { sql?: string; params?: readonly unknown[]; table?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.sql = details.sql === undefined ? undefined : redactCredentials(details.sql);
    this.params = details.params?.map((p) => (typeof p === 'string' ? redactCredentials(p) : p));
    this.table = details.table;
  }
}

/** A row's primary key (or a unique index) is already present. */
export class DuplicateError extends QueryError {}

/** The server broke a lock cycle (or waited too long for a lock) by failing this statement: running it again is safe. */
export class DeadlockError extends QueryError {}

/** A foreign key is violated: a missing parent, or a child that still depends on a row. */
export class IntegrityError extends QueryError {}

/** An attribute name that the heading does not have. */
export class UnknownAttributeError extends QueryError {}

/** A row lacks a value the table requires, or a value has the wrong type. */
export class InvalidValueError extends QueryError {}

/** A column whose type rg-schema can open but not read or write (external stores, custom codecs). */
export class UnsupportedTypeError extends QueryError {}

/** fetch1 found zero rows or more than one. */
export class CardinalityError extends QueryError {}

/** A DataJoint blob that cannot be packed or unpacked. */
export class BlobError extends RgSchemaError {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

/** populate() or make() failed; the key is attached. */
export class PopulateError extends RgSchemaError {
  readonly key: Readonly<Record<string, unknown>> | undefined;
  constructor(message: string, key?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
  }
}

/** populate() was stopped by a signal (Ctrl-C) before it finished. */
export class InterruptedError extends PopulateError {
  readonly signal: string;
  constructor(message: string, signal: string) {
    super(message);
    this.signal = signal;
  }
}

/**
 * A worker's reservation of a key was taken away while its make() ran (its jobs row is no longer
 * `reserved` by this connection, host and process): the make's transaction was rolled back, so a
 * worker that was cut off never commits a key another worker now holds.
 *
 * @example
 * ```ts
 * const { errors } = await Sta.populate({ reserveJobs: true, suppressErrors: true });
 * errors.filter((e) => e.error instanceof ReservationLostError); // keys handed to another worker
 * ```
 */
export class ReservationLostError extends PopulateError {}

/** A manifest entry or its data cannot be loaded. */
export class DataSourceError extends RgSchemaError {
  readonly source: string | undefined;
  readonly field: string | undefined;
  constructor(message: string, details: { source?: string; field?: string; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.source = details.source === undefined ? undefined : redactCredentials(details.source);
    this.field = details.field;
  }
}

/**
 * A request to the viewer's API that cannot be answered as asked: a malformed or out-of-range
 * parameter (400) or a key with no row behind it (404). The message is the sentence the caller sees.
 */
export class RequestError extends RgSchemaError {
  readonly statusCode: 400 | 404 | 405 | 503;
  constructor(statusCode: 400 | 404 | 405 | 503, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

/** A numeric kernel (the STA's SIMD engine) cannot run: out of its memory, or a failed thread. */
export class KernelError extends RgSchemaError {}
