/** The viewer (rg-visual): a read-only web page and JSON API over the RGC pipeline. */
export { createViewer, type Viewer, type ViewerOptions } from './server.js';
export { MovieCache, DEFAULT_CACHE_BYTES, type MovieStats } from './movie-cache.js';
export { decodeArray, encodeArray } from './encode-array.js';
export type * from './api-types.js';
