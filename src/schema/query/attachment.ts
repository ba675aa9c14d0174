import type { Attribute } from '../definition/heading.js';

/**
 * A DataJoint `attach` / `<attach>` value: a file's name and its bytes. DataJoint stores it in the
 * column as the UTF-8 name, a NUL byte, then the bytes; rg-schema reads and writes that layout, so
 * attachments inserted by DataJoint for Python fetch here and the reverse (Python's fetch writes
 * the bytes to its download path under `filename`).
 *
 * @example
 * ```ts
 * await Attachment.insert1({ subject_id: 1, att: { filename: 'notes.txt', content: Buffer.from('hello') } });
 * const { att } = await Attachment.restrict({ subject_id: 1 }).fetch1();
 * att.filename; // 'notes.txt'
 * att.content;  // <Buffer 68 65 6c 6c 6f>
 * ```
 */
export interface Attachment {
  /** The file's base name, as DataJoint records it (no directories). */
  readonly filename: string;
  readonly content: Uint8Array;
}

/**
 * Splits DataJoint's `name\0bytes` layout; the content is a view on the fetched buffer, not a copy.
 *
 * @example
 * ```ts
 * unpackAttachment(att, Buffer.from('a.txt\0hi')); // { filename: 'a.txt', content: <Buffer 68 69> }
 * ```
 */
export function unpackAttachment(attribute: Attribute, stored: Uint8Array): { filename: string; content: Buffer } {
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const end = bytes.indexOf(0);
  if (end < 0) throw new Error(`${attribute.name} holds ${bytes.length} bytes without the file name DataJoint's attach puts first (name, NUL, content).`);
  return { filename: bytes.toString('utf8', 0, end), content: bytes.subarray(end + 1) };
}

/**
 * DataJoint's stored layout of an attachment, or a reason the value is not one.
 *
 * @example
 * ```ts
 * packAttachment({ filename: 'a.txt', content: Buffer.from('hi') }); // <Buffer 61 2e 74 78 74 00 68 69>
 * packAttachment(Buffer.from('hi'));                                 // 'must be { filename, content }'
 * ```
 */
export function packAttachment(value: unknown): Buffer | string {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return 'must be { filename, content }';
  const { filename, content } = value as Partial<Attachment>;
  if (typeof filename !== 'string' || filename === '' || /[\0/\\]/.test(filename)) return 'needs a filename: a base name without "/", "\\" or NUL';
  if (!(content instanceof Uint8Array)) return 'needs content as a Buffer or Uint8Array';
  return Buffer.concat([Buffer.from(filename, 'utf8'), Buffer.alloc(1), content]);
}
