import { Schema } from '../schema/declare/schema.js';

/**
 * The schema of the retinal ganglion cell pipeline: database `rgc` (after any prefix), on the
 * connection the environment or config.ini names, else the embedded SQLite file.
 */
export const pipeline = new Schema('rgc');
