/**
 * Work begun on the key a populate will most likely make next, while the current key's row is
 * inserted and committed: its result is waiting when make() is called for it. The order is the
 * one todoKeys gave; a populate that asks for another key (its own order, a restriction, jobs)
 * only drops the work begun, and nothing is begun again until the next list. At most one key is
 * ahead, and only when `begin` can start it without a query (see heldStimulationInputs).
 *
 * @example
 * ```ts
 * const ahead = new KeyAhead<Row>(['stimulation_index', 'neuron_index', 'n_lags']);
 * ahead.expect(todo);                                   // in todoKeys
 * const row = ahead.take(key) ?? computeRow(key);       // in make
 * ahead.begin((next) => rowIfReady(next));              // while this key's row is inserted
 * ```
 */
export class KeyAhead<T> {
  /** By a key's id: the key after it in the list. */
  private following = new Map<string, Record<string, unknown>>();
  /** The id of the key make() asked for last. */
  private current: string | undefined;
  /** Work begun, in the list's order. */
  private pending: Array<{ readonly id: string; readonly work: Promise<T> }> = [];

  constructor(private readonly names: readonly string[], private readonly depth = 1) {}

  /** The keys, in the order make() will be asked for them; forgets any work begun. */
  expect(keys: ReadonlyArray<Record<string, unknown>>): void {
    this.following = new Map();
    for (let i = 0; i + 1 < keys.length; i++) this.following.set(this.id(keys[i]!), keys[i + 1]!);
    this.pending = [];
    this.current = undefined;
  }

  /** The work begun for this key, if any. Work begun for another key is dropped, and so is the list. */
  take(key: Record<string, unknown>): Promise<T> | undefined {
    this.current = this.id(key);
    const first = this.pending.shift();
    if (!first) return undefined;
    if (first.id === this.id(key)) return first.work;
    this.pending = [];
    this.following = new Map();
    return undefined;
  }

  /**
   * Begins the keys after the one last taken in the list (after those begun already), up to
   * `depth` ahead, while `begin` starts them (undefined: not now). A failure is kept for make() of
   * that key to report. May be called late (after the next take): it begins after that one then.
   */
  begin(begin: (next: Record<string, unknown>) => Promise<T> | undefined): void {
    while (this.pending.length < this.depth) {
      const anchor = this.pending.length > 0 ? this.pending.at(-1)!.id : this.current;
      const next = anchor === undefined ? undefined : this.following.get(anchor);
      if (!next) return;
      let work: Promise<T> | undefined;
      try {
        work = begin(next);
      } catch (error) {
        work = Promise.reject(error);
      }
      if (!work) return;
      // Reported by the make that takes it; one never taken must not be an unhandled rejection.
      work.catch(() => undefined);
      this.pending.push({ id: this.id(next), work });
    }
  }

  private id(key: Record<string, unknown>): string {
    return JSON.stringify(this.names.map((name) => key[name] instanceof Date ? (key[name] as Date).toISOString() : key[name]));
  }
}
