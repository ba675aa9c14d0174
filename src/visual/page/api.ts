import type { EncodedArray, ErrorResponse } from '../api-types.js';

/** An API answer that is not 2xx: its status and the server's sentence. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const answers = new Map<string, Promise<unknown>>();

/**
 * GETs a JSON route of this server. Lists (sessions, neurons, spikes, …) are kept for the page's
 * lifetime, so going back and forth between selections asks the server once.
 */
export function getJson<T>(route: string, params: Record<string, string | number> = {}, keep = false): Promise<T> {
  const url = `${route}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString()}`;
  const known = keep ? answers.get(url) : undefined;
  if (known) return known as Promise<T>;
  const pending = fetch(url, { headers: { accept: 'application/json' } }).then(async (response) => {
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (!response.ok) throw new ApiError(response.status, (body as ErrorResponse | undefined)?.message ?? `${route} answered ${response.status}.`);
    return body as T;
  });
  if (keep) {
    answers.set(url, pending);
    pending.catch(() => answers.delete(url));
  }
  return pending;
}

/** The float64 values of an encoded array (column-major, as sent). */
export function decode(array: EncodedArray): Float64Array {
  const text = atob(array.data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float64Array(bytes.buffer);
}

/**
 * A (x_blocks, y_blocks) column-major frame as heatmap rows: z[y][x], minus `baseline`.
 */
export function rows(values: Float64Array, xBlocks: number, yBlocks: number, baseline = 0, offset = 0): number[][] {
  const z: number[][] = [];
  for (let j = 0; j < yBlocks; j++) {
    const row = new Array<number>(xBlocks);
    for (let i = 0; i < xBlocks; i++) row[i] = values[offset + j * xBlocks + i]! - baseline;
    z.push(row);
  }
  return z;
}
