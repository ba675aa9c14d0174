/** What a numpy array's BUILD state says of its values, as guessed before the pickle is parsed. */
export interface ArrayLayout {
  readonly shape: readonly number[];
  readonly fortran: boolean;
}

/** A value on the modelled stack: an int, a bool, a tuple (of ints only, or not), a mark, or anything else. */
type Item = number | boolean | { readonly ints: readonly number[] | undefined } | typeof MARK | typeof OTHER;
const MARK = Symbol('mark');
const OTHER = Symbol('other');
/** Items kept: the guess looks at the top three; deeper ones are forgotten. */
const DEPTH = 64;

const c = (ch: string): number => ch.charCodeAt(0);
/** Opcodes that push one value the guess has no use for (strings, bytes, floats, long ints, None, memo gets, empty containers, globals). */
const PUSH_OTHER = new Set([c('N'), 0x8c, c('X'), 0x8d, c('U'), c('T'), c('C'), c('B'), 0x8e, 0x96, c('G'), c('h'), c('j'), 0x8a, 0x8b, c('}'), c(']'), c('c'), 0x8f]);
/** Opcodes that leave the stack as it is (memo puts, framing, the protocol). */
const KEEP = new Set([c('q'), c('r'), 0x94, 0x95, 0x80]);

/**
 * Follows a pickle's opcodes, as the skeleton's walk meets them, on a model of the top of the
 * unpickler's stack, to tell the layout of a numpy array when its data begins: numpy's
 * `_reconstruct` (protocols 2–4) builds an array from the state `(version, shape, dtype,
 * is_fortran, data)`, so just before the data come a tuple of ints, the dtype and a bool. The
 * guess lets work that needs the layout (packing a movie) start while the file is still being read;
 * it is only a guess, to be checked against the parsed array. Opcodes it does not model
 * forget the stack (no guess until it is known again).
 *
 * @example
 * ```ts
 * const guess = new PickleLayoutGuess();
 * guess.op(bytes.subarray(at, at + length));   // every opcode before the data
 * guess.payload();                             // { shape: [64, 48, 4241], fortran: false }, or undefined
 * ```
 */
export class PickleLayoutGuess {
  private stack: Item[] = [];

  /** One whole opcode with its argument (`bytes[0]` is the opcode). */
  op(bytes: Uint8Array): void {
    const op = bytes[0]!;
    const view = (): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (KEEP.has(op)) return;
    if (op === c('K')) this.push(bytes[1]!);
    else if (op === c('M')) this.push(view().getUint16(1, true));
    else if (op === c('J')) this.push(view().getInt32(1, true));
    else if (op === 0x88 || op === 0x89) this.push(op === 0x88);
    else if (op === c('(')) this.push(MARK);
    else if (op === c(')')) this.push({ ints: [] });
    else if (op >= 0x85 && op <= 0x87) this.push(tuple(this.pop(op - 0x84)));
    else if (op === c('t')) this.push(tuple(this.popMark()));
    else if (PUSH_OTHER.has(op)) this.push(OTHER);
    else if (op === 0x93 || op === c('R') || op === 0x81) {
      this.pop(2);
      this.push(OTHER);
    } else if (op === c('b')) {
      this.pop(1); // the state; the object stays
    } else if (op === c('0')) this.pop(1);
    else if (op === c('u') || op === c('e') || op === c('1')) this.popMark();
    else if (op === c('s')) this.pop(2);
    else if (op === c('a')) this.pop(1);
    else this.stack = []; // not modelled: what lies below is unknown from here
  }

  /**
   * At a large byte payload: the layout its array's state gives (the tuple of ints two below
   * the top, and the bool on top), or undefined; the payload then takes its place on the stack.
   */
  payload(): ArrayLayout | undefined {
    const [shape, , fortran] = this.stack.length >= 3 ? this.stack.slice(-3) : [];
    this.push(OTHER);
    if (typeof fortran !== 'boolean' || typeof shape !== 'object' || !('ints' in shape) || !shape.ints || shape.ints.length === 0) return undefined;
    return { shape: shape.ints, fortran };
  }

  private push(item: Item): void {
    this.stack.push(item);
    if (this.stack.length > DEPTH) this.stack.splice(0, this.stack.length - DEPTH);
  }

  /** The top `n` items, oldest first (OTHER for any below what is known). */
  private pop(n: number): Item[] {
    const out = new Array<Item>(n).fill(OTHER);
    for (let k = n - 1; k >= 0 && this.stack.length > 0; k--) out[k] = this.stack.pop()!;
    return out;
  }

  /** The items above the topmost mark, oldest first (the mark goes too); none when no mark is known. */
  private popMark(): Item[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) {
      this.stack = [];
      return [OTHER];
    }
    return this.stack.splice(at).slice(1);
  }
}

function tuple(items: readonly Item[]): Item {
  return { ints: items.every((i) => typeof i === 'number') ? (items as number[]) : undefined };
}
