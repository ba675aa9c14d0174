/**
 * A small pickle writer (protocol 2 to 5) for the shapes the RGC data uses: dicts, lists, strings,
 * numbers, None and numpy arrays. Arrays are written as numpy pickles them at protocols 2–4:
 * `numpy.core.multiarray._reconstruct` plus BUILD state (protocol 2 wraps the bytes in
 * `_codecs.encode(str, 'latin1')`), which every protocol accepts, so real Python loads them.
 */
export interface PickleArray {
  readonly dtype: 'f8' | 'i8';
  readonly shape: readonly number[];
  /** Row-major (C order) values. */
  readonly data: Float64Array | BigInt64Array;
}

export type Picklable = null | boolean | number | string | PickleArray | Picklable[] | { [key: string]: Picklable };

export function isPickleArray(v: unknown): v is PickleArray {
  return v !== null && typeof v === 'object' && 'dtype' in v && 'shape' in v && 'data' in v && ArrayBuffer.isView((v as PickleArray).data);
}

class Writer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(readonly protocol: number) {}

  byte(...b: number[]): void {
    this.push(Buffer.from(b));
  }
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  result(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  global(module: string, name: string): void {
    if (this.protocol >= 4) {
      this.string(module);
      this.string(name);
      this.byte(0x93); // STACK_GLOBAL
    } else {
      this.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
    }
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    if (this.protocol >= 4 && b.length < 256) this.byte(0x8c, b.length); // SHORT_BINUNICODE
    else {
      this.byte(0x58); // BINUNICODE
      this.u32(b.length);
    }
    this.push(b);
  }

  bytes(b: Buffer): void {
    if (this.protocol >= 3) {
      if (b.length < 256) this.byte(0x43, b.length); // SHORT_BINBYTES
      else {
        this.byte(0x42); // BINBYTES
        this.u32(b.length);
      }
      this.push(b);
    } else {
      // Protocol 2 has no bytes type: numpy writes _codecs.encode(latin-1 text, 'latin1').
      this.global('_codecs', 'encode');
      this.string(b.toString('latin1'));
      this.string('latin1');
      this.byte(0x86, 0x52); // TUPLE2, REDUCE
    }
  }

  number(n: number): void {
    if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) {
      this.byte(0x4a); // BININT
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      this.push(b);
    } else {
      this.byte(0x47); // BINFLOAT (big-endian)
      const b = Buffer.alloc(8);
      b.writeDoubleBE(n);
      this.push(b);
    }
  }

  dtype(code: string): void {
    this.global('numpy', 'dtype');
    this.string(code);
    this.byte(0x89, 0x88, 0x87, 0x52); // NEWFALSE, NEWTRUE, TUPLE3, REDUCE
    // state: (3, '<', None, None, None, -1, -1, 0)
    this.byte(0x28); // MARK
    this.number(3);
    this.string('<');
    this.byte(0x4e, 0x4e, 0x4e); // None ×3
    this.number(-1);
    this.number(-1);
    this.number(0);
    this.byte(0x74, 0x62); // TUPLE, BUILD
  }

  array(a: PickleArray): void {
    const raw = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const shape = (): void => {
      this.byte(0x28);
      for (const s of a.shape) this.number(s);
      this.byte(0x74);
    };
    this.global('numpy.core.multiarray', '_reconstruct');
    this.global('numpy', 'ndarray');
    this.byte(0x28);
    this.number(0);
    this.byte(0x74); // (0,)
    this.bytes(Buffer.from('b'));
    this.byte(0x87, 0x52); // TUPLE3, REDUCE
    this.byte(0x28); // MARK: (1, shape, dtype, False, raw)
    this.number(1);
    shape();
    this.dtype(a.dtype);
    this.byte(0x89);
    this.bytes(Buffer.from(raw));
    this.byte(0x74, 0x62); // TUPLE, BUILD
  }

  value(v: Picklable): void {
    if (v === null) this.byte(0x4e);
    else if (v === true) this.byte(0x88);
    else if (v === false) this.byte(0x89);
    else if (typeof v === 'number') this.number(v);
    else if (typeof v === 'string') this.string(v);
    else if (isPickleArray(v)) this.array(v);
    else if (Array.isArray(v)) {
      this.byte(0x5d, 0x28); // EMPTY_LIST, MARK
      for (const item of v) this.value(item);
      this.byte(0x65); // APPENDS
    } else {
      this.byte(0x7d, 0x28); // EMPTY_DICT, MARK
      for (const [k, item] of Object.entries(v)) {
        this.string(k);
        this.value(item);
      }
      this.byte(0x75); // SETITEMS
    }
  }
}

/** Pickles a value at the given protocol (2–5). */
export function writePickle(value: Picklable, protocol: 2 | 3 | 4 | 5 = 4): Buffer {
  const w = new Writer(protocol);
  w.byte(0x80, protocol); // PROTO
  w.value(value);
  w.byte(0x2e); // STOP
  return w.result();
}
