import { Manual } from '../schema/table/tiers.js';
import { pipeline } from './pipeline-schema.js';
import './data-source.js';
import './subject.js';

/**
 * A row of {@link Session}.
 *
 * @example
 * ```ts
 * const sessions: SessionRow[] = await Session.restrict({ subject_name: 'KO (chx10)' }).fetch();
 * ```
 */
export interface SessionRow {
  subject_name: string;
  sample_number: number;
  session_date: string;
  source_id: string;
  n_stimulations: number;
}

/** A recording session: (subject, sample, date) identifies it, as in the real data. */
@pipeline
export class Session extends Manual<SessionRow> {
  static override definition = `
    # a recording session of one retina sample
    -> Subject
    sample_number: int               # retina sample, numbered per subject
    session_date: date
    ---
    -> DataSource
    n_stimulations: smallint unsigned  # stimulations the source holds for this session
  `;
}
