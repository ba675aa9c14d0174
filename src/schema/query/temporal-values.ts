import { ValueProblem } from './value-problem.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/**
 * Fractional-second digits a column keeps: `datetime(3)` keeps 3, `datetime` none.
 *
 * @example
 * ```ts
 * fractionalDigits('time(4)');  // 4
 * ```
 */
export function fractionalDigits(mysqlType: string): number {
  return Number(/\((\d)\)/.exec(mysqlType)?.[1] ?? 0);
}

/** The fraction as the column returns it (`n` digits), or a problem when digits would be cut. */
function fraction(digits: string, n: number, column: string): string | ValueProblem {
  const significant = digits.replace(/0+$/, '');
  if (significant.length > n) {
    return new ValueProblem(`has ${significant.length} fractional-second digits and ${column} keeps ${n}${n < 6 ? `; declare ${column.replace(/\(\d\)$/, '')}(${Math.min(6, significant.length)})` : ''}, or round it first (the database would cut it silently)`);
  }
  return n === 0 ? '' : `.${significant.padEnd(n, '0')}`;
}

function checkDate(year: number, month: number, day: number): ValueProblem | undefined {
  if (year < 1 || year > 9999) return new ValueProblem(`has the year ${year}; dates run from 0001 to 9999`);
  if (month < 1 || month > 12) return new ValueProblem(`has the month ${month}; months run from 1 to 12`);
  if (day < 1 || day > daysIn(year, month)) return new ValueProblem(`has the day ${day}; ${year}-${pad(month)} has ${daysIn(year, month)} days`);
  return undefined;
}

