import { ConnectionError } from '../../errors.js';

const OUTAGE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTCONN', 'ECONNABORTED',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED',
  'ER_CON_COUNT_ERROR', 'ER_SERVER_GONE_ERROR', 'ER_SERVER_LOST',
  // PostgreSQL: admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now (starting up), connection_failure.
  '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004',
]);

const LOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', '40P01', '40001', '55P03', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

const OUTAGE_TEXT = /Connection terminated|connection is closed|Cannot enqueue .* after fatal error|Can't add new command when connection is in closed state|Timeout acquiring a connection|Connection lost|server closed the connection|terminating connection|the database system is (starting up|shutting down)|Knex: Timeout|read ECONNRESET|connect ECONNREFUSED/i;

function* chain(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

function code(error: unknown): string {
  const c = (error as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}

/**
 * True when the error means the database could not be reached or dropped the session (the server
 * went away or restarted, the network failed, the session was killed): the worker should
 * reconnect and retry, and the key is not the make's fault. Looks through the `cause` chain.
 *
 * @example
 * ```ts
 * isOutage(new ConnectionError('Cannot connect to mysql://db: connect ECONNREFUSED')); // true
 * ```
 */
export function isOutage(error: unknown): boolean {
  for (const e of chain(error)) {
    if (e instanceof ConnectionError) return true;
    if (OUTAGE_CODES.has(code(e))) return true;
    if ((e as { fatal?: unknown }).fatal === true) return true;
    if (OUTAGE_TEXT.test(String((e as Error)?.message ?? ''))) return true;
  }
  return false;
}

/**
 * True when the error is a lock conflict (deadlock, lock wait timeout, serialization failure,
 * SQLite busy): the key is not at fault and goes back to pending for another try.
 */
export function isLockConflict(error: unknown): boolean {
  for (const e of chain(error)) if (LOCK_CODES.has(code(e))) return true;
  return false;
}
