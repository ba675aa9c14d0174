import mysql from 'mysql2/promise';
import ndarray from 'ndarray';
import { DataSourceError } from '../../errors.js';
import { unpackBlob } from '../../schema/blob/unpack.js';

/**
 * `database/mysql`: the same three tables as `file/csv`, read from another MySQL/MariaDB database.
 * `access` is `mysql://user:password@host:port/database` (without a password, RG_SOURCE_PASSWORD
 * supplies it); `tables` names the sessions, stimulations and spikes tables, and `columns` maps
 * our column names to theirs where they differ. A stimulation's `movie` column holds a DataJoint
 * blob, or raw little-endian float64 in column-major order with `x_blocks` and `y_blocks` columns.
 */
export async function readMysqlSource(entry: Record<string, unknown>): Promise<{ value: unknown; bytes: Buffer[] }> {
  let url: URL;
  try {
    url = new URL(String(entry.access));
  } catch {
    throw new DataSourceError('database/mysql: access must be mysql://user:password@host:3306/database.', { field: 'access' });
  }
  const name = `database/mysql ${url.protocol}//${url.username}@${url.host}${url.pathname}`;
  const database = url.pathname.replace(/^\//, '');
  const tables = { sessions: 'sessions', stimulations: 'stimulations', spikes: 'spikes', ...(entry.tables as object ?? {}) } as Record<string, string>;
  const renames = (entry.columns ?? {}) as Record<string, string>;
  const col = (ours: string): string => `\`${(renames[ours] ?? ours).replace(/`/g, '``')}\``;
  const table = (which: string): string => `\`${database.replace(/`/g, '``')}\`.\`${(tables[which] ?? which).replace(/`/g, '``')}\``;
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username) || 'root',
      password: url.password ? decodeURIComponent(url.password) : (process.env.RG_SOURCE_PASSWORD ?? ''), dateStrings: true,
    });
  } catch (cause) {
    // The driver's message names the user and host, never the password.
    throw new DataSourceError(`${name}: cannot connect (${(cause as Error).message}).`, { source: name, field: 'access', cause });
  }
  const select = async (which: string, columns: string[]): Promise<Array<Record<string, unknown>>> => {
    try {
      const [rows] = await connection.query(`SELECT ${columns.map((c) => `${col(c)} AS \`${c}\``).join(', ')} FROM ${table(which)}`);
      return rows as Array<Record<string, unknown>>;
    } catch (cause) {
      throw new DataSourceError(`${name}: cannot read ${table(which)} (${(cause as Error).message}).`, { source: name, field: `tables.${which}`, cause });
    }
  };
  try {
    const key = ['subject_name', 'sample_number', 'session_date'];
    const sessions = await select('sessions', key);
    const stimulations = await select('stimulations', [...key, 'stimulation_index', 'fps', 'n_frames', 'pixel_size', 'stim_height', 'stim_width', 'stimulus_onset', 'x_block_size', 'y_block_size', 'x_blocks', 'y_blocks', 'movie']);
    const spikes = await select('spikes', [...key, 'stimulation_index', 'neuron_index', 'spike_time']);
    const id = (r: Record<string, unknown>): string => key.map((k) => String(r[k])).join('|');
    const bytes: Buffer[] = [Buffer.from(JSON.stringify([sessions, stimulations.map((s) => ({ ...s, movie: undefined })), spikes]))];
    const value = sessions.map((s) => ({
      subject_name: s.subject_name, sample_number: Number(s.sample_number), session_date: String(s.session_date).slice(0, 10),
      stimulations: stimulations.filter((st) => id(st) === id(s)).sort((a, b) => Number(a.stimulation_index) - Number(b.stimulation_index)).map((st) => {
        const raw = st.movie as Buffer;
        bytes.push(raw);
        const head = raw.subarray(0, 6).toString('latin1');
        const movie = head.startsWith('mYm') || head.startsWith('dj0') || head === 'ZL123\0'
          ? unpackBlob(raw)
          : ndarray(new Float64Array(Uint8Array.from(raw).buffer), [Number(st.x_blocks), Number(st.y_blocks), Number(st.n_frames)], [1, Number(st.x_blocks), Number(st.x_blocks) * Number(st.y_blocks)]);
        const neurons: number[][] = [];
        for (const sp of spikes) {
          if (id(sp) !== id(st) || Number(sp.stimulation_index) !== Number(st.stimulation_index)) continue;
          (neurons[Number(sp.neuron_index)] ??= []).push(Number(sp.spike_time));
        }
        return {
          fps: Number(st.fps), n_frames: Number(st.n_frames), pixel_size: Number(st.pixel_size), stim_height: Number(st.stim_height),
          stim_width: Number(st.stim_width), stimulus_onset: Number(st.stimulus_onset), x_block_size: Number(st.x_block_size),
          y_block_size: Number(st.y_block_size), movie, spikes: Array.from({ length: neurons.length }, (_, n) => neurons[n] ?? []),
        };
      }),
    }));
    return { value, bytes };
  } finally {
    await connection.end();
  }
}
