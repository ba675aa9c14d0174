import { gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';

/** An answer as sent: plain, and gzipped for clients that accept it (every browser does). */
export interface CachedAnswer {
  readonly plain: Buffer;
  readonly gzip: Buffer;
}

/**
 * Answers kept as the bytes sent, for a short while: stored STAs and population maps are large
 * (a 64×48×20 STA is 650 KB of JSON) and the same for every request until populate adds rows, so
 * reading, encoding, serialising and compressing them once a minute is enough (an STA's values,
 * counts over spikes, gzip to a third or less). Bounded in bytes; a failed answer (a 404) is never
 * kept.
 *
 * @example
 * ```ts
 * const answers = new JsonCache(64 * 1024 * 1024, 60_000);
 * const { plain, gzip } = await answers.get(`/api/sta ${JSON.stringify(query)}`, () => stas.one(query));
 * ```
 */
export class JsonCache {
  readonly #answers: LRUCache<string, CachedAnswer, () => Promise<unknown>>;

  constructor(maxBytes: number, ttlMs: number) {
    this.#answers = new LRUCache<string, CachedAnswer, () => Promise<unknown>>({
      maxSize: maxBytes,
      ttl: ttlMs,
      sizeCalculation: (answer) => Math.max(1, answer.plain.byteLength + answer.gzip.byteLength),
      fetchMethod: async (_key, _stale, { context }) => {
        const plain = Buffer.from(JSON.stringify(await context()));
        return { plain, gzip: gzipSync(plain, { level: 6 }) };
      },
    });
  }

  async get(key: string, make: () => Promise<unknown>): Promise<CachedAnswer> {
    return (await this.#answers.fetch(key, { context: make }))!;
  }
}
