import { Computed } from '../schema/populate/auto-populate.js';
import { compareKeys } from '../schema/populate/jobs.js';
import type { Restriction } from '../schema/query/query.js';
import type { RowOf, TableClass } from '../schema/table/table.js';
import { pipeline } from '../tables/pipeline-schema.js';
import './sta-params.js';
import { packStaOffThread, startPackThreads } from './sta-pack-thread.js';
import { KeyAhead } from './key-ahead.js';
import { expectStimulations, heldStimulationInputs, stimulationInputs, type StimulationInputs } from './sta-inputs.js';
import type { StaResult } from './sta-kernel.js';
import { staOfFewerLags, staWithSums, type LagSums } from './sta-lags.js';

/**
 * A row of {@link SpikeTriggeredAverage}: `sta` is an `ndarray` (x_blocks, y_blocks, n_lags), NaN when no spike could be used.
 *
 * @example
 * ```ts
 * const { sta, n_used } = await SpikeTriggeredAverage.restrict({ neuron_index: 3, n_lags: 10 }).fetch1();
 * ```
 */
export interface SpikeTriggeredAverageRow {
  subject_name: string;
  sample_number: number;
  session_date: string;
  stimulation_index: number;
  neuron_index: number;
  n_lags: number;
  sta: unknown;
  n_used: number;
  n_skipped_before: number;
  n_skipped_after: number;
  peak_lag: number | null;
  peak_x: number | null;
  peak_y: number | null;
  peak_value: number | null;
  spatial_map: unknown;
  temporal_kernel: unknown;
}

const STA_ZLIB_LEVEL = 1;
const KEY = ['subject_name', 'sample_number', 'session_date', 'stimulation_index', 'neuron_index', 'n_lags'] as const;
type StaKey = Pick<SpikeTriggeredAverageRow, typeof KEY[number]>;

/**
 * The row of one key: the STA is computed at the call, on this thread (and the kernel's); its
 * peak is found and its blobs packed on a pack thread while the promise waits.
 */
async function staRow(key: Record<string, unknown>, inputs: StimulationInputs): Promise<SpikeTriggeredAverageRow> {
  const { movie } = inputs;
  const nLags = key.n_lags as number;
  const result = staOf(inputs, key.neuron_index as number, nLags);
  const keyValues = Object.fromEntries(KEY.map((name) => [name, key[name]])) as unknown as StaKey;
  // The peak found, and the STA, its map and its kernel packed, together on a pack thread (a blob
  // of an STA of 20 lags takes longer to compress than to compute). Averages of ±1 frames shrink
  // nearly as well at zlib level 1 as at 6 (to 0.24 of their size against 0.19), eight times faster.
  const { blobs: [sta, spatialMap, temporalKernel], peak } = await packStaOffThread({
    sta: result.sta, xBlocks: movie.xBlocks, yBlocks: movie.yBlocks, nLags, mean: movie.mean, used: result.used, level: STA_ZLIB_LEVEL,
  });
  return {
    ...keyValues,
    sta: sta!,
    n_used: result.used, n_skipped_before: result.skippedBefore, n_skipped_after: result.skippedAfter,
    peak_lag: peak?.lag ?? null, peak_x: peak?.x ?? null, peak_y: peak?.y ?? null, peak_value: peak?.value ?? null,
    spatial_map: spatialMap ?? null,
    temporal_kernel: temporalKernel ?? null,
  };
}

/**
 * The sums of the neuron whose STA was computed last, at its lags: todoKeys lists a neuron's
 * lags longest first, so its STAs at fewer lags come from these without the kernel.
 */
let longest: { readonly inputs: StimulationInputs; readonly neuron: number; readonly sums: LagSums } | undefined;

/** The neuron's STA at nLags lags: from the sums of a longer one of it when held, else by the kernel. */
function staOf(inputs: StimulationInputs, neuron: number, nLags: number): StaResult {
  if (longest && longest.inputs === inputs && longest.neuron === neuron && longest.sums.nLags >= nLags) return staOfFewerLags(longest.sums, nLags);
  const { result, sums } = staWithSums(inputs.movie, inputs.spikes.get(neuron) ?? new Float64Array(0), nLags);
  longest = sums && { inputs, neuron, sums };
  return result;
}

