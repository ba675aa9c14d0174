import { QueryError } from '../../errors.js';

/** Ordering, limit and offset: what `top()` restricts by, once `KEY` is spelled out. */
export interface TopSpec {
  /** `name` or `name ASC|DESC`, outermost first. */
  readonly orderBy: readonly string[];
  /** Rows to keep; undefined keeps every row. */
  readonly limit: number | undefined;
  readonly offset: number;
}

/**
 * DataJoint's `dj.Top`: a restriction to the first rows in an order. Make one with {@link top}.
 * `orderBy` undefined means "inherit the order of a Top already applied" (DataJoint's
 * `order_by=None`).
 */
export class Top {
  readonly limit: number | undefined;
  readonly orderBy: readonly string[] | undefined;
  readonly offset: number;

  constructor(limit: number | null | undefined, orderBy: string | readonly string[] | null | undefined, offset: number) {
    if (limit !== null && limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new QueryError(`top() takes a limit that is a whole number ≥ 0, or null for every row; got ${String(limit)}.`);
    }
    if (!Number.isInteger(offset) || offset < 0) throw new QueryError(`top() takes an offset that is a whole number ≥ 0; got ${String(offset)}.`);
    const order = orderBy === null || orderBy === undefined ? undefined : typeof orderBy === 'string' ? [orderBy] : [...orderBy];
    if (order?.some((o) => typeof o !== 'string')) throw new QueryError('top() orders by attribute names (strings), such as "score DESC" or "KEY".');
    this.limit = limit ?? undefined;
    this.orderBy = order;
    this.offset = offset;
  }
}

/**
 * A restriction to the first `limit` rows in `orderBy` order, after skipping `offset`: DataJoint's
 * `dj.Top(limit=1, order_by='KEY', offset=0)`. `'KEY'` is the primary key; `null` as the limit
 * keeps every row; `null` as the order inherits the order of a Top the query already has.
 * Restrictions applied after a Top act on its rows (the Top becomes a subquery).
 *
 * @example
 * ```ts
 * Spike.restrict(top(10, 'spike_time DESC'));
 * // SELECT … FROM `rgc`.`spike` AS `_q1` ORDER BY `spike_time` DESC LIMIT ? OFFSET ?   params: [10, 0]
 * Neuron.restrict(top(5, 'KEY', 20));   // the 21st to 25th neurons by primary key
 * ```
 */
export function top(limit: number | null = 1, orderBy: string | readonly string[] | null = 'KEY', offset = 0): Top {
  return new Top(limit, orderBy, offset);
}

/**
 * The rows of `second` applied to the rows of `first` in `first`'s order: offsets add up, and the
 * second limit counts within what the first left after the second offset.
 */
export function mergeTops(first: TopSpec, second: { limit: number | undefined; offset: number }): TopSpec {
  const remaining = first.limit === undefined ? undefined : Math.max(0, first.limit - second.offset);
  const limit = remaining === undefined ? second.limit : second.limit === undefined ? remaining : Math.min(second.limit, remaining);
  return { orderBy: first.orderBy, limit, offset: first.offset + second.offset };
}
