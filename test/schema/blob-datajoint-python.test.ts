import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { NdArray } from 'ndarray';
import { describe, expect, it } from 'vitest';
import {
  BoolArray, Complex, ComplexArray, Datetime64Array, Decimal, PyFloat, RecArray, Temporal, Uuid, isList, isTuple, packBlob, unpackBlob,
} from '../../src/index.js';
import { parseKeepingNumbers } from '../setup/canonical-json.js';

/**
 * The 41 blobs of `blob_store` that DataJoint for Python wrote (0.14.9 and 2.3.2, on MariaDB), and
 * what DataJoint read back from them (gzip copies of shared/reference/datajoint; its README: canonical JSON in which a
 * Python float keeps its decimal point and an int has none).
 */
const fixture = (name: string): string => gunzipSync(readFileSync(new URL(`../fixtures/datajoint/${name}`, import.meta.url))).toString('utf8');

function blobsOf(dump: string): Map<string, Buffer> {
  const start = dump.indexOf('INSERT INTO `blob_store` VALUES');
  const body = dump.slice(start, dump.indexOf(';\n', start));
  const blobs = new Map<string, Buffer>();
  for (const m of body.matchAll(/\('([^']+)',0x([0-9A-F]+)\)/g)) blobs.set(m[1]!, Buffer.from(m[2]!, 'hex'));
  return blobs;
}

/** A number as written in the JSON: int or float, told apart by its text (ints exact, as bigint beyond 2^53). */
class Num {
  readonly value: number | bigint;
  constructor(readonly kind: 'int' | 'float', value: number | bigint) {
    this.value = typeof value === 'bigint' && Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
}

/** JSON with numbers kept as {@link Num}: JSON.parse would lose whether `3.0` was a float. */
function parseKeepingNumbersAsNum(text: string): unknown {
  return parseKeepingNumbers(text, (n) => (/[.eE]/.test(n) ? new Num('float', Number(n)) : new Num('int', Number.isSafeInteger(Number(n)) ? Number(n) : BigInt(n))));
}

const DTYPE_NAMES: Array<[new (...a: never[]) => unknown, string]> = [
  [BoolArray, 'bool'], [Datetime64Array, 'datetime64'], [Float64Array, 'float64'], [Float32Array, 'float32'], [Int8Array, 'int8'],
  [Uint8Array, 'uint8'], [Int16Array, 'int16'], [Uint16Array, 'uint16'], [Int32Array, 'int32'], [Uint32Array, 'uint32'],
  [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'], [Array, 'object'],
];
const dtypeOf = (data: unknown): string => DTYPE_NAMES.find(([C]) => data instanceof C)?.[1] ?? 'unknown';

/** Nested lists in C order (v[i][j]… = a.get(i, j, …)), each element through `item`. */
function nested(a: NdArray, item: (v: unknown) => unknown): unknown {
  const walk = (index: number[]): unknown => index.length === a.shape.length
    ? item(a.get(...index))
    : Array.from({ length: a.shape[index.length]! }, (_, k) => walk([...index, k]));
  return walk([]);
}

const ints = (shape: readonly number[]): Num[] => shape.map((n) => new Num('int', n));
const float = (x: unknown): unknown => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : new Num('float', x as number));
const day = (days: bigint): string => new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);

/** Our decoded value in the fixture's canonical form. */
function canonical(v: unknown): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : new Num(Number.isInteger(v) && !Object.is(v, -0) ? 'int' : 'float', v);
  if (v instanceof PyFloat) return new Num('float', v.value);
  if (typeof v === 'bigint') return new Num('int', v);
  if (Buffer.isBuffer(v)) return { bytes: v.toString('hex') };
  if (v instanceof Uuid) return { uuid: v.value };
  if (v instanceof Decimal) return { dec: v.value };
  if (v instanceof Complex) return { complex: [new Num('float', v.re), new Num('float', v.im)] };
  if (v instanceof Temporal) return { temporal: [v.date, v.time] };
  if (v instanceof RecArray) return { rec: Object.fromEntries(Object.entries(v.fields).map(([k, f]) => [k, canonical(f)])) };
  if (v instanceof Set) return { set: [...v].map(canonical) };
  if (v instanceof Map) return { dict: Object.fromEntries([...v].map(([k, x]) => [String(k), canonical(x)])) };
  if (Array.isArray(v)) return { [isTuple(v) ? 'tuple' : isList(v) ? 'list' : 'array']: v.map(canonical) };
  if (v instanceof ComplexArray) {
    const name = v.real.data instanceof Float32Array ? 'complex64' : 'complex128';
    return { nd: name, shape: ints(v.real.shape), re: nested(v.real, float), im: nested(v.imag, float) };
  }
  if (typeof v === 'object' && 'shape' in v && 'data' in v) {
    const a = v as NdArray;
    const dtype = dtypeOf(a.data);
    const float = dtype.startsWith('float');
    const item = (x: unknown): unknown => dtype === 'datetime64' ? day(x as bigint)
      : dtype === 'bool' ? x !== 0
        : typeof x === 'number' && Number.isNaN(x) ? 'NaN'
          : typeof x === 'number' || typeof x === 'bigint' ? new Num(float ? 'float' : 'int', x)
            : canonical(x);
    return { nd: dtype === 'datetime64' ? `datetime64[${(a.data as unknown as Datetime64Array).unit}]` : dtype, shape: ints(a.shape), v: nested(a, item) };
  }
  if (typeof v === 'object') return { dict: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, canonical(x)])) };
  return v;
}

