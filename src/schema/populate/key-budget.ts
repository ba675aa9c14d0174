/**
 * The keys a populate may still make when `limit` or `maxCalls` is given, shared by every process
 * of `populate({ workers })`. DataJoint's `populate(max_calls=10, processes=4)` calls make() at
 * most 10 times in all; each process counting its own would make up to 40, and with workers
 * started on idle cores a number that depends on how many started.
 *
 * @example
 * ```ts
 * const budget = new LocalKeyBudget(10);
 * const granted = await budget.take(4);   // 4: claim 4 keys
 * budget.giveBack(1);                     // one of them was made elsewhere meanwhile
 * ```
 */
export interface KeyBudget {
  /** Up to `wanted` keys of those left, taken: how many (0 once none is left). */
  take(wanted: number): Promise<number>;
  /** Keys taken but not made (not claimed, made by another worker, given back after a failure). */
  giveBack(count: number): void;
}

/** The populate option (internal) that hands a process its share of a {@link KeyBudget}. */
export const KEY_BUDGET: unique symbol = Symbol('rg-schema: key budget');

/** The budget itself, held by the process that called `populate({ workers })`. */
export class LocalKeyBudget implements KeyBudget {
  #left: number;

  constructor(keys: number) {
    this.#left = Math.max(0, Math.floor(keys));
  }

  /** Keys not taken yet. */
  get left(): number {
    return this.#left;
  }

  /** {@link take} without a promise: what a worker process's request is answered with. */
  takeNow(wanted: number): number {
    const granted = Math.max(0, Math.min(this.#left, Math.floor(wanted)));
    this.#left -= granted;
    return granted;
  }

  take(wanted: number): Promise<number> {
    return Promise.resolve(this.takeNow(wanted));
  }

  giveBack(count: number): void {
    this.#left += Math.max(0, Math.floor(count));
  }
}

/** A worker process's request for keys of its parent's budget. */
export interface KeyBudgetTake {
  readonly kind: 'take-keys';
  readonly id: number;
  readonly wanted: number;
}

/** The parent's answer to a {@link KeyBudgetTake}. */
export interface KeyBudgetGranted {
  readonly kind: 'granted-keys';
  readonly id: number;
  readonly count: number;
}

/** Keys a worker process took and did not make, back to its parent's budget. */
export interface KeyBudgetGiveBack {
  readonly kind: 'give-back-keys';
  readonly count: number;
}

/**
 * A worker process's view of its parent's budget: each take is a request over IPC. A worker whose
 * parent is gone exits (worker-main.ts), so an unanswered request does not keep it waiting.
 */
export class IpcKeyBudget implements KeyBudget {
  #next = 0;
  readonly #pending = new Map<number, (count: number) => void>();

  constructor(private readonly send: (message: KeyBudgetTake | KeyBudgetGiveBack) => void) {}

  take(wanted: number): Promise<number> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.send({ kind: 'take-keys', id, wanted });
    });
  }

  giveBack(count: number): void {
    if (count > 0) this.send({ kind: 'give-back-keys', count });
  }

  /** The parent's answer arrived. */
  granted(answer: KeyBudgetGranted): void {
    const resolve = this.#pending.get(answer.id);
    this.#pending.delete(answer.id);
    resolve?.(answer.count);
  }
}
