import type { Connection as MysqlConnection } from 'mysql2/promise';
import ndarray from 'ndarray';
import { DataSourceError } from '../../errors.js';
import { unpackBlob } from '../../schema/blob/unpack.js';
import { sourcePassword } from '../../schema/connection/secrets.js';
import { formatBytes, type SourceLimits } from './limits.js';
import { checkShape } from './shape.js';

/**
 * `database/mysql`: the same three tables as `file/csv`, read from another MySQL/MariaDB database.
 * `access` is `mysql://user:password@host:port/database` (without a password, RG_SOURCE_PASSWORD
 * supplies it); `tables` names the sessions, stimulations and spikes tables, and `columns` maps
 * our column names to theirs where they differ. A stimulation's `movie` column holds a DataJoint
 * blob, or raw little-endian float64 in column-major order with `x_blocks` and `y_blocks` columns.
 * The source's size is checked before its rows are fetched, against `max_bytes`.
 */
export async function readMysqlSource(entry: Record<string, unknown>, limits: SourceLimits): Promise<{ value: unknown; bytes: Buffer[] }> {
  let url: URL;
  try {
    url = new URL(String(entry.access));
  } catch {
    throw new DataSourceError('database/mysql: access must be mysql://user:password@host:3306/database.', { field: 'access' });
  }
  const name = `database/mysql ${url.protocol}//${url.username}@${url.host}${url.pathname}`;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '') throw new DataSourceError(`${name}: the URL names no database (mysql://user@host:3306/database).`, { source: name, field: 'access' });
  const mapping = (field: string, value: unknown): Record<string, string> => {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string' || v === '')) {
      throw new DataSourceError(`${name}: "${field}" must map names to names, e.g. {"sessions": "sess"}.`, { source: name, field });
    }
    return value as Record<string, string>;
  };
  const tables = { sessions: 'sessions', stimulations: 'stimulations', spikes: 'spikes', ...mapping('tables', entry.tables) } as Record<string, string>;
  const renames = mapping('columns', entry.columns);
  const col = (ours: string): string => `\`${(renames[ours] ?? ours).replace(/`/g, '``')}\``;
  const table = (which: string): string => `\`${database.replace(/`/g, '``')}\`.\`${(tables[which] ?? which).replace(/`/g, '``')}\``;
  // Loaded here, not with the module: every process that imports the pipeline (populate workers
  // among them) would otherwise pay for the driver at start-up.
  const { default: mysql } = await import('mysql2/promise');
  let connection: MysqlConnection;
  try {
    connection = await mysql.createConnection({
      host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username) || 'root',
      password: url.password ? decodeURIComponent(url.password) : (sourcePassword() ?? ''), dateStrings: true,
      connectTimeout: limits.connectTimeoutMs,
    });
  } catch (cause) {
    // The driver's message names the user and host, never the password.
    throw new DataSourceError(`${name}: cannot connect (${(cause as Error).message}).`, { source: name, field: 'access', cause });
  }
  const select = async (which: string, sql: string): Promise<Array<Record<string, unknown>>> => {
    try {
      const [rows] = await connection.query({ sql, timeout: limits.timeoutMs });
      return rows as Array<Record<string, unknown>>;
    } catch (cause) {
      throw new DataSourceError(`${name}: cannot read ${table(which)} (${(cause as Error).message}).`, { source: name, field: `tables.${which}`, cause });
    }
  };
  const columns = (names: string[]): string => names.map((c) => `${col(c)} AS \`${c}\``).join(', ');
  try {
    const [size] = await select('stimulations', `SELECT COALESCE(SUM(OCTET_LENGTH(${col('movie')})), 0) AS movies, (SELECT COUNT(*) FROM ${table('spikes')}) AS spikes FROM ${table('stimulations')}`);
    const estimate = Number(size?.movies ?? 0) + Number(size?.spikes ?? 0) * 64;
    if (estimate > limits.maxBytes) {
      throw new DataSourceError(`${name}: holds about ${formatBytes(estimate)} (movies and spikes), more than the ${formatBytes(limits.maxBytes)} a source may be (raise "max_bytes" in the manifest entry, or --max-bytes).`, { source: name, field: 'max_bytes' });
    }
    const key = ['subject_name', 'sample_number', 'session_date'];
    const sessions = await select('sessions', `SELECT ${columns(key)} FROM ${table('sessions')}`);
    const stimulations = await select('stimulations', `SELECT ${columns([...key, 'stimulation_index', 'fps', 'n_frames', 'pixel_size', 'stim_height', 'stim_width', 'stimulus_onset', 'x_block_size', 'y_block_size', 'x_blocks', 'y_blocks', 'movie'])} FROM ${table('stimulations')}`);
    const spikes = await select('spikes', `SELECT ${columns([...key, 'stimulation_index', 'neuron_index', 'spike_time'])} FROM ${table('spikes')}`);
    const id = (r: Record<string, unknown>): string => key.map((k) => String(r[k])).join('|');
    const bytes: Buffer[] = [Buffer.from(JSON.stringify([sessions, stimulations.map((s) => ({ ...s, movie: undefined })), spikes]))];
    const sessionIds = new Set(sessions.map(id));
    const orphan = stimulations.find((st) => !sessionIds.has(id(st)));
    if (orphan) throw new DataSourceError(`${name}: ${table('stimulations')} has a stimulation of ${id(orphan)}, a session ${table('sessions')} does not list.`, { source: name, field: 'tables.stimulations' });
    const value = sessions.map((s) => {
      const stims = stimulations.filter((st) => id(st) === id(s)).sort((a, b) => Number(a.stimulation_index) - Number(b.stimulation_index));
      stims.forEach((st, i) => {
        if (Number(st.stimulation_index) !== i) throw new DataSourceError(`${name}: the stimulations of ${id(s)} are numbered ${stims.map((x) => String(x.stimulation_index)).join(', ')}; they must be 0, 1, 2, … once each.`, { source: name, field: 'stimulation_index' });
      });
      return {
        subject_name: s.subject_name, sample_number: Number(s.sample_number), session_date: String(s.session_date).slice(0, 10),
        stimulations: stims.map((st) => {
          const raw = st.movie as Buffer;
          if (!Buffer.isBuffer(raw)) throw new DataSourceError(`${name}: the movie of stimulation ${String(st.stimulation_index)} of ${id(s)} is not binary data.`, { source: name, field: 'movie' });
          bytes.push(raw);
          const head = raw.subarray(0, 6).toString('latin1');
          if (head === 'ZL123\0' && raw.length >= 14 && Number(raw.readBigUInt64LE(6)) > limits.maxBytes) {
            throw new DataSourceError(`${name}: the movie of stimulation ${String(st.stimulation_index)} of ${id(s)} inflates to ${formatBytes(Number(raw.readBigUInt64LE(6)))}, more than the ${formatBytes(limits.maxBytes)} a source may be.`, { source: name, field: 'movie' });
          }
          let movie: unknown;
          if (head.startsWith('mYm') || head.startsWith('dj0') || head === 'ZL123\0') {
            try {
              movie = unpackBlob(raw);
            } catch (cause) {
              throw new DataSourceError(`${name}: the movie of stimulation ${String(st.stimulation_index)} of ${id(s)} is not a readable DataJoint blob (${(cause as Error).message}).`, { source: name, field: 'movie', cause });
            }
          } else {
            const shape = checkShape(`${name}: the movie of stimulation ${String(st.stimulation_index)} of ${id(s)}`, [Number(st.x_blocks), Number(st.y_blocks), Number(st.n_frames)], Math.floor(raw.length / 8));
            if (raw.length !== shape[0]! * shape[1]! * shape[2]! * 8) throw new DataSourceError(`${name}: the raw movie of stimulation ${String(st.stimulation_index)} of ${id(s)} has ${raw.length} bytes, not 8 × ${shape.join(' × ')}.`, { source: name, field: 'movie' });
            movie = ndarray(new Float64Array(Uint8Array.from(raw).buffer), shape, [1, shape[0]!, shape[0]! * shape[1]!]);
          }
          const neurons: number[][] = [];
          for (const sp of spikes) {
            if (id(sp) !== id(st) || Number(sp.stimulation_index) !== Number(st.stimulation_index)) continue;
            const n = Number(sp.neuron_index);
            if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new DataSourceError(`${name}: a spike of ${id(s)} has neuron_index ${String(sp.neuron_index)}; neurons are numbered 0 … 65535.`, { source: name, field: 'neuron_index' });
            (neurons[n] ??= []).push(Number(sp.spike_time));
          }
          return {
            fps: Number(st.fps), n_frames: Number(st.n_frames), pixel_size: Number(st.pixel_size), stim_height: Number(st.stim_height),
            stim_width: Number(st.stim_width), stimulus_onset: Number(st.stimulus_onset), x_block_size: Number(st.x_block_size),
            y_block_size: Number(st.y_block_size), movie, spikes: Array.from({ length: neurons.length }, (_, n) => neurons[n] ?? []),
          };
        }),
      };
    });
    const known = new Set(stimulations.map((st) => `${id(st)}|${Number(st.stimulation_index)}`));
    const stray = spikes.find((sp) => !known.has(`${id(sp)}|${Number(sp.stimulation_index)}`));
    if (stray) throw new DataSourceError(`${name}: ${table('spikes')} has spikes of stimulation ${String(stray.stimulation_index)} of ${id(stray)}, which ${table('stimulations')} does not list.`, { source: name, field: 'tables.spikes' });
    return { value, bytes };
  } finally {
    await connection.end();
  }
}
