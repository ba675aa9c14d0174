/**
 * Row types in the style of Kysely's `Generated<T>` / `Selectable` / `Insertable`: a row
 * interface marks its primary-key attributes with `Key<T>` and the attributes the database can
 * fill with `Default<T>` (a declared default, `auto_increment`, `CURRENT_TIMESTAMP`). From it come
 * the row `fetch` returns, the row `insert` accepts (marked and nullable attributes optional) and
 * the primary key `keys()` and `make(key)` see. An interface without marks works as before: its
 * rows are fetched and inserted as written, and its key is `Partial<Row>`.
 *
 * @example
 * ```ts
 * interface SessionRow {
 *   subject_name: Key<string>;
 *   session: Key<number>;
 *   day: string;
 *   good: Default<boolean>;        // `good = 1 : bool`
 *   note: string | null;            // `note = null : varchar(255)`
 * }
 * // Selectable<SessionRow>: { subject_name: string; session: number; day: string; good: boolean; note: string | null }
 * // Insertable<SessionRow>: { subject_name: string; session: number; day: string; good?: boolean; note?: string | null }
 * // KeyOfRow<SessionRow>:   { subject_name: string; session: number }
 * ```
 */
export interface Marked<T, InKey extends boolean, Filled extends boolean> {
  /** Phantom: never present at run time. */
  readonly __rg_attribute__: { readonly value: T; readonly key: InKey; readonly filled: Filled };
}

/** A primary-key attribute of a row interface. Combine with Default: `Key<Default<number>>`. */
export type Key<T> = [T] extends [Marked<infer V, boolean, infer F>] ? Marked<V, true, F> : Marked<T, true, false>;

/** An attribute the database fills when the insert leaves it out (a default or `CURRENT_TIMESTAMP`). */
export type Default<T> = [T] extends [Marked<infer V, infer K, boolean>] ? Marked<V, K, true> : Marked<T, false, true>;

/** An `auto_increment` attribute: filled by the database when left out. */
export type AutoIncrement<T> = Default<T>;

/** The value type of a possibly marked attribute. */
export type Unmarked<V> = [V] extends [Marked<infer T, boolean, boolean>] ? T : V;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type MarkedNames<D> = { [K in keyof D]-?: [D[K]] extends [Marked<unknown, boolean, boolean>] ? K : never }[keyof D];
type KeyNames<D> = { [K in keyof D]-?: [D[K]] extends [Marked<unknown, true, boolean>] ? K : never }[keyof D];
type OptionalOnInsert<D> = {
  [K in keyof D]-?: [D[K]] extends [Marked<unknown, boolean, true>] ? K : null extends Unmarked<D[K]> ? K : undefined extends D[K] ? K : never;
}[keyof D];

/** The row as fetched: marks removed. An interface without marks is returned as it is. */
export type Selectable<D> = [MarkedNames<D>] extends [never] ? D : { [K in keyof D]: Unmarked<D[K]> };

/** The row as inserted: attributes with a default, nullable ones and `auto_increment` are optional. */
export type Insertable<D> = Simplify<
  { [K in keyof D as K extends OptionalOnInsert<D> ? never : K]: Unmarked<D[K]> }
  & { [K in keyof D as K extends OptionalOnInsert<D> ? K : never]?: Unmarked<D[K]> }
>;

/** The primary key of a row interface: its `Key<…>` attributes; `Partial<Row>` when none is marked. */
export type KeyOfRow<D> = [KeyNames<D>] extends [never] ? Partial<Selectable<D>> : { [K in KeyNames<D>]: Unmarked<D[K]> };
