import { parseKeepingNumbers } from '../setup/canonical-json.js';

/**
 * The fixtures' canonical JSON (see shared/reference/datajoint/README.md) and a comparison of
 * fetched JS values against it that checks values — numbers, shapes, dtypes, strings, bytes — not
 * the JS classes that carry them, so it holds whatever wrappers the blob decoder returns.
 */

/** A number as written in the JSON: its text keeps Python's int/float distinction and big ints. */
export class CanonNumber {
  constructor(readonly text: string) {}
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text);
  }
}

export type Canon = null | boolean | string | CanonNumber | Canon[] | { [key: string]: Canon };

/** JSON.parse, but numbers stay text ({@link CanonNumber}). */
export function parseCanonical(text: string): Canon {
  return parseKeepingNumbers(text, (number) => new CanonNumber(number)) as Canon;
}

/** Unwraps Number/Boolean/String objects and wrappers whose valueOf() gives a primitive. */
function primitive(actual: unknown): unknown {
  if (actual !== null && typeof actual === 'object' && !(actual instanceof Uint8Array) && !ArrayBuffer.isView(actual)) {
    const inner = (actual as { valueOf(): unknown }).valueOf();
    if (inner !== actual && (typeof inner !== 'object' || inner === null)) return inner;
    if ('value' in actual) {
      const v = (actual as { value: unknown }).value;
      if (typeof v !== 'object' || v === null) return v;
    }
  }
  return actual;
}

