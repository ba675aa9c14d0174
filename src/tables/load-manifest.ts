import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataSourceError } from '../errors.js';
import { DataSource } from './data-source.js';
import { Session } from './session.js';
import { checkEntry, describeSource, readSource, rememberSource, sourceId } from './sources/read-source.js';
import { Stimulation } from './stimulation.js';
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
}

/** Removes a password from a URL-like access string before it is stored or printed. */
export function withoutPassword(access: string): string {
  return access.replace(/^([a-z0-9+]+:\/\/[^:/@]+):[^@/]*@/i, '$1@');
}

/** Reads a manifest file: a JSON list of `{type, access, access2, ...}`. */
export async function readManifest(file: string): Promise<Array<Record<string, unknown>>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new DataSourceError(`Cannot read the manifest ${file}: ${(cause as Error).message}`, { source: file, cause });
  }
  if (!Array.isArray(parsed)) throw new DataSourceError(`The manifest ${file} must be a JSON list of data sources.`, { source: file });
  const base = path.dirname(path.resolve(file));
  // Relative paths are relative to the manifest, and stored absolute so populate can reread them.
  return parsed.map((entry: unknown) => {
    if (entry !== null && typeof entry === 'object' && typeof (entry as Record<string, unknown>).type === 'string'
      && String((entry as Record<string, unknown>).type).startsWith('file/') && typeof (entry as Record<string, unknown>).access === 'string') {
      const access = (entry as Record<string, unknown>).access as string;
      return { ...(entry as object), access: path.isAbsolute(access) ? access : path.join(base, access) };
    }
    return entry as Record<string, unknown>;
  });
}

/**
 * Loads a manifest: each source is read and checked, then registered (DataSource, Subject, Session)
 * in one transaction; then Stimulation.populate() reads the movies, neurons and spikes. Loading the
 * same manifest twice changes nothing. A source whose data changed since it was loaded is reported,
 * not mixed in. A bad source is reported with its field and reason, and nothing of it is inserted;
 * the other sources still load.
 */
export async function loadManifest(entries: ReadonlyArray<Record<string, unknown>>, options: { display?: boolean } = {}): Promise<LoadSummary> {
  const outcomes: SourceOutcome[] = [];
  for (const [index, raw] of entries.entries()) {
    let name = `manifest entry ${index}`;
    try {
      const entry = checkEntry(raw, index);
      name = withoutPassword(describeSource(entry));
      const id = sourceId(entry);
      const { dataset, checksum } = await readSource(entry);
      const known = await DataSource.restrict({ source_id: id }).fetch('checksum');
      if (known.length > 0) {
        if (known[0]!.checksum === checksum) {
          outcomes.push({ source: name, status: 'unchanged', sessions: dataset.sessions.length });
          continue;
        }
        throw new DataSourceError(`${name} changed since it was loaded (checksum ${checksum.slice(0, 12)}… instead of ${known[0]!.checksum.slice(0, 12)}…). Its rows were not touched; delete the source's rows to load the new data.`, { source: name, field: 'checksum' });
      }
      const stored = { ...entry, access: entry.type === 'text/json' ? entry.access : withoutPassword(String(entry.access)) };
      // populate() rereads the source by its stored entry; this run already has it in memory.
      rememberSource(stored, { dataset, checksum, bytes: 0 });
      await DataSource.query().connection.transaction(async () => {
        await DataSource.insert1({
          source_id: id, source_type: String(entry.type),
          access: entry.type === 'text/json' ? `(inline, ${String(entry.access).length} characters)` : withoutPassword(String(entry.access)),
          entry: stored, checksum,
        });
        await Subject.insert([...new Set(dataset.sessions.map((s) => s.subject_name))].map((subject_name) => ({ subject_name })), { skipDuplicates: true });
        for (const s of dataset.sessions) {
          const key = { subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date };
          const existing = await Session.restrict(key).fetch('source_id');
          if (existing.length > 0) {
            throw new DataSourceError(`${name}: session ${s.subject_name} #${s.sample_number} on ${s.session_date} was already loaded from source ${existing[0]!.source_id}.`, { source: name, field: 'sessions' });
          }
          await Session.insert1({ ...key, source_id: id, n_stimulations: s.stimulations.length });
        }
      });
      outcomes.push({ source: name, status: 'loaded', sessions: dataset.sessions.length });
    } catch (error) {
      if (!(error instanceof DataSourceError)) throw error;
      outcomes.push({ source: name, status: 'failed', sessions: 0, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) });
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
    populateErrors: result.errors.map((e) => ({ key: e.key, message: e.error.message })),
  };
}
