/** A lone UTF-16 surrogate: a JS string that is not Unicode text, which UTF-8 can only write as U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether a JS string is Unicode text: no lone surrogate, so its UTF-8 bytes read back as itself.
 *
 * @example
 * ```ts
 * isUnicode('😀');       // true
 * isUnicode('a\ud800');  // false: written as 'a\uFFFD' by every UTF-8 encoder
 * ```
 */
export function isUnicode(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
