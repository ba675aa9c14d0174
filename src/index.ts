/**
 * rg-schema: the library (everything `rg-schema/core` exports) and the retinal ganglion cell
 * pipeline built on it. Importing it declares the pipeline's tables but touches no database until
 * a table is used.
 *
 * @example
 * ```ts
 * import { schema, Computed, Neuron, SpikeTriggeredAverage } from 'rg-schema';
 * ```
 *
 * @module rg-schema
 */
export * from './core.js';
export { KernelError } from './errors.js';

// The RGC pipeline: its schema, tables, Computed tables, loaders and synthetic data.
export {
  pipeline, Subject, DataSource, Session, Stimulation, Neuron, Spike, StaParams, SpikeTriggeredAverage,
  readSource, sourceId, SUPPORTED_TYPES, loadManifest, readManifest, generateDataset, writeDataset, migrateSourceIds, DEFAULT_LIMITS,
  prepareMovie, spikeTriggeredAverage, spikeCounts, staPeak, perSpikeView, frameAt, configureStaKernel, releasePreparedMovie,
  recovery, correlation, TRUE_LAGS,
} from './pipeline.js';
export type {
  SubjectRow, DataSourceRow, SessionRow, StimulationRow, NeuronRow, SpikeRow, StaParamsRow, SpikeTriggeredAverageRow,
  RgcDataset, RgcSession, RgcStimulation, SourceRead, LoadSummary, LoadOptions, SourceLimits, ReadOptions, SourceOutcome, Inventory, SynthOptions, SynthResult,
  TrueNeuron, DatasetFormat, PreparedMovie, StaResult, StaPeak, StaOptions, StaKernelOptions, SpikeCounts, Recovery,
} from './pipeline.js';
