import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Attribute } from '../../../definition/heading.js';
import { isFloat32Column } from '../../../util/float32.js';
import type { ValueReading } from '../../dialect.js';

/** PostgreSQL type OIDs whose text pg must not turn into other JS values. */
const OID = { int8: 20, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, interval: 1186 } as const;

const asText = (value: string): string => value;

/** pg's type parsers, loaded on first use: a process that never reads from PostgreSQL does not load pg. */
let pgTypes: typeof pg.types | undefined;
const loadPgTypes = (): typeof pg.types => (pgTypes ??= (createRequire(import.meta.url)('pg') as typeof pg).types);

/**
 * The pg type parsers rg-schema reads with: `bigint` as a JS bigint (pg's default is a string),
 * dates, times and intervals as their text (pg's default builds local-time Date objects); every
 * other type as pg parses it (numeric stays exact text, jsonb is parsed, bytea becomes a Buffer,
 * float8 is parsed from PostgreSQL's shortest round-trip text, so bit for bit).
 *
 * @example
 * ```ts
 * client.query({ text: 'SELECT 9007199254740993::int8 AS n', types: POSTGRES_TYPES });  // { n: 9007199254740993n }
 * ```
 */
export const POSTGRES_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    switch (oid) {
      case OID.int8: return (value: string) => BigInt(value);
      case OID.date:
      case OID.time:
      case OID.timestamp:
      case OID.timestamptz:
      case OID.interval:
        return asText;
      default:
        return loadPgTypes().getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
    }
  },
};

/** `n` fractional digits at least (PostgreSQL drops trailing zeros; MySQL prints `n`). */
function padFraction(text: string, digits: number): string {
  const dot = text.indexOf('.');
  if (dot < 0) return digits === 0 ? text : `${text}.${'0'.repeat(digits)}`;
  const have = text.length - dot - 1;
  return have >= digits ? text : text + '0'.repeat(digits - have);
}

/** Fractional digits declared for a temporal type (`datetime(3)` → 3). */
function declaredDigits(attribute: Attribute): number {
  return Number(/\((\d)\)/.exec(attribute.type.mysql)?.[1] ?? 0);
}

const INTERVAL = /^(?:([-+]?\d+) days? ?)?(?:([-+])?(\d+):(\d{2}):(\d{2})(?:\.(\d+))?)?$/;

/**
 * A `time` attribute, kept in an `interval` (PostgreSQL's `time` holds neither negative values nor
 * more than 24 hours, MySQL's holds ±838:59:59), as MySQL prints it: `[-]HH:MM:SS` and the
 * declared fractional digits. Days an interval was given are counted in hours.
 *
 * @example
 * ```ts
 * timeFromInterval('-838:59:59', 0);  // '-838:59:59'
 * timeFromInterval('1 day 02:00:00', 0);  // '26:00:00'
 * ```
 */
export function timeFromInterval(text: string, digits: number): string {
  const match = INTERVAL.exec(text);
  if (!match) return text;
  const [, days, minus, h, m, s, f] = match;
  const fraction = (f ?? '').padEnd(6, '0').slice(0, 6);
  const sign = minus === '-' ? -1n : 1n;
  let micros = BigInt(days ?? 0) * 86_400_000_000n
    + sign * ((BigInt(h ?? 0) * 3600n + BigInt(m ?? 0) * 60n + BigInt(s ?? 0)) * 1_000_000n + BigInt(fraction || 0));
  const negative = micros < 0n;
  if (negative) micros = -micros;
  const seconds = micros / 1_000_000n;
  const rest = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  const pad = (n: bigint): string => n.toString().padStart(2, '0');
  const base = `${negative ? '-' : ''}${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}`;
  return padFraction(rest === '' ? base : `${base}.${rest}`, digits);
}

/**
 * How each attribute's values come back from pg, given {@link POSTGRES_TYPES}: most are ready;
 * 4-byte floats, unsigned integers held in a wider column, char(n) (PostgreSQL pads it with
 * spaces, MySQL strips them), fractional seconds (padded to the declared digits) and times need a
 * step.
 */
export function postgresReading(attribute: Attribute): ValueReading {
  const { category, intBytes, unsigned, mysql } = attribute.type;
  switch (category) {
    case 'integer':
      // int2/int4 arrive as numbers and int8 as bigints; a column wider than the declared type
      // (int unsigned in a bigint) or numeric(20,0) (uint64) needs converting.
      return unsigned && (intBytes ?? 4) >= 4 ? 'generic' : 'ready';
    case 'float':
      return isFloat32Column(mysql) ? 'generic' : 'ready';
    case 'string':
      return /^char\(/.test(mysql) ? (raw) => (raw as string).replace(/ +$/, '') : 'ready';
    case 'datetime':
    case 'timestamp': {
      const digits = declaredDigits(attribute);
      return (raw) => padFraction(raw as string, digits);
    }
    case 'time': {
      const digits = declaredDigits(attribute);
      return (raw) => timeFromInterval(raw as string, digits);
    }
    case 'decimal':
    case 'bool':
    case 'enum':
    case 'date':
    case 'json':
    case 'uuid':
    case 'bytes':
      return 'ready';
    default:
      return 'generic';
  }
}