/**
 * The fixture's writer spelled two things its own way: a numpy scalar (`np.float32(1.5)`, which
 * DataJoint reads back from a 0-d array) as a plain number, and a `<U2` string array (which
 * DataJoint packs as an object array) by its original dtype. Both are folded here.
 */
function fold(ours: unknown, theirs: unknown): unknown {
  if (ours && typeof ours === 'object' && 'nd' in ours && theirs instanceof Num) {
    const o = ours as unknown as { shape: number[]; v: unknown };
    if (o.shape.length === 0) return o.v;
  }
  if (ours && typeof ours === 'object' && (ours as { nd?: string }).nd === 'object' && typeof (theirs as { nd?: unknown })?.nd === 'string' && /^<U\d+$/.test((theirs as { nd: string }).nd)) {
    return { ...(ours as object), nd: (theirs as { nd: string }).nd };
  }
  return ours;
}

for (const generation of ['dj014', 'dj23'] as const) {
  describe(`the 41 blobs DataJoint ${generation === 'dj014' ? '0.14.9' : '2.3.2'} wrote`, () => {
    const blobs = blobsOf(fixture(`${generation}.sql.gz`));
    const values = (parseKeepingNumbersAsNum(fixture(`${generation}-values.json.gz`)) as { blobs: Record<string, unknown> }).blobs;

    it('are all there', () => {
      expect(blobs.size).toBe(41);
      expect([...blobs.keys()].sort()).toEqual(Object.keys(values).sort());
    });

    for (const name of Object.keys(values)) {
      it(`${name}: unpacks to what DataJoint read, and packs back to the same bytes`, () => {
        const bytes = blobs.get(name)!;
        const value = unpackBlob(bytes);
        expect(fold(canonical(value), values[name])).toEqual(values[name]);
        // compression included: pako deflates as the C zlib DataJoint uses does
        expect(packBlob(value).equals(bytes)).toBe(true);
      });
    }
  });
}

describe('Python types survive a round trip through TypeScript', () => {
  it('a whole Python float stays a float, a numpy scalar keeps its dtype, a 0-d array stays 0-d', () => {
    const blobs = blobsOf(fixture('dj23.sql.gz'));
    const three = unpackBlob(Buffer.from('646A30000D0000000000000840', 'hex')); // pack(3.0)
    expect(three).toBeInstanceOf(PyFloat);
    expect(+(three as PyFloat)).toBe(3);
    expect(packBlob(three).toString('hex')).toBe('646a30000d0000000000000840');
    const f32 = unpackBlob(blobs.get('np_f32_scalar')!) as NdArray<Float32Array>;
    expect([f32.shape, f32.data.constructor, f32.get()]).toEqual([[], Float32Array, 1.5]);
    const i64 = unpackBlob(blobs.get('np_i64_scalar')!) as NdArray;
    expect([i64.shape, i64.data.constructor, i64.get()]).toEqual([[], BigInt64Array, -7n]);
    const zeroD = unpackBlob(blobs.get('zero_d')!) as NdArray<Float64Array>;
    expect([zeroD.shape, zeroD.get()]).toEqual([[], 5]);
  });
});
