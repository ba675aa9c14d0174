import { Manual } from '../schema/table/tiers.js';
import { pipeline } from './pipeline-schema.js';

/**
 * A row of {@link Subject}.
 *
 * @example
 * ```ts
 * await Subject.insert1({ subject_name: 'KO (chx10)' });
 * ```
 */
export interface SubjectRow {
  subject_name: string;
}

/** An experimental animal (the seed's Subject, keyed by its name instead of a counter). */
@pipeline
export class Subject extends Manual<SubjectRow> {
  static override definition = `
    # an experimental animal
    subject_name: varchar(64)        # e.g. 'KO (chx10)'
  `;
}
