import { expect } from 'vitest';
import type { TableClass } from '../../src/index.js';
import { compareCanonical, type Canon } from './canonical.js';

/**
 * Checks every value of a DataJoint fixture read through `tables` (a virtual schema's or declared
 * classes) against what DataJoint read back: the 41 blobs, recordings, stats, and the extra row
 * printed by `asText` as DataJoint printed it.
 */
export async function checkFixtureValues(tables: Record<string, TableClass>, expected: Record<string, Record<string, Canon>>, asText: (value: unknown) => string): Promise<void> {
  const blobs = await tables.BlobStore!.fetch();
  expect(blobs.map((b) => b.blob_name).sort()).toEqual(Object.keys(expected.blobs!).sort());
  expect(blobs).toHaveLength(41);
  for (const row of blobs) {
    expect(compareCanonical(row.value, expected.blobs![row.blob_name as string]!, `blobs.${String(row.blob_name)}`)).toEqual([]);
  }
  const recordings = await tables.Recording!.fetch();
  expect(recordings).toHaveLength(Object.keys(expected.recording!).length);
  for (const row of recordings) {
    expect(compareCanonical(row.data, expected.recording![`${row.subject_id},${row.session_idx}`]!, 'recording.data')).toEqual([]);
    expect([row.gain, row.offset]).toEqual([0.5, 1.25]);
  }
  const stats = await tables.Stats!.fetch();
  expect(stats).toHaveLength(Object.keys(expected.stats!).length);
  for (const row of stats) {
    expect(compareCanonical(row.summary, expected.stats![`${row.subject_id},${row.session_idx}`]!, 'stats.summary')).toEqual([]);
  }
  const [extra] = await tables.Extra!.fetch();
  const want = expected.extra as Record<string, string>;
  expect(Object.fromEntries(Object.keys(want).map((k) => [k, asText(extra![k])]))).toEqual(want);
  expect(Object.keys(extra!).sort()).toEqual(Object.keys(want).sort());
}
