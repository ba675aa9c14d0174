import { ValueProblem } from './value-problem.js';

const DECIMAL_TEXT = /^([-+]?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i;

/**
 * Precision and scale of a `decimal(p,s)` column, from its MySQL spelling.
 *
 * @example
 * ```ts
 * decimalShape('decimal(30,2) unsigned');  // { precision: 30, scale: 2 }
 * ```
 */
export function decimalShape(mysqlType: string): { precision: number; scale: number } {
  const m = /\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(mysqlType);
  return { precision: Number(m?.[1] ?? 10), scale: Number(m?.[2] ?? 0) };
}

/**
 * A decimal as the column stores and returns it, decided from its digits alone (no value passes
 * through a JS number): exactly `scale` digits after the point, no leading zeros, no `-0`. A value
 * the column would change is a problem, never rounded: more digits after the point than the scale
 * (trailing zeros aside), more before it than `precision − scale`, a negative into an unsigned
 * column. JS numbers are read as their shortest decimal text (`1.005` is "1.005", not 1.00499…).
 *
 * @example
 * ```ts
 * canonicalDecimal('12.5', 5, 2, false);   // '12.50'
 * canonicalDecimal(1.005, 5, 2, false);    // ValueProblem: 3 digits after the point; decimal(5,2) keeps 2
 * canonicalDecimal('1e3', 6, 2, false);    // '1000.00'
 * ```
 */
export function canonicalDecimal(value: number | bigint | string, precision: number, scale: number, unsigned: boolean): string | ValueProblem {
  const text = typeof value === 'string' ? value.trim() : String(value);
  const m = DECIMAL_TEXT.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return new ValueProblem('must be a decimal number (a numeric string, number or bigint)');
  const negative = m[1] === '-';
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  const written = `${whole}${fraction}`;
  const digits = written.replace(/^0+/, '');
  if (digits === '') return scale === 0 ? '0' : `0.${'0'.repeat(scale)}`;
  // The value is 0.<digits> × 10^point.
  const point = whole.length - (written.length - digits.length) + Number(m[4] ?? 0);
  const significant = digits.replace(/0+$/, '');
  const wholeDigits = Math.max(0, point);
  const fractionDigits = Math.max(0, significant.length - point);
  if (negative && unsigned) return new ValueProblem('is negative, and the column is unsigned');
  if (fractionDigits > scale) {
    return new ValueProblem(`has ${fractionDigits > 1000 ? 'more than 1000' : fractionDigits} digits after the point and decimal(${precision},${scale}) keeps ${scale}; round it first (the database would round it silently)`);
  }
  if (wholeDigits > precision - scale) {
    return new ValueProblem(`is out of range: ${wholeDigits > 1000 ? 'more than 1000' : wholeDigits} digits before the point and decimal(${precision},${scale}) holds ${precision - scale}`);
  }
  const padded = point >= significant.length ? significant + '0'.repeat(point - significant.length) : significant;
  const intPart = point <= 0 ? '0' : padded.slice(0, point);
  const fracPart = point <= 0 ? '0'.repeat(-point) + significant : significant.slice(point);
  const sign = negative ? '-' : '';
  return scale === 0 ? `${sign}${intPart}` : `${sign}${intPart}.${fracPart.padEnd(scale, '0')}`;
}
