import { createHash } from 'node:crypto';
import { PopulateError } from '../../errors.js';
import { Decimal, PyFloat, PyInt, Temporal, Uuid } from '../blob/blob-types.js';
import type { Attribute } from '../definition/heading.js';

/**
 * A key value as DataJoint 0.14 holds it in Python after fetching the key: the object our blob
 * packer writes as that Python type, and the text Python's `str()` gives for it.
 */
export interface PythonKeyValue {
  readonly packed: unknown;
  readonly str: string;
}

/**
 * Python's `repr()` of a float (what `str()` prints): the shortest round-trip digits, in positional
 * form for exponents from -4 to 15 (`1.0`, `0.0001`, `123.5`) and `1e-05`, `1.5e+16` outside.
 *
 * @example
 * ```ts
 * pythonFloatText(3);       // '3.0'
 * pythonFloatText(1e-5);    // '1e-05'
 * ```
 */
export function pythonFloatText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without digits gives JS's shortest round-trip digits, the same as Python's repr.
  const [mantissa, exp] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exp);
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole.slice(0, exponent + 1)}.${fraction === '' ? '0' : fraction}`;
  }
  const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** `YYYY-MM-DD HH:MM:SS.fff` as Python's `str(datetime)`: six fractional digits, none when they are zero. */
function pythonDatetimeText(text: string): { date: string; time: string; str: string } {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  if (!m) throw new PopulateError(`"${text}" is not a datetime DataJoint 0.14 can hash.`);
  const micro = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  const time = `${m[2]}.${micro}`;
  return { date: m[1]!, time, str: /^0+$/.test(micro) ? `${m[1]} ${m[2]}` : `${m[1]} ${m[2]}.${micro}` };
}

/**
 * One key attribute's value as DataJoint 0.14 sees it: pymysql returns int, float, Decimal, str,
 * date, datetime and (through DataJoint) UUID; `bool` is a tinyint there, so an int.
 */
export function pythonKeyValue(attribute: Attribute | undefined, value: unknown): PythonKeyValue {
  const category = attribute?.type.category;
  const fail = (why: string): never => {
    throw new PopulateError(`The key attribute ${attribute?.name ?? ''} (${why}) cannot be reserved in DataJoint 0.14's ~jobs table: 0.14 hashes only ints, floats, decimals, strings, dates, datetimes and UUIDs in keys.`);
  };
  if (value === null || value === undefined) return fail('NULL');
  switch (category) {
    case 'integer':
      return { packed: new PyInt(value as number | bigint), str: String(value) };
    case 'bool':
      return { packed: new PyInt(value ? 1 : 0), str: value ? '1' : '0' };
    case 'float':
      return { packed: new PyFloat(Number(value)), str: pythonFloatText(Number(value)) };
    case 'decimal':
      return { packed: new Decimal(String(value)), str: String(value) };
    case 'string':
    case 'enum':
      return { packed: String(value), str: String(value) };
    case 'uuid':
      return { packed: new Uuid(String(value)), str: String(value).toLowerCase() };
    case 'date':
      return { packed: new Temporal(String(value), null), str: String(value) };
    case 'datetime':
    case 'timestamp': {
      const t = pythonDatetimeText(String(value));
      return { packed: new Temporal(t.date, t.time), str: t.str };
    }
    case undefined:
      // A key attribute the table's heading does not know (a custom keySource): go by its JS type.
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) return { packed: new PyInt(value), str: String(value) };
      if (typeof value === 'number') return { packed: new PyFloat(value), str: pythonFloatText(value) };
      if (typeof value === 'string') return { packed: value, str: value };
      return fail(typeof value);
    default:
      return fail(category);
  }
}

/**
 * DataJoint 0.14's `key_hash`: the MD5 of the key's values, in the order of their attribute names
 * (Python's `sorted`, by code point), each as Python's `str()` encoded in UTF-8, concatenated.
 *
 * @example
 * ```ts
 * dj014KeyHash({ subject: 1, session: 2 });  // md5('2' + '1'), session sorts first: '3c59dc048e8850243be8079a5c74d079'
 * ```
 */
export function dj014KeyHash(key: Readonly<Record<string, unknown>>, attributeOf: (name: string) => Attribute | undefined = () => undefined): string {
  const md5 = createHash('md5');
  for (const name of Object.keys(key).sort(byCodePoint)) md5.update(pythonKeyValue(attributeOf(name), key[name]).str, 'utf8');
  return md5.digest('hex');
}

/** Python's string order (by code point); JS's default sort compares UTF-16 units. */
function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The key as the dict DataJoint 0.14 stores in `~jobs.key`: its attributes in the key's order, each as its Python type. */
export function dj014KeyDict(key: Readonly<Record<string, unknown>>, attributeOf: (name: string) => Attribute | undefined = () => undefined): Record<string, unknown> {
  return Object.fromEntries(Object.keys(key).map((name) => [name, pythonKeyValue(attributeOf(name), key[name]).packed]));
}
