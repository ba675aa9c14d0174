import { DeadlockError } from '../../errors.js';

/**
 * Runs a statement again when the server broke a lock cycle by failing it (workers adding the same
 * jobs, or Lookup contents, at once can meet in InnoDB's gap locks), after a short random wait.
 *
 * @example
 * ```ts
 * await retryDeadlocks(() => connection.run('INSERT … ON DUPLICATE KEY UPDATE …'));
 * ```
 */
export async function retryDeadlocks<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof DeadlockError) || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}
