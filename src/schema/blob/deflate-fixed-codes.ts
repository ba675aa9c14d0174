/** Deflate's fixed Huffman codes and its length and distance tables (RFC 1951 3.2.5 and 3.2.6). */

/** A Huffman code of `length` bits as deflate writes it: its bits reversed. */
export function reversed(code: number, length: number): number {
  let r = 0;
  for (let i = 0; i < length; i++) r |= ((code >>> i) & 1) << (length - 1 - i);
  return r;
}

/** The fixed literal/length code (RFC 1951 3.2.6) of a symbol: reversed code and length. */
export function fixedSymbol(symbol: number): [number, number] {
  if (symbol < 144) return [reversed(0x30 + symbol, 8), 8];
  if (symbol < 256) return [reversed(0x190 + symbol - 144, 9), 9];
  if (symbol < 280) return [reversed(symbol - 256, 7), 7];
  return [reversed(0xc0 + symbol - 280, 8), 8];
}

/** Lengths 3…258: their symbol's first length, and extra bits (RFC 1951 3.2.5). */
export const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
export const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
export const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
export const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
