import { isUnicode } from '../util/unicode.js';

/**
 * Checks that a value is JSON data that reads back as it is (JSON.stringify would turn NaN into
 * null, drop undefined, and write a Date as a string); returns the problem, if any. `textProblem`
 * checks each string and key for what the backend cannot hold (PostgreSQL's jsonb: U+0000).
 *
 * @example
 * ```ts
 * jsonProblem({ a: [1, 'x', null] });   // undefined
 * jsonProblem({ n: NaN });              // 'holds NaN, which JSON cannot represent'
 * ```
 */
export function jsonProblem(value: unknown, depth = 0, textProblem: (text: string) => string | undefined = () => undefined): string | undefined {
  if (depth > 1000) return 'is nested too deeply';
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `holds ${value}, which JSON cannot represent`;
  if (typeof value === 'string') return !isUnicode(value) ? 'holds a string that is not valid Unicode (a lone surrogate)' : textProblem(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === undefined || typeof item === 'function') return 'holds undefined in an array, which JSON cannot represent';
      const problem = jsonProblem(item, depth + 1, textProblem);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    for (const [key, item] of Object.entries(value)) {
      if (!isUnicode(key)) return 'has a key that is not valid Unicode (a lone surrogate)';
      const keyProblem = textProblem(key);
      if (keyProblem !== undefined) return `has a key that ${keyProblem}`;
      if (item === undefined) continue;
      const problem = jsonProblem(item, depth + 1, textProblem);
      if (problem) return problem;
    }
    return undefined;
  }
  return `holds a ${typeof value === 'object' ? (value as object).constructor?.name ?? 'object' : typeof value}, which is not JSON data (use plain objects, arrays, strings, finite numbers, booleans and null)`;
}
