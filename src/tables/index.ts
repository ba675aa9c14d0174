/** The RGC pipeline's tables. Importing this module declares them in the `rgc` schema. */
export { pipeline } from './pipeline-schema.js';
export { Subject, type SubjectRow } from './subject.js';
export { DataSource, type DataSourceRow } from './data-source.js';
export { Session, type SessionRow } from './session.js';
export { Stimulation, Neuron, Spike, type StimulationRow, type NeuronRow, type SpikeRow } from './stimulation.js';
export type { RgcDataset, RgcSession, RgcStimulation } from './dataset.js';
export { readSource, readSourceCached, sourceId, checkEntry, SUPPORTED_TYPES, type SourceRead, type ReadOptions } from './sources/read-source.js';
export { parseNumpyPickle } from './sources/numpy-pickle.js';
export { frameAt } from './spike-frame.js';
