/**
 * The hostile corpus: every case must give one clear error naming what is wrong, and leave no row
 * behind. test/fixtures/hostile/cases/ holds the committed cases (make-corpus.py writes them);
 * the ones a repository cannot hold (FIFOs, sparse files, servers, unreadable files) are made here.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, openSync, ftruncateSync, closeSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Connection, DataSourceError, InvalidValueError } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { httpGet } from '../../src/tables/sources/http-get.js';
import { DEFAULT_LIMITS } from '../../src/tables/sources/limits.js';
import { streamSpaces } from '../fixtures/endless-server.js';
import { dialects } from '../setup/dialects.js';

const CASES = path.resolve('test/fixtures/hostile/cases');
const cases = readdirSync(CASES).sort();

afterAll(() => Connection.closeAll());

async function counts(): Promise<number[]> {
  return Promise.all([rgc.Subject, rgc.DataSource, rgc.Session, rgc.Stimulation, rgc.Neuron, rgc.Spike].map((t) => t.count()));
}

/** Loads one manifest file; returns the single failure's message (a manifest-level error counts). */
async function failureOf(manifest: string, limits = {}): Promise<{ message: string; field?: string; status: string }> {
  let entries;
  try {
    entries = await rgc.readManifest(manifest, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(DataSourceError);
    return { message: (error as Error).message, status: 'failed' };
  }
  const summary = await rgc.loadManifest(entries, { limits });
  expect(summary.sources).toHaveLength(1);
  const [outcome] = summary.sources;
  return { message: outcome!.message ?? '', status: outcome!.status, ...(outcome!.field === undefined ? {} : { field: outcome!.field }) };
}

function manifestFor(dir: string, entry: Record<string, unknown>): string {
  const file = path.join(dir, 'manifest.json');
  writeFileSync(file, JSON.stringify([entry]));
  return file;
}

const goodSession = { subject_name: 'G', sample_number: 1, session_date: '2020-01-01', stimulations: [{
  fps: 60, n_frames: 4, pixel_size: 8.3, stim_height: 10, stim_width: 10, stimulus_onset: 0.01, x_block_size: 5, y_block_size: 10,
  movie: [[[1, -1, 1, -1]], [[-1, 1, -1, 1]]], spikes: [[0.02, 0.03], [0.04]],
}] };

describe.each(dialects)('hostile sources on $name', (dialect) => {
  beforeAll(async () => {
    rgc.pipeline.configure({ connection: dialect.url('hostile'), prefix: `rgt_hostile_${dialect.name}_` });
    await rgc.pipeline.drop({ force: true });
    await rgc.pipeline.activate();
  });

  it.each(cases)('%s: one clear error, no rows', async (name) => {
    const expected = JSON.parse(readFileSync(path.join(CASES, name, 'expect.json'), 'utf8')) as { error: string; field?: string };
    const outcome = await failureOf(path.join(CASES, name, 'manifest.json'));
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(new RegExp(expected.error));
    if (expected.field !== undefined) expect(outcome.field).toBe(expected.field);
    expect(await counts()).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('refuses FIFOs without blocking, and huge or sparse files before reading them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-hostile-'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.pkl')]);
    expect((await failureOf(manifestFor(dir, { type: 'file/pickle', access: 'fifo.pkl' }))).message).toMatch(/fifo\.pkl is a FIFO \(named pipe\)/);
    const sparse = path.join(dir, 'sparse.pkl');
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, 3 * 2 ** 30);
    closeSync(fd);
    expect((await failureOf(manifestFor(dir, { type: 'file/pickle', access: 'sparse.pkl' }))).message).toMatch(/sparse\.pkl is 3\.0 GiB, more than the 1\.0 GiB a source may be/);
    expect((await failureOf(manifestFor(dir, { type: 'file/pickle', access: 'sparse.pkl', max_bytes: 1000 }))).message).toMatch(/more than the 1000 B a source may be/);
    expect(await counts()).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('names an unreadable file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-hostile-'));
    writeFileSync(path.join(dir, 'secret.json'), '[]');
    chmodSync(path.join(dir, 'secret.json'), 0);
    const entry = { type: 'file/json', access: 'secret.json' };
    if (process.getuid?.() !== 0) {
      expect((await failureOf(manifestFor(dir, entry))).message).toMatch(/secret\.json \(EACCES: permission denied\)/);
      return;
    }
    // Root reads files of any mode, so the read runs as nobody (the folder must let nobody in).
    chmodSync(dir, 0o755);
    const tsx = path.resolve('node_modules/tsx/dist/loader.mjs');
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', pathToFileURL(tsx).href,
      path.resolve('test/fixtures/read-source-as.ts'), JSON.stringify(entry), dir], { encoding: 'utf8', env: { ...process.env, TSX_DISABLE_CACHE: '1', HOME: dir } });
    expect(out).toMatch(/secret\.json \(EACCES: permission denied\)/);
  });

  it('resolves text/plain paths against the manifest, never the working directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-hostile-'));
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'spikes.txt'), '20000 0\n');
    writeFileSync(path.join(dir, 'data', 'trace.txt'), '1\n-1\n1\n-1\n');
    // A decoy with the same name where the process runs: reading it would load 2 neurons.
    const decoyCwd = mkdtempSync(path.join(tmpdir(), 'rg-cwd-'));
    writeFileSync(path.join(decoyCwd, 'spikes.txt'), '20000 0\n30000 1\n');
    const entry = { type: 'text/plain', access: 'spikes.txt', access2: 'missing-trace.txt', columns: [{ role: 'spike_time', unit: 'us' }, { role: 'neuron' }],
      stimulus_columns: [{ role: 'stimulus', sample_rate: 20000 }], session: { subject_name: 'P', sample_number: 1, session_date: '2021-01-01' }, stimulation: { stimulus_onset: 0 } };
    const cwd = process.cwd();
    process.chdir(decoyCwd);
    try {
      const failed = await failureOf(manifestFor(path.join(dir, 'data'), entry));
      expect(failed.message).toContain(`cannot read ${path.join(dir, 'data', 'missing-trace.txt')} (ENOENT`);
      const summary = await rgc.loadManifest(await rgc.readManifest(manifestFor(path.join(dir, 'data'), { ...entry, access2: 'trace.txt' })));
      expect(summary.sources[0]!.status).toBe('loaded');
      expect(await rgc.Neuron.count()).toBe(1);
    } finally {
      process.chdir(cwd);
      await rgc.pipeline.drop({ force: true });
      await rgc.pipeline.activate();
    }
  });

  describe('http/json', () => {
    let server: Server;
    let base = '';
    const sent = { bytes: 0 };
    const seenAuth: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        seenAuth.push(req.headers.authorization ?? '');
        if (req.url === '/slow') return; // never answers
        if (req.url === '/announced') {
          res.writeHead(200, { 'content-length': String(5 * 2 ** 30) });
          res.write('[');
          return;
        }
        if (req.url === '/endless') {
          // 2 GB as fast as the client reads: the reader must stop at its cap.
          streamSpaces(res, 2 * 2 ** 30, sent);
          return;
        }
        if (req.url === '/redirect') { res.writeHead(302, { location: '/data.json' }); res.end(); return; }
        if (req.url === '/data.json') { res.end(JSON.stringify([goodSession])); return; }
        res.statusCode = 404;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => { server.closeAllConnections(); server.close(); });

    it('gives up on a server that never answers, after its total timeout', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'rg-hostile-'));
      expect((await failureOf(manifestFor(dir, { type: 'http/json', access: `${base}/slow`, timeout: 0.5 }))).message).toMatch(/no complete answer within 0\.5 s/);
    });

    it('refuses an announced 5 GiB body before reading it, and cuts off an endless one at the cap', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'rg-hostile-'));
      expect((await failureOf(manifestFor(dir, { type: 'http/json', access: `${base}/announced` }))).message).toMatch(/announces 5\.0 GiB, more than the 1\.0 GiB/);
      sent.bytes = 0;
      const cap = 64 * 2 ** 20;
      expect((await failureOf(manifestFor(dir, { type: 'http/json', access: `${base}/endless`, max_bytes: cap }))).message).toMatch(/passed 64\.0 MiB, the most a source may be/);
      // The server stops being read once the cap is passed: far less than its 2 GB went out.
      await new Promise((r) => setTimeout(r, 200));
      expect(sent.bytes).toBeLessThan(cap + 64 * 2 ** 20);
    });

    it('sends URL credentials as Basic auth, follows redirects, and never prints the password', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'rg-hostile-'));
      const access = `http://reader:pa%40ss:w0rd@127.0.0.1:${new URL(base).port}/redirect`;
      const missing = await failureOf(manifestFor(dir, { type: 'http/json', access: access.replace('/redirect', '/missing.json') }));
      expect(missing.message).toMatch(/http:\/\/reader@127\.0\.0\.1:\d+\/missing\.json: the server answered 404/);
      expect(missing.message).not.toMatch(/pa%40ss|w0rd|pa@ss/);
      const summary = await rgc.loadManifest(await rgc.readManifest(manifestFor(dir, { type: 'http/json', access })));
      expect(summary.sources[0]!.status).toBe('loaded');
      expect(seenAuth.at(-2)).toBe(`Basic ${Buffer.from('reader:pa@ss:w0rd').toString('base64')}`);
      const [stored] = await rgc.DataSource.fetch();
      expect(JSON.stringify(stored)).not.toMatch(/w0rd|pa%40ss/);
      // The id is the id of the source without its password.
      expect(stored!.source_id).toBe(rgc.sourceId({ type: 'http/json', access: access.replace('reader:pa%40ss:w0rd@', 'reader@') }));
      await rgc.pipeline.drop({ force: true });
      await rgc.pipeline.activate();
    });
  });

  it('loads a source whole or not at all: a failure inside Stimulation leaves no Subject, Session or DataSource row', async () => {
    const first = { type: 'text/json', access: JSON.stringify([goodSession]) };
    const second = { type: 'text/json', access: JSON.stringify([{ ...goodSession, subject_name: 'N', sample_number: 2 }, goodSession]) };
    const summary = await rgc.loadManifest([first, second]);
    expect(summary.sources.map((s) => s.status)).toEqual(['loaded', 'failed']);
    expect(summary.sources[1]!.message).toMatch(/session G #1 on 2020-01-01 was already loaded from source/);
    // N's session, its Stimulation and spikes were written before the failure, and rolled back.
    expect(await rgc.Subject.restrict({ subject_name: 'N' }).count()).toBe(0);
    expect(await counts()).toEqual([1, 1, 1, 1, 2, 3]);
    // An error that is no data-source error (here: the database refusing the spikes) fails that
    // source only; the next source still loads and the summary is returned.
    const third = { type: 'text/json', access: JSON.stringify([{ ...goodSession, subject_name: 'K' }]) };
    const fourth = { type: 'text/json', access: JSON.stringify([{ ...goodSession, subject_name: 'L' }]) };
    const spy = vi.spyOn(rgc.Spike, 'insert').mockRejectedValueOnce(new TypeError('the database refused a spike'));
    const next = await rgc.loadManifest([third, fourth]);
    spy.mockRestore();
    expect(next.sources.map((s) => [s.status, s.message])).toEqual([['failed', 'the database refused a spike'], ['unchanged', undefined]].slice(0, 1).concat([['loaded', undefined]]));
    expect(await rgc.Subject.restrict({ subject_name: 'K' }).count()).toBe(0);
    expect(await rgc.Session.restrict({ subject_name: 'K' }).count()).toBe(0);
    expect(await rgc.Subject.restrict({ subject_name: 'L' }).count()).toBe(1);
    // Movies are written last (after every row of the source): a movie that cannot be written fails the source whole too.
    const fifth = { type: 'text/json', access: JSON.stringify([{ ...goodSession, subject_name: 'M' }]) };
    const write = vi.spyOn(rgc.Stimulation, 'update1').mockRejectedValueOnce(new TypeError('the database refused a movie'));
    const last = await rgc.loadManifest([fifth]);
    expect(write).toHaveBeenCalledTimes(1);
    write.mockRestore();
    expect(last.sources.map((s) => [s.status, s.message])).toEqual([['failed', 'the database refused a movie']]);
    for (const table of [rgc.Subject, rgc.Session, rgc.Stimulation, rgc.Neuron, rgc.Spike]) expect(await table.restrict({ subject_name: 'M' }).count()).toBe(0);
    await rgc.pipeline.drop({ force: true });
    await rgc.pipeline.activate();
  });

  it('refuses n_lags of 0 at the door, naming the field', async () => {
    await expect(rgc.StaParams.insert1({ n_lags: 0 })).rejects.toThrow(InvalidValueError);
    await expect(rgc.StaParams.insert1({ n_lags: 0 })).rejects.toThrow(/StaParams\.n_lags must be a whole number of frames, 1 or more/);
    await expect(rgc.StaParams.insert1({ n_lags: 2.5 })).rejects.toThrow(/n_lags/);
    expect((await rgc.StaParams.fetch('n_lags')).map((r) => r.n_lags).sort((a, b) => a - b)).toEqual([5, 10, 20]);
  });
});

describe('httpGet bounds', () => {
  it('gives up connecting after connect_timeout when resolving hangs', async () => {
    const limits = { ...DEFAULT_LIMITS, connectTimeoutMs: 300 };
    await expect(httpGet('http://hangs.invalid/data.json', limits, 'http/json test', { lookup: () => undefined })).rejects.toThrow(/could not connect within 0\.3 s/);
  });
});
