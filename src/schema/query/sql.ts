/**
 * A piece of SQL whose values are bound parameters. Build one with the {@link sql} tag. `T` is the
 * type of the value the expression computes (as `sql<number>\`count(*)\`` declares it); it types
 * the attributes `proj` and `aggr` compute, and is `unknown` when not given.
 */
export class SqlFragment<T = unknown> {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
  /** Phantom member that carries the value type; never set. */
  declare readonly __type?: T;
  constructor(strings: readonly string[], values: readonly unknown[]) {
    this.strings = strings;
    this.values = values;
  }

  /** The text with `?` placeholders, and the values in order. Nested fragments are inlined. */
  toSql(): { sql: string; params: unknown[] } {
    let text = this.strings[0] ?? '';
    const params: unknown[] = [];
    this.values.forEach((value, i) => {
      if (value instanceof SqlFragment) {
        const inner = value.toSql();
        text += inner.sql;
        params.push(...inner.params);
      } else {
        text += '?';
        params.push(value);
      }
      text += this.strings[i + 1] ?? '';
    });
    return { sql: text, params };
  }
}

/** The value type an `sql<T>` fragment computes. */
export type SqlType<F> = F extends SqlFragment<infer T> ? T : unknown;

/**
 * Tagged template for SQL whose interpolated values are bound, never spliced. A type argument
 * declares what the expression computes.
 *
 * @example
 * ```ts
 * Spike.restrict(sql`spike_time > ${t0}`);
 * // WHERE (spike_time > ?)   params: [t0]
 * Neuron.aggr(Spike, { n: sql<number>`count(spike_time)` });   // rows have n: number
 * // SELECT …, (count(spike_time)) AS `n` FROM … LEFT JOIN … GROUP BY …
 * ```
 */
export function sql<T = unknown>(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment<T> {
  return new SqlFragment<T>([...strings], values);
}

/** A negated restriction: `Session.restrict(not({ subject_name: 'KO' }))`. */
export class Not {
  readonly condition: unknown;
  constructor(condition: unknown) {
    this.condition = condition;
  }
}

/**
 * Negates a restriction.
 *
 * @example
 * ```ts
 * Session.restrict(not({ sample_number: 1 }));
 * // WHERE NOT ((`sample_number` = ?))
 * ```
 */
export function not(condition: unknown): Not {
  return new Not(condition);
}
