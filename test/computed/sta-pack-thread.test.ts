import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { KeyAhead } from '../../src/computed/key-ahead.js';
import { packColumnsOffThread, startPackThreads } from '../../src/computed/sta-pack-thread.js';
import { packBlob } from '../../src/schema/blob/pack.js';

describe('packColumnsOffThread', () => {
  it("gives packBlob's bytes, on this thread until the workers have started and then on them (a whole buffer handed over, a view copied)", async () => {
    startPackThreads();
    const shape = [30, 20, 7];
    const values = (): Float64Array => Float64Array.from({ length: 30 * 20 * 7 }, (_, i) => Math.round(Math.sin(i) * 50) / 37);
    const want = packBlob(ndarray(values(), shape, [1, 30, 600]), { level: 1 });
    const wantKernel = packBlob(values().subarray(5, 12), { level: 1 });
    let handedOver = false;
    for (let attempt = 0; attempt < 200 && !handedOver; attempt++) {
      const whole = values();
      const view = values().subarray(5, 12);
      const [sta, kernel] = await packColumnsOffThread([{ data: whole, shape }, { data: view, shape: [7] }], 1);
      expect(Buffer.from(sta!.bytes).equals(want)).toBe(true);
      expect(Buffer.from(kernel!.bytes).equals(wantKernel)).toBe(true);
      expect(view.length).toBe(7);
      handedOver = whole.length === 0; // detached: it went to a worker
      if (!handedOver) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(handedOver).toBe(true);
  }, 30_000);
});

describe('KeyAhead', () => {
  const keys = [1, 2, 3, 4, 5].map((k) => ({ k }));

  it('hands over work begun for the keys that follow in the list, up to its depth, and drops it when another key is asked for', async () => {
    const ahead = new KeyAhead<string>(['k'], 2);
    const begun: number[] = [];
    const begin = (key: Record<string, unknown>): Promise<string> => { begun.push(key.k as number); return Promise.resolve(`row ${key.k as number}`); };
    ahead.expect(keys);
    expect(ahead.take(keys[0]!)).toBeUndefined();
    ahead.beginAfter(keys[0]!, begin);
    expect(begun).toEqual([2, 3]);
    expect(await ahead.take(keys[1]!)).toBe('row 2');
    ahead.beginAfter(keys[1]!, begin);
    expect(begun).toEqual([2, 3, 4]);
    // Another order: nothing handed over, nothing begun again until the next list.
    expect(ahead.take(keys[4]!)).toBeUndefined();
    ahead.beginAfter(keys[4]!, begin);
    ahead.beginAfter(keys[2]!, begin);
    expect(begun).toEqual([2, 3, 4]);
    ahead.expect(keys);
    ahead.beginAfter(keys[3]!, begin);
    expect(begun).toEqual([2, 3, 4, 5]);
  });

  it("begins nothing when begin cannot start a key now, and keeps a failure for that key's make", async () => {
    const ahead = new KeyAhead<string>(['k']);
    ahead.expect(keys);
    ahead.beginAfter(keys[0]!, () => undefined);
    expect(ahead.take(keys[1]!)).toBeUndefined();
    ahead.beginAfter(keys[1]!, () => { throw new Error('kernel failed'); });
    await expect(ahead.take(keys[2]!)).rejects.toThrow('kernel failed');
  });
});
