/** The RGC pipeline's Computed tables and their numeric kernels. */
export { StaParams, type StaParamsRow } from './sta-params.js';
export { SpikeTriggeredAverage, type SpikeTriggeredAverageRow } from './spike-triggered-average.js';
export { prepareMovie, releasePreparedMovie, spikeTriggeredAverage, spikeCounts, staPeak, perSpikeView, frameAt, type PreparedMovie, type StaResult, type StaPeak, type StaOptions, type SpikeCounts } from './sta-kernel.js';
export { configureStaKernel, type StaKernelOptions } from './sta-threads.js';
