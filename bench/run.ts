/**
 * `npm run bench`: runs every benchmark (or those named on the command line) and prints a table
 * each. Needs MariaDB at RG_BENCH_MYSQL_URL (default mysql://root:@127.0.0.1:3306).
 */
import { printTable } from './util.js';

const suites: Record<string, { title: string; load: () => Promise<{ run(): Promise<Array<Record<string, string | number>>> }> }> = {
  'insert-fetch': { title: 'Insert and fetch, 100,000 small rows (ratio = rg-schema speed / raw driver speed; goal ≥ 0.5)', load: () => import('./insert-fetch.js') },
  blob: { title: 'Blob codec (vs copy: relative to Buffer.copy into allocated memory; movie: compression ratio; MariaDB rows: seconds)', load: () => import('./blob.js') },
  populate: { title: 'populate() with a make that fetches its parent and inserts, 2000 keys, like DataJoint\'s (goal: ≥ 3× DataJoint 0.14)', load: () => import('./populate.js') },
  sta: { title: 'STA kernel, all 177 neurons of the full-size set, beside numpy in the same run (best / median; goal ≥ 3× numpy frame by frame)', load: () => import('./sta.js') },
  'jobs-workers': { title: 'N worker processes through the jobs table: 5 ms CPU per key 1 vs 2 workers (goal ≥ 1.7×), trivial make 1/2/4/8 (goal: 8 never slower than 1), DB cost per key', load: () => import('./jobs-workers.js') },
  fleet: { title: 'The fleet worker (rg-pipeline worker) until done over a trivial make, 500 and 4,000 keys: keys/s and cost per key (flat as the queue grows)', load: () => import('./fleet.js') },
  'populate-workers': { title: 'populate --workers N: 531 STA keys at scale 0.02 and at full size on SQLite, MariaDB and PostgreSQL, from the built package (when worker processes pay)', load: () => import('./populate-workers.js') },
  'query-scale': { title: 'Query paths at scale: streaming, semijoin count, insert of 10M rows and fetch of 1M rows (memory in child processes)', load: () => import('./query-scale.js') },
  hostile: { title: 'A 2 GB http/json answer against the size cap (the reader stops at the cap; its memory stays near it)', load: () => import('./hostile.js') },
  pipeline: { title: 'RGC pipeline at full size: parse, load (time and peak RSS, in child processes), the STA kernel, populate (best / median of runs)', load: () => import('./pipeline.js') },
  visual: { title: 'rg-visual at full size, server in its own process (goals: warm p99 < 20 ms; cold stimulation < 1.5 s; memory < cache bound + 200 MB)', load: () => import('./visual.js') },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const [name, suite] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const { run } = await suite.load();
  printTable(`${name}: ${suite.title}`, await run());
}
