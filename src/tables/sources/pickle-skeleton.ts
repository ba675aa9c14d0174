import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataSourceError } from '../../errors.js';
import { ThreadHash } from './hash-thread.js';
import { PickleLayoutGuess, type ArrayLayout } from './pickle-layout-guess.js';
import { openRegularFile } from './read-file.js';

/** A byte payload of a pickle left in its file, to be read when needed. */
export interface FileRegion {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  /** The file's size and modification time when it was read: a later read checks they still hold. */
  readonly size: number;
  readonly mtimeMs: number;
  /** The payload read as float64 (when its length allows): the index of its first value that is not finite, or −1. */
  readonly firstNonFiniteF64: number;
}

/** A pickle read in one pass, with its large payloads left in the file. */
export interface PickleSkeleton {
  /** The pickle's opcodes, each payload of 1 MiB or more replaced by an 8-byte placeholder. */
  readonly bytes: Buffer;
  /** The payloads left in the file, by the byte offset of their placeholder in `bytes`. */
  readonly regions: ReadonlyMap<number, FileRegion>;
  /** sha256 (hex) of the whole file. */
  readonly checksum: string;
  readonly size: number;
}

/** Payloads this large stay in the file (numpy arrays' data: movies). */
const LEAVE = 1 << 20;
const READ = 8 << 20;
/** Room before each read for bytes the walk left over from the one before (an opcode of up to 1 MiB). */
const HEAD = LEAVE + 4096;

const c = (ch: string): number => ch.charCodeAt(0);
/** Opcodes without an argument (pickletools' table). */
const BARE = new Set([...'(.012Nae' + 'bd}])lo' + 'RsutQ'].map(c).concat([0x88, 0x89, 0x85, 0x86, 0x87, 0x81, 0x92, 0x93, 0x94, 0x8f, 0x90, 0x91, 0x97, 0x98]));
/** Opcodes with a fixed-size argument: its bytes. */
const FIXED = new Map<number, number>([[0x80, 1], [c('K'), 1], [c('h'), 1], [c('q'), 1], [0x82, 1], [c('M'), 2], [0x83, 2], [c('J'), 4], [c('j'), 4], [c('r'), 4], [0x84, 4], [c('G'), 8], [0x95, 8]]);
/** Opcodes with a counted argument: the bytes of the count. */
const COUNTED = new Map<number, number>([[c('U'), 1], [0x8c, 1], [c('C'), 1], [0x8a, 1], [c('T'), 4], [c('X'), 4], [c('B'), 4], [0x8b, 4], [0x8d, 8], [0x8e, 8], [0x96, 8]]);
/** Opcodes whose argument is lines of text: how many. */
const LINES = new Map<number, number>([[c('I'), 1], [c('L'), 1], [c('F'), 1], [c('S'), 1], [c('V'), 1], [c('p'), 1], [c('g'), 1], [c('P'), 1], [c('c'), 2], [c('i'), 2]]);
/** Raw byte payloads (BINBYTES, BINBYTES8, BYTEARRAY8): these may stay in the file. */
const PAYLOAD = new Set([c('B'), 0x8e, 0x96]);
const STOP = c('.');

/**
 * Reads a payload as float64, fed in pieces as the file is read: the index of its first value that
 * is not finite and, while every value is exactly +1 or −1 (a white-noise movie), the sign of each
 * (0 for +1, 1 for −1, in file order) into shared memory, so that the movie's packing needs neither
 * the file again nor the thread that read it. The values are read where they lie (a DataView reads
 * them unaligned): only a value split between two pieces is copied.
 */
class PayloadScan {
  private readonly split = new DataView(new ArrayBuffer(8));
  private carry = 0;
  private seen = 0;
  first = -1;
  /** The signs so far; undefined from the first value that is not ±1 on. */
  signs: Uint8Array | undefined;

  /** `keepSigns`: false for the finiteness check alone. */
  constructor(values: number, keepSigns: boolean) {
    this.signs = keepSigns ? new Uint8Array(new SharedArrayBuffer(values)) : undefined;
  }

