import { constants } from 'node:buffer';
import { DataSourceError } from '../../errors.js';

/**
 * Bounds on what one data source may cost. Each has a default; a manifest entry may override them
 * with `max_bytes`, `connect_timeout` and `timeout` (seconds), and `rg-pipeline load` with
 * `--max-bytes`, `--connect-timeout` and `--timeout`.
 *
 * @example
 * ```ts
 * await readSource({ type: 'http/json', access: 'https://lab.example/ret.json', timeout: 60 });
 * await loadManifest(entries, { limits: { maxBytes: 2 ** 30 } });
 * ```
 */
export interface SourceLimits {
  /** Largest source in bytes: a file, an HTTP body, a database source's rows. Default 1 GiB. */
  readonly maxBytes: number;
  /** http/json: milliseconds to resolve and connect. Default 10 s. */
  readonly connectTimeoutMs: number;
  /** http/json: milliseconds for the whole request, body included. Default 5 min. */
  readonly timeoutMs: number;
}

/**
 * The limits a source is read with unless the caller or the manifest entry says otherwise: 1 GiB, 10 s to connect, 5 minutes for a whole request.
 *
 * @example
 * ```ts
 * await loadManifest(entries, { limits: { ...DEFAULT_LIMITS, maxBytes: 4 * 2 ** 30 } });
 * ```
 */
export const DEFAULT_LIMITS: SourceLimits = { maxBytes: 2 ** 30, connectTimeoutMs: 10_000, timeoutMs: 300_000 };

/** The longest string V8 can hold: JSON text beyond it cannot be parsed at all. */
export const MAX_JSON_TEXT = constants.MAX_STRING_LENGTH;

/** The defaults, overridden by the caller's options, then by the entry's own fields. */
export function limitsFor(entry: Record<string, unknown>, base: Partial<SourceLimits> = {}): SourceLimits {
  const merged = { ...DEFAULT_LIMITS, ...base };
  const seconds = (field: string, fallback: number): number => {
    const v = entry[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new DataSourceError(`"${field}" must be a positive number of seconds, got ${JSON.stringify(v)}.`, { field });
    }
    return v * 1000;
  };
  const maxBytes = entry.max_bytes;
  if (maxBytes !== undefined && (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0)) {
    throw new DataSourceError(`"max_bytes" must be a positive whole number of bytes, got ${JSON.stringify(maxBytes)}.`, { field: 'max_bytes' });
  }
  return {
    maxBytes: (maxBytes as number | undefined) ?? merged.maxBytes,
    connectTimeoutMs: seconds('connect_timeout', merged.connectTimeoutMs),
    timeoutMs: seconds('timeout', merged.timeoutMs),
  };
}

/** "1.0 GiB", "512 B": sizes in messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value.toFixed(1)} ${units[unit]}`;
}
