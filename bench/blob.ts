/**
 * Issue 4: blob codec throughput on a 100 MB float64 array (next to a plain Buffer.copy of the same
 * bytes), the compressed size of a ±1 movie of the real data's largest shape, and a 100 MB
 * insert1 + fetch1 round trip on MariaDB.
 */
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import mysql from 'mysql2/promise';
import ndarray from 'ndarray';
import pg from 'pg';
import { Connection, Manual, Schema, packBlob, unpackBlob } from '../src/index.js';
import { best, MYSQL_URL, PG_URL, printTable } from './util.js';

export async function run(): Promise<Array<Record<string, string | number>>> {
  const n = (100 * 1024 * 1024) / 8;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.sin(i) * 1000;
  const array = ndarray(values, [1024, 1280, 10], [1, 1024, 1024 * 1280]);
  const mb = values.byteLength / 1e6;
  const source = Buffer.from(values.buffer);
  const target = Buffer.allocUnsafe(source.length);
  const copy = await best(5, async () => { source.copy(target); });
  const freshCopy = await best(5, async () => { Buffer.from(source); });
  let packed = packBlob(array, { compress: false });
  const encode = await best(3, async () => { packed = packBlob(array, { compress: false }); });
  const decode = await best(5, async () => { unpackBlob(packed); });
  // fetch() owns the driver's buffer and decodes in place; give each run its own (warm) bytes.
  const warm = Array.from({ length: 5 }, () => Buffer.from(packed));
  let run = 0;
  const decodeInPlace = await best(5, async () => { unpackBlob(warm[run++]!, { inPlace: true }); });
  let compressed = packBlob(array);
  const encodeZ = await best(1, async () => { compressed = packBlob(array); });
  const decodeZ = await best(2, async () => { unpackBlob(compressed); });
  const rows: Array<Record<string, string | number>> = [
    { what: 'Buffer.copy of 100 MB into allocated memory (reference)', 'MB/s': mb / copy, 'bytes stored': source.length, 'vs copy': 1 },
    { what: 'Buffer.from of 100 MB: copy into fresh memory', 'MB/s': mb / freshCopy, 'bytes stored': source.length, 'vs copy': copy / freshCopy },
    { what: 'encode, uncompressed', 'MB/s': mb / encode, 'bytes stored': packed.length, 'vs copy': copy / encode },
    { what: 'decode, uncompressed (input kept: one copy)', 'MB/s': mb / decode, 'bytes stored': packed.length, 'vs copy': copy / decode },
    { what: 'decode, uncompressed, in place (as fetch does)', 'MB/s': mb / decodeInPlace, 'bytes stored': packed.length, 'vs copy': copy / decodeInPlace },
    { what: 'encode, zlib', 'MB/s': mb / encodeZ, 'bytes stored': compressed.length, 'vs copy': copy / encodeZ },
    { what: 'decode, zlib', 'MB/s': mb / decodeZ, 'bytes stored': compressed.length, 'vs copy': copy / decodeZ },
  ];
  // The real data's largest movie: 80 × 40 × 3854 frames of ±1.
  const frames = 80 * 40 * 3854;
  const movie = new Float64Array(frames);
  let seed = 1;
  for (let i = 0; i < frames; i++) movie[i] = ((seed = (seed * 1103515245 + 12345) % 2 ** 31) & 1024) ? 1 : -1;
  const movieArray = ndarray(movie, [80, 40, 3854], [1, 80, 3200]);
  let moviePacked = packBlob(movieArray);
  const movieEncode = await best(1, async () => { moviePacked = packBlob(movieArray); });
  const movieDecode = await best(2, async () => { unpackBlob(moviePacked); });
  rows.push({ what: `±1 movie 80×40×3854 (${(movie.byteLength / 1e6).toFixed(1)} MB) zlib encode`, 'MB/s': movie.byteLength / 1e6 / movieEncode, 'bytes stored': moviePacked.length, 'vs copy': movie.byteLength / moviePacked.length });
  rows.push({ what: '±1 movie zlib decode', 'MB/s': movie.byteLength / 1e6 / movieDecode, 'bytes stored': moviePacked.length, 'vs copy': 0 });
  // Blobs up to 4 MB are compressed by pako (C zlib's bytes, as DataJoint writes them); the cost
  // next to Node's zlib on the same 4 MB of smooth floats.
  const small = ndarray(values.subarray(0, (4 << 20) / 8 - 16), [(4 << 20) / 8 - 16]);
  const smallMb = small.data.byteLength / 1e6;
  const smallPako = await best(3, async () => { packBlob(small); });
  const smallRaw = packBlob(small, { compress: false });
  const smallNode = await best(3, async () => { deflateSync(smallRaw, { level: 6 }); });
  rows.push({ what: '4 MB float64, zlib encode (pako: the bytes DataJoint writes)', 'MB/s': smallMb / smallPako, 'bytes stored': packBlob(small).length, 'vs copy': copy / smallPako / (mb / smallMb) });
  rows.push({ what: "4 MB float64, Node's zlib deflate of the same bytes (reference)", 'MB/s': smallMb / smallNode, 'bytes stored': deflateSync(smallRaw, { level: 6 }).length + 14, 'vs copy': copy / smallNode / (mb / smallMb) });
  // 100 MB through a table on MariaDB.
  const { insert, fetch } = await tableRoundTrip(MYSQL_URL, 'rgb_blob', array, values);
  const url = new URL(MYSQL_URL);
  const raw = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await raw.query('CREATE TABLE rgb_blob.raw_big (id int NOT NULL PRIMARY KEY, data longblob NOT NULL) ENGINE=InnoDB');
  let rawId = 0;
  const rawInsert = await best(2, async () => { await raw.execute('INSERT INTO rgb_blob.raw_big VALUES (?, ?)', [rawId++, packed]); });
  const rawFetch = await best(2, async () => { await raw.execute('SELECT data FROM rgb_blob.raw_big WHERE id = 0'); });
  await raw.end();
  rows.push({ what: 'raw mysql2 execute INSERT of the same 100 MB (reference)', 'MB/s': mb / rawInsert, 'bytes stored': packed.length, 'vs copy': rawInsert });
  rows.push({ what: 'raw mysql2 execute SELECT of it (reference)', 'MB/s': mb / rawFetch, 'bytes stored': packed.length, 'vs copy': rawFetch });
  rows.push({ what: 'MariaDB insert1 of 100 MB float64', 'MB/s': mb / insert, 'bytes stored': compressed.length, 'vs copy': insert });
  rows.push({ what: 'MariaDB fetch1 of it (with decode)', 'MB/s': mb / fetch, 'bytes stored': compressed.length, 'vs copy': fetch });
  rows.push({ what: 'MariaDB round trip, seconds (DataJoint 0.14: ~11 s)', 'MB/s': 0, 'bytes stored': 0, 'vs copy': insert + fetch });
  await new Schema('rgb_blob', { connection: MYSQL_URL }).drop({ force: true });
  rows.push(...(await postgres(array, packed, values)));
  await Connection.closeAll();
  return rows;
}

