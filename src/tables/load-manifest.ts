import path from 'node:path';
import { DataSourceError } from '../errors.js';
import { runMake } from '../schema/populate/auto-populate.js';
import { tableInfo } from '../schema/declare/table-info.js';
import { redactCredentials, redactUrl } from '../redact.js';
import { DataSource } from './data-source.js';
import { packMoviesAhead } from './movie-blob.js';
import { postSignJobEarly, startSignThread } from './movie-sign-thread.js';
import { pipeline } from './pipeline-schema.js';
import { Session } from './session.js';
import { migrateSourceIds } from './source-ids.js';
import { DEFAULT_LIMITS, type SourceLimits } from './sources/limits.js';
import { readRegularFile, resolvePath } from './sources/read-file.js';
import { checkEntry, describeSource, forgetSource, PATH_TYPES, readSource, rememberSource, sourceId } from './sources/read-source.js';
import { parseStrictJson } from './sources/strict-json.js';
import { Stimulation, writeMoviesLast } from './stimulation.js';
import { Subject } from './subject.js';

/** What happened to one manifest entry. */
export interface SourceOutcome {
  readonly source: string;
  readonly status: 'loaded' | 'unchanged' | 'failed';
  readonly sessions: number;
  readonly message?: string;
  readonly field?: string;
}

/** The summary of a load. */
export interface LoadSummary {
  readonly sources: readonly SourceOutcome[];
  readonly sessions: number;
  readonly stimulations: number;
  readonly neurons: number;
  readonly spikes: number;
  readonly spikesBeforeOnset: number;
  readonly spikesAfterMovie: number;
  readonly populateErrors: ReadonlyArray<{ key: Record<string, unknown>; message: string }>;
  /** DataSource ids stored with an older, password-derived id and renamed by this load. */
  readonly migratedIds: number;
}

/** How a manifest is loaded. */
export interface LoadOptions {
  readonly display?: boolean;
  /** Bounds on each source (size, timeouts); an entry's own fields override them. */
  readonly limits?: Partial<SourceLimits>;
}

/**
 * Reads a manifest file: a JSON list of `{type, access, access2, ...}`. Paths in it (`access` of
 * file/* and text/plain entries, `access2` of text/plain) are relative to the manifest's folder,
 * and are returned absolute so that populate() can reread them from anywhere.
 */
export async function readManifest(file: string, limits: Partial<SourceLimits> = {}): Promise<Array<Record<string, unknown>>> {
  const where = `the manifest ${path.resolve(file)}`;
  const bytes = await readRegularFile(where, path.resolve(file), limits.maxBytes ?? DEFAULT_LIMITS.maxBytes, 'manifest');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new DataSourceError(`${where} is not valid UTF-8 text.`, { source: where, cause });
  }
  const parsed = parseStrictJson(text, where);
  if (!Array.isArray(parsed)) throw new DataSourceError(`${where} must be a JSON list of data sources, like [{"type": "file/pickle", "access": "ret1_data.pkl"}].`, { source: where });
  if (parsed.length === 0) throw new DataSourceError(`${where} lists no data sources.`, { source: where });
  const base = path.dirname(path.resolve(file));
  return parsed.map((entry: unknown) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry as Record<string, unknown>;
    const e = entry as Record<string, unknown>;
    if (!PATH_TYPES.includes(String(e.type))) return e;
    const out = { ...e };
    if (typeof e.access === 'string' && e.access !== '') out.access = resolvePath(e.access, base);
    if (e.type === 'text/plain' && typeof e.access2 === 'string' && e.access2 !== '') out.access2 = resolvePath(e.access2, base);
    return out;
  });
}

/** The entry as stored in DataSource: every URL without its credentials. */
function storedEntry(entry: Record<string, unknown>): Record<string, unknown> {
  if (entry.type === 'text/json') return entry;
  return {
    ...entry,
    access: redactUrl(String(entry.access)),
    ...(typeof entry.access2 === 'string' ? { access2: redactUrl(entry.access2) } : {}),
  };
}

/**
 * Loads a manifest. Each source is read and checked, then loaded whole or not at all, in one
 * transaction: its DataSource row, Subjects, Sessions and every Stimulation (with its neurons and
 * spikes). A source that fails for any reason (bad data, a value the database refuses, a lost
 * connection) leaves no row behind and is reported with its reason; the other sources still load.
 * Loading the same manifest twice changes nothing. A source whose data changed since it was loaded
 * is reported, not mixed in. Finally, sessions registered by earlier versions but never populated
 * are populated, and any failure there is reported as well.
 *
 * @example
 * ```ts
 * const summary = await loadManifest(await readManifest('data/manifest.json'));
 * const ok = summary.sources.every((s) => s.status !== 'failed') && summary.populateErrors.length === 0;
 * ```
 */
