import { Manual } from '../schema/table/tiers.js';
import { pipeline } from './pipeline-schema.js';

/** A row of {@link DataSource}: a manifest entry as it was loaded (`loaded_at` is set by the database). */
export interface DataSourceRow {
  source_id: string;
  source_type: string;
  access: string;
  entry: unknown;
  checksum: string;
  loaded_at?: string;
}

/**
 * One manifest entry, and the checksum of the data it pointed to when it was loaded: every loaded
 * row traces back to one of these.
 */
@pipeline
export class DataSource extends Manual<DataSourceRow> {
  static override definition = `
    # a manifest entry and the checksum of the data it named when it was loaded
    source_id: char(16)              # sha256 of type, access and access2, first 16 hex digits
    ---
    source_type: varchar(32)         # file/pickle, file/json, text/json, http/json, file/csv, text/plain, database/mysql
    access: varchar(1024)            # path, URL or connection string (passwords removed)
    entry: json                      # the manifest entry as given (passwords removed)
    checksum: char(64)               # sha256 of the bytes read
    loaded_at = CURRENT_TIMESTAMP : timestamp
  `;
}
