import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobError, list, packBlob, unpackBlob } from '../../src/index.js';
import { blobValue } from '../setup/arbitraries.js';

describe('random blobs through packBlob/unpackBlob (fast-check, fixed seed)', () => {
  it('unpack(pack(v)) equals v, and packs back to the very same bytes', () => {
    fc.assert(fc.property(blobValue, (value) => {
      const bytes = packBlob(value);
      const back = unpackBlob(bytes);
      expect(back).toEqual(value);
      expect(packBlob(back).equals(bytes)).toBe(true);
    }), { seed: 20261126, numRuns: 1500 });
  });

  it('the same without compression, and with large values that compress', () => {
    fc.assert(fc.property(fc.array(blobValue, { minLength: 20, maxLength: 60 }), (values) => {
      const bytes = packBlob(values, { compress: false });
      expect(packBlob(unpackBlob(bytes), { compress: false }).equals(bytes)).toBe(true);
      const compressed = packBlob(values);
      expect(packBlob(unpackBlob(compressed)).equals(compressed)).toBe(true);
    }), { seed: 7, numRuns: 60 });
  });
});

describe('blob strings are Unicode', () => {
  it('refuses a lone surrogate instead of writing U+FFFD, in any string of a blob', () => {
    for (const bad of ['\ud800', 'a\udfffb', list('ok', '\ud83d'), { ['\udc00']: 1 }, new Map([[1, '\ud800']])]) {
      expect(() => packBlob(bad), JSON.stringify(bad)).toThrow(BlobError);
      expect(() => packBlob(bad)).toThrow(/not valid Unicode/);
    }
    expect(unpackBlob(packBlob('😀\uFEFF'))).toBe('😀\uFEFF');
  });
});