/**
 * The next keys' rows, begun while this key's row is inserted (populate makes a stimulation's keys
 * in a row): enough that the pack threads always have an STA to pack, whatever its size.
 */
const AHEAD = 3;
const ahead = new KeyAhead<SpikeTriggeredAverageRow>(KEY, AHEAD);
/** The inputs each row begun ahead was computed from. */
const begunFrom = new WeakMap<Promise<SpikeTriggeredAverageRow>, StimulationInputs>();

/**
 * The spike-triggered average of each neuron, for each StaParams: its spatio-temporal receptive
 * field, with the counts of spikes used and skipped, and the peak the viewer draws.
 */
@pipeline
export class SpikeTriggeredAverage extends Computed<SpikeTriggeredAverageRow> {
  static override definition = `
    # spike-triggered average of a neuron (its spatio-temporal receptive field)
    -> Stimulation.Neuron
    -> StaParams
    ---
    sta: longblob                      # (x_blocks, y_blocks, n_lags); NaN when no spike was usable
    n_used: int unsigned               # spikes averaged
    n_skipped_before: int unsigned     # spikes too early for all lags (incl. before the onset)
    n_skipped_after: int unsigned      # spikes at or after the last frame
    peak_lag = null: smallint unsigned # lag of the largest deviation from the movie mean
    peak_x = null: smallint unsigned   # block of the largest deviation
    peak_y = null: smallint unsigned
    peak_value = null: double          # the STA there
    spatial_map = null: longblob       # (x_blocks, y_blocks) at peak_lag
    temporal_kernel = null: longblob   # (n_lags,) at (peak_x, peak_y), lag 0 first
  `;

  /** Workers claim a stimulation's keys together, so its prepared movie and spikes serve them all. */
  static override jobGroup = ['subject_name', 'sample_number', 'session_date', 'stimulation_index'];

  /** A claim's keys by neuron, lags longest first (as todoKeys lists them): a neuron's STAs at fewer lags come from the sums of its longest. */
  static override jobOrder = ['neuron_index', 'n_lags DESC'];

  /**
   * The keys to do, those of one stimulation together (by neuron, then n_lags longest first), so
   * that its prepared movie and spikes serve them all, and a neuron's STAs at fewer lags come from
   * the sums of its longest: the database may list them lags first.
   */
  static override async todoKeys<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Promise<Array<Record<string, unknown>>> {
    const keys = await Computed.todoKeys.call(this, restriction as never);
    // The order claims hand them out in: its jobGroup, then its jobOrder.
    const group = SpikeTriggeredAverage.jobGroup;
    keys.sort(compareKeys([...group.map((name) => ({ name, descending: false })), ...SpikeTriggeredAverage.jobs().claimOrder(SpikeTriggeredAverage.jobOrder, group)]));
    ahead.expect(keys);
    expectStimulations(keys);
    if (keys.length > 0) startPackThreads();
    return keys;
  }

  async make(key: Record<string, unknown>): Promise<void> {
    // Work begun ahead serves only while its inputs are still those held (the same database).
    const taken = ahead.take(key);
    const row = await (taken && begunFrom.get(taken) === heldStimulationInputs(key) ? taken : staRow(key, await stimulationInputs(key)));
    const inserting = this.insert1(row);
    // The next keys' STAs are computed at the next turn of the event loop (while a server
    // stores this row; on SQLite while a later key waits for its blobs), and their blobs packed
    // meanwhile; only from inputs already read (no query runs outside a key's transaction).
    setImmediate(() => ahead.begin((next) => {
      const inputs = heldStimulationInputs(next);
      if (!inputs) return undefined;
      const work = staRow(next, inputs);
      begunFrom.set(work, inputs);
      return work;
    }));
    await inserting;
  }
}
