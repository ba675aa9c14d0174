import { PopulateError } from '../../errors.js';
import { tableInfo, type TableInfo } from '../declare/table-info.js';
import type { Tier } from '../declare/tiers.js';
import { makeContext } from '../query/make-context.js';
import { Query, type Restriction } from '../query/query.js';
import { Table, type RowOf, type TableClass } from '../table/table.js';

/** Options of populate(). */
export interface PopulateOptions {
  /** Keep going past a failing key; its error is returned. */
  readonly suppressErrors?: boolean;
  /** Call make() at most this many times. */
  readonly maxCalls?: number;
  /** Consider at most this many keys. */
  readonly limit?: number;
  readonly order?: 'original' | 'reverse' | 'random';
  /** Called after each key with the numbers done and total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PopulateResult {
  readonly successCount: number;
  readonly errors: ReadonlyArray<{ key: Record<string, unknown>; error: Error }>;
}

type AutoClass = TableClass & { new (): AutoPopulated<object> };

/**
 * Imported and Computed tables: `populate()` calls `make(key)` for every key of `keySource` that is
 * not yet in the table, each in its own transaction with the table's Parts.
 */
export abstract class AutoPopulated<Row extends object = Record<string, unknown>> extends Table<Row> {
  /** Computes and inserts the rows of one key (and its parts). */
  abstract make(key: Record<string, unknown>): Promise<void>;

  /** The keys to compute: by default the join of the primary-key parents, projected to their keys. */
  static keySource(this: TableClass): Query<object> {
    const info = tableInfo(this);
    info.schema.resolve();
    const parents = info.resolved!.foreignKeys.filter((fk) => fk.inKey).map((fk) => {
      const query = Query.ofTable<object>(fk.parent, fk.parent.resolved!.heading);
      const renames = Object.fromEntries(fk.attributes.map((a, i) => [a, fk.parentAttributes[i]!]).filter(([a, p]) => a !== p));
      return Object.keys(renames).length > 0 ? (query as unknown as Query<Record<string, unknown>>).proj(renames) as unknown as Query<object> : query.proj();
    });
    if (parents.length === 0) {
      throw new PopulateError(`${info.className} has no primary-key parents, so it has no default keySource. Override static keySource().`);
    }
    return parents.slice(1).reduce<Query<object>>((acc, q) => acc.join(q), parents[0]!);
  }

  /** Keys of keySource (restricted) not yet in the table. */
  static async todoKeys<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Promise<Array<Record<string, unknown>>> {
    const cls = this as unknown as typeof AutoPopulated & TableClass;
    let source = cls.keySource();
    if (restriction !== undefined) source = source.restrict(restriction as Restriction<object>);
    const done = cls.query().proj();
    return (await source.exclude(done).keys()) as Array<Record<string, unknown>>;
  }

  /** `{ remaining, total }` over keySource. */
  static async progress<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Promise<{ remaining: number; total: number }> {
    const cls = this as unknown as typeof AutoPopulated & TableClass;
    let source = cls.keySource();
    if (restriction !== undefined) source = source.restrict(restriction as Restriction<object>);
    const total = await source.count();
    const remaining = await source.exclude(cls.query().proj()).count();
    return { remaining, total };
  }

  /**
   * Calls make(key) for every missing key, each in its own transaction.
   *
   * @example
   * ```ts
   * const { successCount, errors } = await SpikeTriggeredAverage.populate({ suppressErrors: true });
   * ```
   */
  static async populate<C extends TableClass>(this: C, restrictionOrOptions?: Restriction<RowOf<C>> | PopulateOptions, maybeOptions: PopulateOptions = {}): Promise<PopulateResult> {
    const cls = this as unknown as AutoClass & typeof AutoPopulated;
    const isOptions = restrictionOrOptions !== undefined && typeof restrictionOrOptions === 'object' && !Array.isArray(restrictionOrOptions)
      && !(restrictionOrOptions instanceof Query) && Object.keys(restrictionOrOptions).some((k) => ['suppressErrors', 'maxCalls', 'limit', 'order', 'onProgress', 'reserveJobs', 'display', 'workers'].includes(k));
    const restriction = isOptions ? undefined : (restrictionOrOptions as Restriction<object> | undefined);
    const options = isOptions ? (restrictionOrOptions as PopulateOptions) : maybeOptions;
    const info = tableInfo(cls);
    await info.schema.activate();
    let keys = await cls.todoKeys(restriction as never);
    if (options.order === 'reverse') keys.reverse();
    if (options.order === 'random') keys = shuffle(keys);
    if (options.limit !== undefined) keys = keys.slice(0, options.limit);
    if (options.maxCalls !== undefined) keys = keys.slice(0, options.maxCalls);
    const errors: Array<{ key: Record<string, unknown>; error: Error }> = [];
    let successCount = 0;
    let done = 0;
    for (const key of keys) {
      try {
        await runMake(cls, info, key);
        successCount++;
      } catch (error) {
        const wrapped = error instanceof Error ? error : new Error(String(error));
        if (!options.suppressErrors) throw new PopulateError(`${info.className}.make failed for key ${JSON.stringify(key, bigintSafe)}: ${wrapped.message}`, key, { cause: wrapped });
        errors.push({ key, error: wrapped });
      }
      options.onProgress?.(++done, keys.length);
    }
    return { successCount, errors };
  }
}

/** One key: make() in a transaction that may insert into the table and its parts. */
export async function runMake(cls: new () => AutoPopulated<object>, info: TableInfo, key: Record<string, unknown>): Promise<void> {
  const allowed = new Set<TableInfo>([info, ...info.parts]);
  await info.schema.connection.transaction(() => makeContext.run(allowed, async () => {
    const instance = new cls();
    await instance.make(key);
  }));
}

function bigintSafe(_: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Data that is read in from outside the database by make(). Table name: `_snake_name`. */
export abstract class Imported<Row extends object = Record<string, unknown>> extends AutoPopulated<Row> {
  static override readonly tier: Tier = 'imported';
}

/** Data computed from other tables by make(). Table name: `__snake_name`. */
export abstract class Computed<Row extends object = Record<string, unknown>> extends AutoPopulated<Row> {
  static override readonly tier: Tier = 'computed';
}
