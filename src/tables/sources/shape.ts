import { DataSourceError } from '../../errors.js';
import { show } from './validate.js';

/** Checks an array shape before anything is allocated for it: whole, non-negative, bounded. */
export function checkShape(where: string, shape: unknown, available: number): number[] {
  if (!Array.isArray(shape) || shape.some((s) => typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0)) {
    throw new DataSourceError(`${where}: the shape ${show(shape)} must be a list of whole numbers, 0 or more.`, { source: where, field: 'shape' });
  }
  const n = (shape as number[]).reduce((p, s) => p * s, 1);
  if (n > available) {
    throw new DataSourceError(`${where}: an array of shape (${shape.join(', ')}) needs ${n} values but its data holds ${available}.`, { source: where, field: 'shape' });
  }
  return shape as number[];
}
