import { ERROR_MESSAGE_LENGTH } from './jobs-layout.js';

const TRUNCATION_APPENDIX = '...truncated';

/**
 * A failed key's `error_message` as DataJoint writes it, 0.14 and 2.3 alike: the error's class name,
 * then `: ` and the message when there is one, cut to 2047 characters with `...truncated` at the end.
 * Characters are counted as Python and the column count them (code points), so a surrogate pair is
 * never split.
 *
 * @example
 * ```ts
 * jobErrorMessage(new TypeError('bad key'));  // 'TypeError: bad key'
 * jobErrorMessage(new Error(''));             // 'Error'
 * ```
 */
export function jobErrorMessage(error: Error): string {
  const text = error.message === '' ? error.name : `${error.name}: ${error.message}`;
  const chars = Array.from(text);
  if (chars.length <= ERROR_MESSAGE_LENGTH) return text;
  return chars.slice(0, ERROR_MESSAGE_LENGTH - TRUNCATION_APPENDIX.length).join('') + TRUNCATION_APPENDIX;
}