  feed(bytes: Uint8Array): void {
    if (this.first >= 0) return;
    let at = 0;
    if (this.carry > 0) {
      const n = Math.min(8 - this.carry, bytes.byteLength);
      for (let k = 0; k < n; k++) this.split.setUint8(this.carry + k, bytes[k]!);
      this.carry += n;
      at = n;
      if (this.carry < 8) return;
      this.carry = 0;
      this.values(this.split, 1);
      if (this.first >= 0) return;
    }
    const values = Math.floor((bytes.byteLength - at) / 8);
    this.values(new DataView(bytes.buffer, bytes.byteOffset + at, values * 8), values);
    for (let k = at + values * 8; k < bytes.byteLength; k++) this.split.setUint8(this.carry++, bytes[k]!);
  }

  /** The next `count` values, at the start of `view`. */
  private values(view: DataView, count: number): void {
    let from = 0;
    if (this.signs) {
      const signs = this.signs;
      const base = this.seen;
      // Without branches: +1 is 0x3ff00000_00000000, −1 the same with the sign bit; anything else leaves a bit in `odd`.
      let odd = 0;
      for (let k = 0, o = 0; k < count; k++, o += 8) {
        const high = view.getUint32(o + 4, true);
        odd |= view.getUint32(o, true) | ((high & 0x7fffffff) ^ 0x3ff00000);
        signs[base + k] = high >>> 31;
      }
      if (odd === 0) {
        this.seen += count;
        return;
      }
      // Not white noise: values up to the first other one were ±1 (finite); the rest is scanned for finiteness only.
      this.signs = undefined;
      while (view.getUint32(from * 8, true) === 0 && (view.getUint32(from * 8 + 4, true) & 0x7fffffff) === 0x3ff00000) from++;
    }
    // One sum, without branches: NaN as soon as a value is NaN or infinite.
    let check = 0;
    for (let o = from * 8; o < count * 8; o += 8) check += view.getFloat64(o, true) * 0;
    if (check !== 0) {
      for (let k = from; k < count; k++) {
        if (!Number.isFinite(view.getFloat64(k * 8, true))) {
          this.first = this.seen + k;
          return;
        }
      }
    }
    this.seen += count;
  }
}

/** The signs of payloads that hold only ±1 as float64, by region, until the packing takes them. */
const regionSigns = new WeakMap<FileRegion, Uint8Array>();

/**
 * The signs (0 for +1, 1 for −1, in file order, on shared memory) of a region whose values, read as
 * float64, are all +1 or −1, as {@link readPickleSkeleton} found them while reading the file;
 * undefined when they are not, or were taken already. Taking them lets them go with the packing:
 * a later caller reads the file instead.
 *
 * @example
 * ```ts
 * const signs = takeRegionSigns(region);   // Uint8Array(region.length / 8), or undefined
 * ```
 */
export function takeRegionSigns(region: FileRegion): Uint8Array | undefined {
  const signs = regionSigns.get(region);
  regionSigns.delete(region);
  return signs;
}

/** How {@link readPickleSkeleton} reads. */
export interface SkeletonOptions {
  /**
   * Called as soon as a payload of ±1 values (float64) has been read whole, with the layout its
   * array is guessed to have ({@link PickleLayoutGuess}: check it against the parsed array), while
   * the rest of the file is still read: its signs ({@link takeRegionSigns}) can be packed at once.
   * Given, the signs of every ±1 payload are kept ({@link takeRegionSigns}); without it (a read
   * that packs nothing) the values are only checked for finiteness.
   */
  readonly onWhiteNoise?: (region: FileRegion, layout: ArrayLayout) => void;
}

/**
 * Reads a pickle file once: its sha256, and its opcodes with every large byte payload (a numpy
 * array's data) left in the file, where {@link readRegion} reads it when it is needed. Parsing the
 * skeleton then takes the memory of the pickle's structure, not of its movies, and each movie is
 * read (and can be released) on its own. Payloads read as float64 are checked for values that
 * are not finite on the way and, when the caller packs movies (`onWhiteNoise`), the signs of
 * those whose values are all ±1 are kept for their packing ({@link takeRegionSigns}), read while
 * this thread waits on the checksum.
 *
 * @example
 * ```ts
 * const { bytes, regions, checksum } = await readPickleSkeleton('ret1_data.pkl', '/data/ret1_data.pkl', 2 ** 33);
 * const value = parseNumpyPickle(bytes, regions);   // movies deferred to their regions of the file
 * ```
 */