const TYPED: Array<[new (...a: never[]) => unknown, string]> = [
  [Float64Array, 'float64'], [Float32Array, 'float32'], [Int8Array, 'int8'], [Int16Array, 'int16'], [Int32Array, 'int32'],
  [Uint16Array, 'uint16'], [Uint32Array, 'uint32'], [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'],
];

/** The numpy dtype an n-d array's storage stands for, when the storage says it. */
function dtypeOf(data: unknown): string | undefined {
  const named = (data as { dtype?: unknown })?.dtype;
  if (typeof named === 'string' && /^(bool|u?int\d+|float\d+|complex\d+|datetime64\[\w+\]|<U\d+|object)$/.test(named)) return named;
  const name = (data as object | undefined)?.constructor?.name ?? '';
  if (name === 'BoolArray') return 'bool';
  if (name === 'Datetime64Array') return `datetime64[${(data as { unit?: string }).unit ?? '?'}]`;
  if (data instanceof Uint8Array) return 'uint8';
  return TYPED.find(([cls]) => data instanceof cls)?.[1];
}

interface NdLike { shape: number[]; get?: (...index: number[]) => unknown; data?: ArrayLike<unknown>; stride?: number[]; offset?: number; dtype?: string }

function element(nd: NdLike, index: number[]): unknown {
  if (typeof nd.get === 'function') return nd.get(...index);
  const offset = index.reduce((o, k, d) => o + k * (nd.stride?.[d] ?? 0), nd.offset ?? 0);
  return nd.data?.[offset];
}

const DAY_MS = 86_400_000n;
const UNIT_MS: Record<string, bigint> = { D: DAY_MS, h: 3_600_000n, m: 60_000n, s: 1000n, ms: 1n };

function datetime64Text(value: unknown, dtype: string | undefined): unknown {
  const unit = /datetime64\[(\w+)\]/.exec(dtype ?? '')?.[1];
  const ms = unit ? UNIT_MS[unit] : undefined;
  if (ms === undefined || typeof value !== 'bigint') return value;
  const iso = new Date(Number(value * ms)).toISOString();
  return unit === 'D' ? iso.slice(0, 10) : iso.slice(0, 19);
}

/**
 * Differences between a fetched value and its canonical JSON, as `path: what` lines (empty when
 * they agree).
 *
 * @example
 * ```ts
 * compareCanonical(await BlobStore.restrict({ blob_name: 'u8_1d' }).fetch1('value'), expected.blobs.u8_1d);
 * ```
 */
export function compareCanonical(actual: unknown, expected: Canon, path = '$'): string[] {
  const fail = (what: string): string[] => [`${path}: ${what}`];
  const value = primitive(actual);
  if (expected === null) return value === null || value === undefined ? [] : fail(`expected null, got ${show(actual)}`);
  if (typeof expected === 'boolean') {
    return value === expected || value === (expected ? 1 : 0) || value === (expected ? 1n : 0n) ? [] : fail(`expected ${expected}, got ${show(actual)}`);
  }
  if (expected instanceof CanonNumber) {
    if (typeof value !== 'number' && typeof value !== 'bigint') return fail(`expected the number ${expected.text}, got ${show(actual)}`);
    if (expected.isInteger) {
      const ok = (typeof value === 'bigint' || Number.isInteger(value)) && BigInt(value) === BigInt(expected.text);
      return ok ? [] : fail(`expected ${expected.text}, got ${show(actual)}`);
    }
    return Number(value) === Number(expected.text) ? [] : fail(`expected ${expected.text}, got ${show(actual)}`);
  }
  if (typeof expected === 'string') {
    if (expected === 'NaN' && typeof value === 'number') return Number.isNaN(value) ? [] : fail(`expected NaN, got ${show(actual)}`);
    return value === expected ? [] : fail(`expected ${JSON.stringify(expected)}, got ${show(actual)}`);
  }
  if (Array.isArray(expected)) {
    const items = actual === null || actual === undefined ? undefined : Array.from(actual as Iterable<unknown>);
    if (!items || items.length !== expected.length) return fail(`expected ${expected.length} items, got ${show(actual)}`);
    return expected.flatMap((e, i) => compareCanonical(items[i], e, `${path}[${i}]`));
  }
  if ('nd' in expected) return compareNd(actual, expected, path);
  if ('rec' in expected) {
    const fields = ((actual as { fields?: Record<string, unknown> })?.fields ?? actual) as Record<string, unknown>;
    const rec = expected.rec as Record<string, Canon>;
    return Object.entries(rec).flatMap(([k, v]) => compareCanonical(fields?.[k], v, `${path}.${k}`));
  }
  if ('bytes' in expected) {
    if (!(actual instanceof Uint8Array)) return fail(`expected bytes, got ${show(actual)}`);
    return Buffer.from(actual).toString('hex') === expected.bytes ? [] : fail(`expected bytes ${String(expected.bytes)}, got ${Buffer.from(actual).toString('hex')}`);
  }
  if ('uuid' in expected || 'dec' in expected) {
    const text = String((actual as { value?: unknown })?.value ?? actual);
    const want = (expected.uuid ?? expected.dec) as string;
    return text === want ? [] : fail(`expected ${want}, got ${show(actual)}`);
  }
  if ('complex' in expected) {
    const [re, im] = expected.complex as Canon[];
    const c = actual as { re?: unknown; im?: unknown; real?: unknown; imag?: unknown };
    return [...compareCanonical(c?.re ?? c?.real, re ?? null, `${path}.re`), ...compareCanonical(c?.im ?? c?.imag, im ?? null, `${path}.im`)];
  }
  if ('temporal' in expected) {
    const [date, time] = expected.temporal as Array<string | null>;
    if (actual instanceof Date) {
      const iso = actual.toISOString();
      return iso.slice(0, 10) === date && (time === null || iso.slice(11, 23) === time?.slice(0, 12)) ? [] : fail(`expected ${date} ${time}, got ${iso}`);
    }
    const t = actual as { date?: unknown; time?: unknown };
    return t?.date === date && (t?.time ?? null) === time ? [] : fail(`expected ${date} ${time}, got ${show(actual)}`);
  }
  if ('list' in expected || 'tuple' in expected) return compareCanonical(actual, (expected.list ?? expected.tuple) as Canon[], path);
  if ('set' in expected) {
    const items = actual instanceof Set ? [...actual] : Array.isArray(actual) ? actual : undefined;
    if (!items) return fail(`expected a set, got ${show(actual)}`);
    const key = (x: unknown): string => String(primitive(x));
    const sortedExpected = [...(expected.set as Canon[])].sort((a, b) => key(a instanceof CanonNumber ? a.text : a).localeCompare(key(b instanceof CanonNumber ? b.text : b)));
    return compareCanonical([...items].sort((a, b) => key(a).localeCompare(key(b))), sortedExpected, path);
  }
  if ('dict' in expected) {
    const dict = expected.dict as Record<string, Canon>;
    const entries = actual instanceof Map ? new Map([...actual].map(([k, v]) => [String(k), v])) : new Map(Object.entries((actual ?? {}) as object));
    const extra = [...entries.keys()].filter((k) => !(k in dict));
    return [
      ...(extra.length > 0 ? fail(`unexpected keys ${extra.join(', ')}`) : []),
      ...Object.entries(dict).flatMap(([k, v]) => (entries.has(k) ? compareCanonical(entries.get(k), v, `${path}.${k}`) : fail(`missing key ${k}`))),
    ];
  }
  return fail(`unknown canonical form ${JSON.stringify(Object.keys(expected))}`);
}

function compareNd(actual: unknown, expected: { [key: string]: Canon }, path: string): string[] {
  const shape = (expected.shape as CanonNumber[]).map((n) => Number(n.text));
  const dtype = expected.nd as string;
  const complex = 're' in expected;
  if (shape.length === 0 && typeof primitive(actual) !== 'object') return compareCanonical(actual, expected.v ?? null, path);
  const parts = complex
    ? [['re', (actual as { real?: unknown })?.real], ['im', (actual as { imag?: unknown })?.imag]] as const
    : [['v', actual]] as const;
  const problems: string[] = [];
  for (const [key, nd] of parts) {
    const array = nd as NdLike | undefined;
    if (!array || !Array.isArray(array.shape)) return [`${path}: expected an n-d array ${dtype} ${JSON.stringify(shape)}, got ${show(actual)}`];
    if (JSON.stringify(array.shape) !== JSON.stringify(shape)) return [`${path}: shape ${JSON.stringify(array.shape)} instead of ${JSON.stringify(shape)}`];
    const storage = dtypeOf(array.data ?? array);
    const expectedStorage = complex ? (dtype === 'complex64' ? 'float32' : 'float64') : dtype;
    if (storage !== undefined && storage !== expectedStorage && !(storage === 'uint8' && expectedStorage === 'bool')) {
      problems.push(`${path}: dtype ${storage} instead of ${expectedStorage}`);
    }
    const visit = (index: number[], v: Canon): void => {
      if (index.length === shape.length) {
        const raw = element(array, index);
        const got = dtype.startsWith('datetime64') ? datetime64Text(raw, storage ?? dtype) : raw;
        problems.push(...compareCanonical(got, v, `${path}.${key}[${index.join(',')}]`));
        return;
      }
      (v as Canon[]).forEach((item, k) => visit([...index, k], item));
    };
    visit([], expected[key] ?? null);
  }
  return problems;
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  try {
    return `${(value as object)?.constructor?.name ?? typeof value} ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 80)}`;
  } catch {
    return String(value);
  }
}
