/** The RGC pipeline's Computed tables and their numeric kernels. */
export { StaParams, type StaParamsRow } from './sta-params.js';
export { SpikeTriggeredAverage, type SpikeTriggeredAverageRow } from './spike-triggered-average.js';
export { prepareMovie, spikeTriggeredAverage, staPeak, perSpikeView, frameAt, type PreparedMovie, type StaResult, type StaPeak } from './sta-kernel.js';