const DATE_TEXT = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const DATETIME_TEXT = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?)?$/;
const TIME_TEXT = /^(-)?(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?$/;

function invalidDate(value: Date): ValueProblem | undefined {
  return Number.isNaN(value.getTime()) ? new ValueProblem('is an invalid Date') : undefined;
}

/**
 * A `date` as both backends store and return it, `YYYY-MM-DD`. Refused, on every backend alike:
 * impossible days (`2021-02-30`, `2020-13-45`), MariaDB's zero dates (`0000-00-00`, `2020-00-10`,
 * which it accepts unless NO_ZERO_DATE is set), years outside 0001–9999, invalid Dates, and Dates
 * with a time of day (the column would drop it).
 *
 * @example
 * ```ts
 * canonicalDate('2020-1-5');                       // '2020-01-05'
 * canonicalDate(new Date(Date.UTC(2020, 0, 5)));   // '2020-01-05'
 * canonicalDate('2021-02-30');                     // ValueProblem
 * ```
 */
export function canonicalDate(value: unknown): string | ValueProblem {
  // The rows of one insert mostly repeat a date (every spike of a session): the last text found valid is remembered.
  if (typeof value === 'string' && value === lastDate.text) return lastDate.canonical;
  let year: number;
  let month: number;
  let day: number;
  if (value instanceof Date) {
    const bad = invalidDate(value);
    if (bad) return bad;
    if (value.getUTCHours() || value.getUTCMinutes() || value.getUTCSeconds() || value.getUTCMilliseconds()) {
      return new ValueProblem(`has a time of day (${value.toISOString()}); a date keeps only the day: pass 'YYYY-MM-DD'`);
    }
    [year, month, day] = [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate()];
  } else if (typeof value === 'string' && DATE_TEXT.test(value)) {
    [, year, month, day] = DATE_TEXT.exec(value)!.map(Number) as [number, number, number, number];
  } else {
    return new ValueProblem("must be a Date or a 'YYYY-MM-DD' string");
  }
  const problem = checkDate(year, month, day);
  if (problem) return problem;
  const canonical = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (typeof value === 'string') lastDate = { text: value, canonical };
  return canonical;
}

/** The last date text {@link canonicalDate} found valid, and its canonical form. */
let lastDate: { text: string | undefined; canonical: string } = { text: undefined, canonical: '' };

/** TIMESTAMP's range, in UTC (connections run with time_zone '+00:00'). */
const TIMESTAMP_MIN = '1970-01-01 00:00:01';
const TIMESTAMP_MAX = '2038-01-19 03:14:07';

/**
 * A `datetime(n)`/`timestamp(n)` as both backends store and return it: `YYYY-MM-DD HH:MM:SS` and
 * exactly `n` fractional digits. A date alone means midnight, `T` may separate the parts, a Date
 * gives its UTC fields. Refused alike on every backend: impossible dates and times (`24:00:00`,
 * `12:60:00`), zero dates, more fractional digits than `n` (MariaDB cuts them silently), time-zone
 * suffixes, and for `timestamp` anything outside 1970-01-01 00:00:01 … 2038-01-19 03:14:07 UTC.
 *
 * @example
 * ```ts
 * canonicalDatetime('2020-01-02T03:04:05.5', 3, 'datetime');  // '2020-01-02 03:04:05.500'
 * canonicalDatetime('2020-01-02 03:04:05.5', 0, 'datetime');  // ValueProblem: fractional seconds would be cut
 * ```
 */
export function canonicalDatetime(value: unknown, n: number, kind: 'datetime' | 'timestamp'): string | ValueProblem {
  let parts: number[];
  let digits: string;
  if (value instanceof Date) {
    const bad = invalidDate(value);
    if (bad) return bad;
    parts = [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate(), value.getUTCHours(), value.getUTCMinutes(), value.getUTCSeconds()];
    digits = pad(value.getUTCMilliseconds(), 3);
  } else if (typeof value === 'string' && DATETIME_TEXT.test(value)) {
    const m = DATETIME_TEXT.exec(value)!;
    parts = m.slice(1, 7).map((x) => Number(x ?? 0));
    digits = m[7] ?? '';
  } else {
    return new ValueProblem(`must be a Date or a 'YYYY-MM-DD HH:MM:SS' string (no time zone)`);
  }
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const column = n > 0 ? `${kind}(${n})` : kind;
  const bad = checkDate(year, month, day)
    ?? (hour > 23 ? new ValueProblem(`has the hour ${hour}; hours run from 0 to 23`) : undefined)
    ?? (minute > 59 || second > 59 ? new ValueProblem(`has ${minute > 59 ? `the minute ${minute}` : `the second ${second}`}; they run from 0 to 59`) : undefined);
  if (bad) return bad;
  const frac = fraction(digits, n, column);
  if (frac instanceof ValueProblem) return frac;
  const text = `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}`;
  if (kind === 'timestamp' && (text < TIMESTAMP_MIN || text > TIMESTAMP_MAX)) {
    return new ValueProblem(`is outside the range of a timestamp (${TIMESTAMP_MIN} to ${TIMESTAMP_MAX} UTC); use datetime`);
  }
  return text + frac;
}

/**
 * A `time(n)` as both backends store and return it: `[-]HH:MM:SS` (hours up to 838, MariaDB's
 * range) and exactly `n` fractional digits; `HH:MM` means `HH:MM:00`, a negative zero is zero.
 * Refused alike: minutes or seconds above 59, hours above 838, more fractional digits than `n`.
 *
 * @example
 * ```ts
 * canonicalTime('1:2:3', 0);      // '01:02:03'
 * canonicalTime('-12:34', 3);     // '-12:34:00.000'
 * canonicalTime('12:60:00', 0);   // ValueProblem
 * ```
 */
export function canonicalTime(value: unknown, n: number): string | ValueProblem {
  const m = typeof value === 'string' ? TIME_TEXT.exec(value) : null;
  if (!m) return new ValueProblem("must be an '[-]HH:MM:SS[.ffffff]' string");
  const [hours, minutes, seconds] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (minutes > 59 || seconds > 59) return new ValueProblem(`has ${minutes > 59 ? `the minute ${minutes}` : `the second ${seconds}`}; they run from 0 to 59`);
  if (hours > 838) return new ValueProblem(`has ${hours} hours; a time holds -838:59:59 to 838:59:59`);
  const frac = fraction(m[5] ?? '', n, n > 0 ? `time(${n})` : 'time');
  if (frac instanceof ValueProblem) return frac;
  const zero = hours === 0 && minutes === 0 && seconds === 0 && !/[1-9]/.test(frac);
  return `${m[1] && !zero ? '-' : ''}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${frac}`;
}