export async function readPickleSkeleton(where: string, file: string, maxBytes: number, options: SkeletonOptions = {}): Promise<PickleSkeleton> {
  const { handle, info } = await openRegularFile(where, file, maxBytes);
  const hash = createHash('sha256');
  let checksum = '';
  const out: Buffer[] = [];
  let outBytes = 0;
  const regions = new Map<number, FileRegion>();
  // The next read is under way while this one is hashed and walked. Each goes after HEAD bytes of
  // room, where the bytes the walk left over (an opcode cut by the read's end) are put back in
  // front of it. The checksum is computed on a worker thread where one starts, from memory shared with it,
  // while this thread walks the same bytes; a buffer is read into again once the worker is done.
  const threadHash = ThreadHash.start();
  const buffers = [0, 1, 2].map(() => (threadHash ? Buffer.from(new SharedArrayBuffer(HEAD + READ)) : Buffer.allocUnsafe(HEAD + READ)));
  const hashed: Array<Promise<void>> = buffers.map(() => Promise.resolve());
  let turn = 0;
  const readAt = async (at: number): Promise<{ buffer: Buffer; bytesRead: number; at: number; k: number }> => {
    const k = turn;
    turn = (turn + 1) % buffers.length;
    await hashed[k];
    const buffer = buffers[k]!;
    const { bytesRead } = await handle.read(buffer, HEAD, READ, at);
    return { buffer, bytesRead, at, k };
  };
  let work: Buffer = buffers[2]!;
  let start = 0; // the bytes of `work` not walked yet: start … end
  let end = 0;
  let keptAt = 0; // the file offset of work[0]
  let skip = 0;
  let scan: PayloadScan | undefined;
  const guess = options.onWhiteNoise ? new PickleLayoutGuess() : undefined;
  let layout: ArrayLayout | undefined;
  let region: Omit<FileRegion, 'firstNonFiniteF64'> | undefined;
  let placeholder = 0;
  let stopped = false;
  const emit = (bytes: Uint8Array): void => {
    out.push(Buffer.from(bytes));
    outBytes += bytes.byteLength;
  };
  const fail = (message: string): never => {
    throw new DataSourceError(`${where}: ${message}`, { source: where });
  };
  let next: ReturnType<typeof readAt> | undefined = readAt(0);
  try {
    for (;;) {
      const { buffer, bytesRead, at, k } = await next!;
      next = undefined;
      if (bytesRead === 0) break;
      if (threadHash) {
        hashed[k] = threadHash.update(buffer.buffer as SharedArrayBuffer, buffer.byteOffset + HEAD, bytesRead);
        hashed[k]!.catch(() => undefined);
      } else {
        hash.update(buffer.subarray(HEAD, HEAD + bytesRead));
      }
      const kept = end - start;
      if (kept <= HEAD) {
        work.copy(buffer, HEAD - kept, start, end);
        work = buffer;
        start = HEAD - kept;
        keptAt = at - HEAD;
      } else {
        // More left over than the room (a long opcode argument): joined in memory of its own.
        const joined = Buffer.allocUnsafe(kept + bytesRead);
        work.copy(joined, 0, start, end);
        buffer.copy(joined, kept, HEAD, HEAD + bytesRead);
        work = joined;
        start = 0;
        keptAt = at - kept;
      }
      end = start + kept + bytesRead;
      // The next buffer is free once hashed: what it held was walked, or copied in front of a later read.
      next = readAt(at + bytesRead);
      let pos = start;
      while (!stopped) {
        if (skip > 0) {
          const n = Math.min(skip, end - pos);
          scan?.feed(work.subarray(pos, pos + n));
          pos += n;
          skip -= n;
          if (skip > 0) break;
          const done: FileRegion = { ...region!, firstNonFiniteF64: scan ? scan.first : -1 };
          regions.set(placeholder, done);
          if (scan?.signs) {
            regionSigns.set(done, scan.signs);
            if (layout && layout.shape.reduce((n, d) => n * d, 1) === scan.signs.length) options.onWhiteNoise!(done, layout);
          }
          continue;
        }
        if (pos >= end) break;
        const op = work[pos]!;
        let length: number;
        if (BARE.has(op)) length = 1;
        else if (FIXED.has(op)) length = 1 + FIXED.get(op)!;
        else if (COUNTED.has(op)) {
          const k = COUNTED.get(op)!;
          if (end - pos < 1 + k) break;
          const count = k === 1 ? work[pos + 1]! : k === 4 ? work.readUInt32LE(pos + 1) : Number(work.readBigUInt64LE(pos + 1));
          if (!Number.isSafeInteger(count)) fail(`a pickle opcode at byte ${keptAt + pos} claims ${count} bytes; the file is corrupt.`);
          if (PAYLOAD.has(op) && count >= LEAVE) {
            // BINBYTES of 8 placeholder bytes; the payload stays in the file.
            const stand = Buffer.alloc(13);
            stand[0] = c('B');
            stand.writeUInt32LE(8, 1);
            stand.writeUInt32LE(regions.size, 5);
            placeholder = outBytes + 5;
            emit(stand);
            region = { file, offset: keptAt + pos + 1 + k, length: count, size: info.size, mtimeMs: info.mtimeMs };
            scan = count % 8 === 0 ? new PayloadScan(count / 8, guess !== undefined) : undefined;
            layout = guess?.payload();
            skip = count;
            pos += 1 + k;
            continue;
          }
          length = 1 + k + count;
        } else if (LINES.has(op)) {
          let at = pos + 1;
          for (let lines = LINES.get(op)!; lines > 0 && at <= end; lines--) {
            const nl = work.indexOf(10, at);
            at = nl < 0 || nl >= end ? end + 1 : nl + 1;
          }
          length = at - pos;
        } else {
          return fail(`byte ${keptAt + pos} (0x${op.toString(16)}) is not a pickle opcode: the file is not a pickle, or is corrupt.`);
        }
        if (end - pos < length) break;
        guess?.op(work.subarray(pos, pos + length));
        emit(work.subarray(pos, pos + length));
        pos += length;
        if (op === STOP) stopped = true;
      }
      start = stopped ? end : pos;
    }
    checksum = threadHash ? await threadHash.digest() : hash.digest('hex');
  } finally {
    threadHash?.close();
    // A read still under way finishes before the file is closed.
    await next?.catch(() => undefined);
    await handle.close();
  }
  if (skip > 0) fail(`the file ends inside an array's data (${skip} bytes short): it is truncated.`);
  if (!stopped && outBytes + end - start > 0) {
    // No STOP: hand over what there is, and the parser says what is wrong with it.
    emit(work.subarray(start, end));
  }
  const bytes = Buffer.concat(out, outBytes);
  return { bytes, regions, checksum, size: info.size };
}