/** insert1 and fetch1 of the 100 MB array through a table of schema `name` (left in place), best of two each. */
async function tableRoundTrip(url: string, name: string, array: ndarray.NdArray<Float64Array>, values: Float64Array): Promise<{ insert: number; fetch: number }> {
  const schema = new Schema(name, { connection: url });
  @schema class Big extends Manual<{ id: number; data: unknown }> {
    static override definition = 'id: int\n---\ndata: longblob';
  }
  await schema.drop({ force: true });
  await schema.activate();
  let id = 0;
  const insert = await best(2, async () => { await Big.insert1({ id: id++, data: array }); });
  let back: unknown;
  const fetch = await best(2, async () => { back = (await Big.restrict({ id: 0 }).fetch1()).data; });
  if ((back as ndarray.NdArray<Float64Array>).data[12345] !== values[12345]) throw new Error('round trip changed the data');
  return { insert, fetch };
}

/**
 * The peak resident memory (MB) of a child process that fetches row 0 of rgb_blob_pg.big, through
 * rg-schema or raw pg: pg reads every field as text, so bytea arrives as hex (twice the bytes) and
 * becomes a Buffer; rg-schema adds no copy of its own (the blob is decoded in place).
 */
function fetchPeakMb(how: 'rg-schema' | 'pg'): number {
  const script = how === 'pg'
    ? `import pg from 'pg'; const c = new pg.Client({ connectionString: process.env.PG_URL }); await c.connect();
       const r = await c.query('SELECT data FROM rgb_blob_pg.raw_big WHERE id = 0'); if (r.rows[0].data.length < 1e8) throw new Error('short'); await c.end();`
    : `import { Manual, Schema, Connection } from './src/index.js'; const schema = new Schema('rgb_blob_pg', { connection: process.env.PG_URL });
       class Big extends Manual { static definition = 'id: int\\n---\\ndata: longblob'; } schema.declare(Big);
       const row = await Big.restrict({ id: 0 }).fetch1(); if (row.data.data.length < 1e7) throw new Error('short'); await Connection.closeAll();`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `${script}\nconsole.log(process.resourceUsage().maxRSS);`], { env: { ...process.env, PG_URL }, encoding: 'utf8' });
  return Number(out.trim().split('\n').pop()) / 1024;
}