export async function loadManifest(entries: ReadonlyArray<Record<string, unknown>>, options: LoadOptions = {}): Promise<LoadSummary> {
  // The movie worker thread takes a while to start (its modules load; under tsx, its loader too):
  // it starts now, while the tables are checked, rather than when the first pickle is opened.
  if (entries.some((e) => e !== null && typeof e === 'object' && e.type === 'file/pickle')) startSignThread();
  // Tables are created first: on MySQL a CREATE inside a source's transaction would commit it half-way.
  await pipeline.activate();
  const migratedIds = await migrateSourceIds();
  const outcomes: SourceOutcome[] = [];
  for (const [index, raw] of entries.entries()) {
    let name = `manifest entry ${index}`;
    try {
      const entry = checkEntry(raw, index);
      name = describeSource(entry);
      outcomes.push(await loadSource(entry, name, options));
    } catch (error) {
      const field = error instanceof DataSourceError ? error.field : undefined;
      const message = redactCredentials(error instanceof Error ? error.message : String(error));
      outcomes.push({ source: name, status: 'failed', sessions: 0, message, ...(field === undefined ? {} : { field }) });
    }
  }
  const result = await Stimulation.populate({ suppressErrors: true, display: options.display ?? false });
  const neurons = await Stimulation.Neuron.fetch('n_spikes', 'n_before_onset', 'n_after_movie');
  return {
    sources: outcomes,
    sessions: await Session.count(),
    stimulations: await Stimulation.count(),
    neurons: neurons.length,
    spikes: neurons.reduce((s, n) => s + n.n_spikes, 0),
    spikesBeforeOnset: neurons.reduce((s, n) => s + n.n_before_onset, 0),
    spikesAfterMovie: neurons.reduce((s, n) => s + n.n_after_movie, 0),
    populateErrors: result.errors.map((e) => ({ key: e.key, message: redactCredentials(e.error.message) })),
    migratedIds,
  };
}

/** One source, whole or not at all. */
async function loadSource(entry: Record<string, unknown>, name: string, options: LoadOptions): Promise<SourceOutcome> {
  const id = sourceId(entry);
  // A pickle's white-noise movies are packed on a worker thread: it starts while the file is read,
  // and takes each movie as soon as the read has gone past it. Not for a source loaded before,
  // which is not loaded again (unchanged, or refused as changed).
  const pack = entry.type === 'file/pickle' && !(await DataSource.restrict({ source_id: id }).exists());
  if (pack) startSignThread();
  const { dataset, checksum } = await readSource(entry, { ...(options.limits ? { limits: options.limits } : {}), ...(pack ? { onWhiteNoise: postSignJobEarly } : {}) });
  const known = await DataSource.restrict({ source_id: id }).fetch('checksum');
  if (known.length > 0) {
    if (known[0]!.checksum === checksum) return { source: name, status: 'unchanged', sessions: dataset.sessions.length };
    throw new DataSourceError(`${name} changed since it was loaded (checksum ${checksum.slice(0, 12)}… instead of ${known[0]!.checksum.slice(0, 12)}…). Its rows were not touched; delete the source's rows to load the new data.`, { source: name, field: 'checksum' });
  }
  const stored = storedEntry(entry);
  // Stimulation.make() rereads the source by its stored entry; this run already has it in memory.
  rememberSource(stored, { dataset, checksum, bytes: 0 });
  // The movies compress on the thread pool while the rows below are inserted.
  packMoviesAhead(dataset.sessions.flatMap((s) => s.stimulations.map((st) => st.movie)));
  const stimulation = tableInfo(Stimulation);
  try {
    await pipeline.transaction(async () => {
      await DataSource.insert1({
        source_id: id, source_type: String(entry.type),
        access: entry.type === 'text/json' ? `(inline, ${String(entry.access).length} characters)` : String(stored.access),
        entry: stored, checksum,
      });
      await Subject.insert([...new Set(dataset.sessions.map((s) => s.subject_name))].map((subject_name) => ({ subject_name })), { skipDuplicates: true });
      // Rows first, movies last: the movies are packed on the worker thread while the rows go in.
      await writeMoviesLast(async () => {
        for (const s of dataset.sessions) {
          const key = { subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date };
          const existing = await Session.restrict(key).fetch('source_id');
          if (existing.length > 0) {
            throw new DataSourceError(`${name}: session ${s.subject_name} #${s.sample_number} on ${s.session_date} was already loaded from source ${existing[0]!.source_id}.`, { source: name, field: 'sessions' });
          }
          await Session.insert1({ ...key, source_id: id, n_stimulations: s.stimulations.length });
          if (s.stimulations.length > 0) await runMake(Stimulation as never, stimulation, [key]);
        }
      });
    });
  } catch (error) {
    forgetSource(stored);
    throw error;
  }
  return { source: name, status: 'loaded', sessions: dataset.sessions.length };
}
