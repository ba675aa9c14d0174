import { KernelError } from '../errors.js';
import { wasm } from './wasm/webassembly-api.js';

const PAGE = 65536;
/** wasm32 addresses 4 GiB; the memory is reserved (not committed) up to this many pages. */
const MAX_PAGES = 65536;
const ALIGN = 64;

/**
 * The kernel's shared WebAssembly memory and a first-fit allocator over it. Every thread's
 * instance imports this one memory, so what one thread writes (a movie, a job) the others read
 * without a copy. WebAssembly memory only grows: freed blocks are reused, never returned.
 *
 * @example
 * ```ts
 * const heap = new KernelHeap(4096);             // the first 4 KiB stay for the control block
 * const at = heap.alloc(8 * 1000);
 * heap.f64(at, 1000).fill(1);
 * heap.free(at);
 * ```
 */
export class KernelHeap {
  readonly memory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  /** Free blocks as [start, size], by start, never adjacent. */
  private readonly holes: Array<[number, number]> = [];
  private readonly sizes = new Map<number, number>();
  private top: number;

  constructor(reserved: number) {
    this.top = Math.ceil(reserved / ALIGN) * ALIGN;
  }

  /** Bytes handed out and not freed. */
  get used(): number {
    let n = 0;
    for (const size of this.sizes.values()) n += size;
    return n;
  }

  /** A block of at least `bytes` (64-byte aligned, for cache lines), growing the memory if needed. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const i = this.holes.findIndex(([, s]) => s >= size);
    let at: number;
    if (i >= 0) {
      const hole = this.holes[i]!;
      at = hole[0];
      if (hole[1] === size) this.holes.splice(i, 1);
      else { hole[0] += size; hole[1] -= size; }
    } else {
      at = this.top;
      const end = at + size;
      if (end > MAX_PAGES * PAGE) {
        throw new KernelError(`The STA kernel needs ${(end / 2 ** 30).toFixed(2)} GiB of WebAssembly memory, more than the 4 GiB it can address. Release prepared movies you no longer use (releasePreparedMovie), or compute with { kernel: 'scalar' }.`);
      }
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        // A quarter more at least, so a run of small growths does not copy page tables each time.
        const pages = Math.max(Math.ceil((end - have) / PAGE), Math.ceil(have / PAGE / 4));
        this.memory.grow(Math.min(pages, MAX_PAGES - have / PAGE));
      }
      this.top = end;
    }
    this.sizes.set(at, size);
    return at;
  }

  free(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) return;
    this.sizes.delete(at);
    let i = this.holes.findIndex(([s]) => s > at);
    if (i < 0) i = this.holes.length;
    this.holes.splice(i, 0, [at, size]);
    const next = this.holes[i + 1];
    if (next && at + size === next[0]) { this.holes[i]![1] += next[1]; this.holes.splice(i + 1, 1); }
    const prev = this.holes[i - 1];
    if (prev && prev[0] + prev[1] === at) { prev[1] += this.holes[i]![1]; this.holes.splice(i, 1); }
    const last = this.holes[this.holes.length - 1];
    if (last && last[0] + last[1] === this.top) { this.top = last[0]; this.holes.pop(); }
  }

  /** A float64 view; made afresh because growing gives the memory a longer buffer. */
  f64(at: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, length);
  }

  i8(at: number, length: number): Int8Array {
    return new Int8Array(this.memory.buffer, at, length);
  }

  i16(at: number, length: number): Int16Array {
    return new Int16Array(this.memory.buffer, at, length);
  }

  u32(at: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, at, length);
  }
}
