import { readFileSync } from 'node:fs';
import type { NdArray } from 'ndarray';
import { describe, expect, it } from 'vitest';
import { ComplexArray, MatCell, MatStruct, packBlob, unpackBlob } from '../../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../fixtures/datajoint-matlab-blobs.json', import.meta.url), 'utf8')) as { blobs: Record<string, string> };
const blob = (name: string): Buffer => Buffer.from(vectors.blobs[name]!, 'hex');
const flat = (a: NdArray): number[] => {
  const out: number[] = [];
  const [x = 1, y = 1, z = 1] = a.shape;
  for (let k = 0; k < z; k++) for (let j = 0; j < y; j++) for (let i = 0; i < x; i++) out.push(Number(a.shape.length === 3 ? a.get(i, j, k) : a.shape.length === 2 ? a.get(i, j) : a.get(i)));
  return out;
};

describe("DataJoint's MATLAB-written test blobs decode to what DataJoint's tests expect", () => {
  it("'character string'", () => {
    expect(unpackBlob(blob('simple string'))).toBe('character string');
  });

  it('1:15:180 as a 1×12 double row', () => {
    const a = unpackBlob(blob('1D vector')) as NdArray<Float64Array>;
    expect(a.shape).toEqual([1, 12]);
    expect(flat(a)).toEqual([1, 16, 31, 46, 61, 76, 91, 106, 121, 136, 151, 166]);
    expect(packBlob(a, { compress: false })).toEqual(blob('1D vector'));
  });

  it("{'string1' 'string2'} as a 1×2 cell", () => {
    const c = unpackBlob(blob('string array')) as MatCell;
    expect(c).toBeInstanceOf(MatCell);
    expect(c.shape).toEqual([1, 2]);
    expect(c.items).toEqual(['string1', 'string2']);
  });

  it("struct('a', {1,2}, 'b', {struct('c', magic(3)), struct('C', magic(5))})", () => {
    const s = unpackBlob(blob('struct array')) as MatStruct;
    expect(s).toBeInstanceOf(MatStruct);
    expect(s.fields).toEqual(['a', 'b']);
    expect(s.shape).toEqual([1, 2]);
    expect(flat(s.records[0]!.a as NdArray)).toEqual([1]);
    expect(flat(s.records[1]!.a as NdArray)).toEqual([2]);
    const inner = s.records[1]!.b as MatStruct;
    expect(inner.fields).toEqual(['C']);
    const magic5 = inner.records[0]!.C as NdArray<Float64Array>;
    expect(magic5.shape).toEqual([5, 5]);
    expect([magic5.get(0, 0), magic5.get(0, 1), magic5.get(1, 0)]).toEqual([17, 24, 23]);
    const magic3 = (s.records[0]!.b as MatStruct).records[0]!.c as NdArray<Float64Array>;
    expect([magic3.get(0, 0), magic3.get(0, 1), magic3.get(0, 2)]).toEqual([8, 1, 6]);
    expect(packBlob(s, { compress: false })).toEqual(blob('struct array'));
  });

  it('reshape(1:24, [2,3,4]) as double and as uint8', () => {
    for (const name of ['3D double array', '3D uint8 array']) {
      const a = unpackBlob(blob(name)) as NdArray;
      expect(a.shape).toEqual([2, 3, 4]);
      expect(flat(a)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(a.get(1, 0, 0)).toBe(2);
      expect(a.get(0, 1, 0)).toBe(3);
      expect(packBlob(a, { compress: false })).toEqual(blob(name));
    }
    expect((unpackBlob(blob('3D uint8 array')) as NdArray).data).toBeInstanceOf(Uint8Array);
  });

  it('fftn(reshape(1:24, [2,3,4])) as complex', () => {
    const c = unpackBlob(blob('3D complex array')) as ComplexArray;
    expect(c).toBeInstanceOf(ComplexArray);
    expect(c.real.shape).toEqual([2, 3, 4]);
    expect(c.real.get(0, 0, 0)).toBe(300);
    expect(c.real.get(1, 0, 0)).toBe(-12);
    expect(packBlob(c, { compress: false })).toEqual(blob('3D complex array'));
  });
});

describe("DataJoint's test_blob.py cases", () => {
  it('reads the 32-bit-dims struct of test_insert_longblob_32bit', () => {
    const hex = '6D596D00530200000001000000010000000400000068697473007369646573007461736B73007374'
      + '616765004D000000410200000001000000070000000600000000000000000000000000F8FF00000000'
      + '0000F03F000000000000F03F0000000000000000000000000000F03F00000000000000000000000000'
      + '00F8FF230000004102000000010000000700000004000000000000006C006C006C006C00720072006C'
      + '0023000000410200000001000000070000000400000000000000640064006400640064006400640025'
      + '00000041020000000100000008000000040000000000000053007400610067006500200031003000';
    const s = unpackBlob(Buffer.from(hex, 'hex'), { use32BitDims: true }) as MatStruct;
    expect(s.fields).toEqual(['hits', 'sides', 'tasks', 'stage']);
    const hits = s.records[0]!.hits as NdArray<Float64Array>;
    expect(hits.shape).toEqual([1, 7]);
    expect(Array.from(hits.data)).toEqual([Number.NaN, 1, 1, 0, 1, 0, Number.NaN]);
    expect(s.records[0]!.sides).toBe('llllrrl');
    expect(s.records[0]!.tasks).toBe('ddddddd');
    expect(s.records[0]!.stage).toBe('Stage 10');
    expect(() => unpackBlob(Buffer.from(hex, 'hex'))).toThrow();
  });

  it('round-trips the scalars and containers of test_pack', () => {
    const big = -25523987234234287910987234987098245697129798713407812347n;
    for (const x of [32, -0.037, 3e31, -Infinity, -255, big, 7.5, true, null, [null], 'test', new Set(['elephant'])]) {
      const back = unpackBlob(packBlob(x));
      expect(back).toEqual(x);
    }
    expect(Number.isNaN(unpackBlob(packBlob(Number.NaN)))).toBe(true);
    expect(unpackBlob(packBlob({ name: 'Anonymous', age: 15, range: [110, 190] }))).toEqual({ name: 'Anonymous', age: 15, range: expect.anything() });
  });
});