/**
 * Reads a region of a pickle file (into `into` when it is large enough), checking first that the
 * file is the one the skeleton was read from (same size and modification time).
 */
export function readRegion(region: FileRegion, into?: ArrayBuffer): Buffer {
  const file = openRegion(region);
  try {
    const out = into && into.byteLength >= region.length ? Buffer.from(into, 0, region.length) : Buffer.allocUnsafe(region.length);
    file.read(out, 0, region.length);
    return out;
  } finally {
    file.close();
  }
}

/**
 * A region's file, opened once for many reads (parts of the region, by offset within it), after
 * the same check as {@link readRegion}'s.
 */
export function openRegion(region: FileRegion): { read(into: Uint8Array, offset: number, length: number): void; close(): void } {
  const fd = openSync(region.file, 'r');
  try {
    const info = fstatSync(fd);
    if (info.size !== region.size || info.mtimeMs !== region.mtimeMs) {
      throw new DataSourceError(`${region.file} changed since it was read (its size or modification time differs); load it again.`, { source: region.file });
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return {
    read(into, offset, length) {
      if (offset < 0 || offset + length > region.length) throw new RangeError(`bytes ${offset}…${offset + length} are outside the region of ${region.length}`);
      for (let filled = 0; filled < length;) {
        const n = readSync(fd, into, filled, length - filled, region.offset + offset + filled);
        if (n === 0) throw new DataSourceError(`${region.file} ended while reading an array's data: it was truncated since it was read.`, { source: region.file });
        filled += n;
      }
    },
    close: () => closeSync(fd),
  };
}
