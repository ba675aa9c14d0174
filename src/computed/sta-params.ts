import { InvalidValueError } from '../errors.js';
import { Lookup } from '../schema/table/tiers.js';
import { pipeline } from '../tables/pipeline-schema.js';

/** A row of {@link StaParams}. */
export interface StaParamsRow {
  n_lags: number;
}

/** How many frames back an STA reaches: lag 0 (the frame on screen) … n_lags − 1. */
@pipeline
export class StaParams extends Lookup<StaParamsRow> {
  static override definition = `
    # spike-triggered average settings
    n_lags: smallint unsigned        # frames, lag 0 (on screen at the spike) to n_lags - 1
  `;
  static override contents = [{ n_lags: 5 }, { n_lags: 10 }, { n_lags: 20 }];

  /** An STA of 0 lags has no frame to average: refused here rather than in every make() downstream. */
  static override validate(row: StaParamsRow): void {
    if (typeof row.n_lags !== 'number' || !Number.isInteger(row.n_lags) || row.n_lags < 1) {
      throw new InvalidValueError(`StaParams.n_lags must be a whole number of frames, 1 or more (lag 0 is the frame on screen at the spike), got ${String(row.n_lags)}.`, { table: 'StaParams' });
    }
  }
}