/** 100 MB through a table on PostgreSQL, next to raw pg doing the same (a bound Buffer in, a SELECT out). */
async function postgres(array: ndarray.NdArray<Float64Array>, packed: Uint8Array, values: Float64Array): Promise<Array<Record<string, string | number>>> {
  const mb = values.byteLength / 1e6;
  const { insert, fetch } = await tableRoundTrip(PG_URL, 'rgb_blob_pg', array, values);
  const raw = new pg.Client({ connectionString: PG_URL });
  await raw.connect();
  await raw.query('CREATE TABLE rgb_blob_pg.raw_big (id integer NOT NULL PRIMARY KEY, data bytea NOT NULL)');
  let rawId = 0;
  const rawInsert = await best(2, async () => { await raw.query('INSERT INTO rgb_blob_pg.raw_big VALUES ($1, $2)', [rawId++, Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength)]); });
  const rawFetch = await best(2, async () => { await raw.query('SELECT data FROM rgb_blob_pg.raw_big WHERE id = 0'); });
  await raw.end();
  const peakOurs = fetchPeakMb('rg-schema');
  const peakRaw = fetchPeakMb('pg');
  await new Schema('rgb_blob_pg', { connection: PG_URL }).drop({ force: true });
  return [
    { what: 'raw pg INSERT of the same 100 MB, bound as binary (reference)', 'MB/s': mb / rawInsert, 'bytes stored': packed.length, 'vs copy': rawInsert },
    { what: 'raw pg SELECT of it (hex text → Buffer) (reference)', 'MB/s': mb / rawFetch, 'bytes stored': packed.length, 'vs copy': rawFetch },
    { what: 'PostgreSQL insert1 of 100 MB float64', 'MB/s': mb / insert, 'bytes stored': packed.length, 'vs copy': insert },
    { what: 'PostgreSQL fetch1 of it (with decode)', 'MB/s': mb / fetch, 'bytes stored': packed.length, 'vs copy': fetch },
    { what: 'PostgreSQL round trip, seconds', 'MB/s': 0, 'bytes stored': 0, 'vs copy': insert + fetch },
    { what: 'PostgreSQL fetch1 peak RSS of a fresh process, MB (rg-schema)', 'MB/s': 0, 'bytes stored': 0, 'vs copy': peakOurs },
    { what: 'PostgreSQL SELECT peak RSS of a fresh process, MB (raw pg)', 'MB/s': 0, 'bytes stored': 0, 'vs copy': peakRaw },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('Blob codec (vs copy: speed relative to Buffer.copy into allocated memory; for the movie, the compression ratio; for MariaDB rows, seconds)', await run());
