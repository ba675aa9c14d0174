/**
 * The whole RGC pipeline in one module: its schema, tables and Computed tables. Worker processes
 * and the command line import this.
 */
export * from './tables/index.js';
export * from './computed/index.js';
export { loadManifest, readManifest, type LoadSummary, type LoadOptions, type SourceOutcome } from './tables/load-manifest.js';
export { migrateSourceIds } from './tables/source-ids.js';
export { DEFAULT_LIMITS, type SourceLimits } from './tables/sources/limits.js';
export { generateDataset, TRUE_LAGS, type Inventory, type SynthOptions, type SynthResult, type TrueNeuron } from './tables/synth/generate.js';
export { writeDataset, type DatasetFormat } from './tables/synth/write-dataset.js';
export { recovery, correlation, type Recovery } from './computed/recovery.js';
