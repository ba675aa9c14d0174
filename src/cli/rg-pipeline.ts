#!/usr/bin/env node
/**
 * rg-pipeline: builds, loads, populates and inspects the retinal ganglion cell pipeline on the
 * embedded SQLite default or a MySQL/MariaDB server; compatible with the original rg_pipeline's
 * options (-c, -db/-u/-p, -t as `check`).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { redactCredentials } from '../redact.js';
import { acceptSeedFlags, connectionOptions, withConnectionOptions, type ConnectionFlags } from './connection-options.js';
import { Diagram } from '../erd/diagram.js';
import { writeDiagram } from '../erd/write.js';
import * as rgc from '../pipeline.js';
import { pipelineCheck, pipelineStatus } from './pipeline-report.js';
import { addWorkerCommand, autoTablesOf } from './worker-command.js';
import { importModule } from './import-module.js';
import { tableInfo } from '../schema/declare/table-info.js';
import { schemaExists } from '../schema/declare/schema-presence.js';
import { fleetStatus, type FleetHostStatus } from '../schema/populate/fleet-status.js';
import { newProgram, positiveNumber, runProgram, UsageError, wholeNumber } from './program.js';
import type { WorkersStart } from '../schema/populate/worker-starts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pipelineModule = path.join(here, import.meta.url.endsWith('.ts') ? '../pipeline.ts' : '../pipeline.js');

type GlobalOptions = ConnectionFlags;

/**
 * Applies -c / --db -u -p to the pipeline schema; otherwise the environment or the default. The
 * password stays in this process: worker processes receive the connection over IPC, not through
 * their environment.
 */
let connectionSettings: Awaited<ReturnType<typeof connectionOptions>> = {};

async function connect(options: GlobalOptions): Promise<void> {
  const settings = await connectionOptions(options);
  connectionSettings = settings;
  if (Object.keys(settings).length > 0) rgc.pipeline.configure(settings);
}

const AUTO_TABLES: Record<string, { populate(o?: object): Promise<{ successCount: number; errors: ReadonlyArray<{ key: object; error: Error }>; workersStarted?: number }> }> = {
  Stimulation: rgc.Stimulation as never,
  SpikeTriggeredAverage: rgc.SpikeTriggeredAverage as never,
};

/** JSON for scripts: 64-bit integers as numbers when exact, else as strings. */
function printJson(value: unknown): void {
  console.log(JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v), 2));
}

/** Workers by host, one line each, with their last sign of life and the keys they hold. */
function printWorkers(hosts: readonly FleetHostStatus[]): void {
  if (hosts.length === 0) return console.log('workers: none running');
  console.log('workers:');
  for (const { host, workers } of hosts) {
    for (const w of workers) {
      const life = w.lastSeen === undefined ? 'no heartbeat (populate --reserve-jobs, or a DataJoint worker)' : `last seen ${w.silentFor!.toFixed(1)} s ago (${w.lastSeen}), ${w.keysDone} key${w.keysDone === 1 ? '' : 's'} done`;
      console.log(`  ${host.padEnd(20)} pid ${String(w.pid).padEnd(8)} ${life}, ${w.keysHeld} key${w.keysHeld === 1 ? '' : 's'} held`);
    }
  }
}

async function moduleStatus(file: string, json: boolean | undefined): Promise<void> {
  const module = await importModule(file);
  const tables = autoTablesOf(module);
  if (Object.keys(tables).length === 0) throw new UsageError(`--module ${file} exports no Imported or Computed table.`);
  const infos = Object.values(tables).map((t) => tableInfo(t));
  for (const schema of new Set(infos.map((i) => i.schema))) schema.configure({ ...connectionSettings, createTables: false });
  const report = { tables: [] as Array<{ table: string; populated: { done: number; total: number } }>, workers: [] as FleetHostStatus[] };
  for (const [name, cls] of Object.entries(tables)) {
    if (!(await schemaExists(tableInfo(cls).schema))) continue;
    const { remaining, total } = await (cls as unknown as { progress(): Promise<{ remaining: number; total: number }> }).progress();
    report.tables.push({ table: name, populated: { done: total - remaining, total } });
  }
  report.workers = await fleetStatus(Object.values(tables));
  if (json) return printJson(report);
  for (const t of report.tables) console.log(`${t.table.padEnd(22)} populated ${t.populated.done}/${t.populated.total} keys`);
  printWorkers(report.workers);
}

async function status(options: { json?: boolean; module?: string }): Promise<void> {
  if (options.module !== undefined) return moduleStatus(options.module, options.json);
  const report = await pipelineStatus();
  if (options.json) return printJson(report);
  console.log(`database: ${report.database} (schema ${report.schema})`);
  if (!report.exists) {
    console.log('nothing loaded yet: the pipeline\'s tables do not exist there (rg-pipeline load <manifest> creates them)');
    return;
  }
  for (const t of report.tables) {
    const line = `${t.table.padEnd(22)} ${String(t.rows).padStart(8)} rows`;
    console.log(t.populated ? `${line}   populated ${t.populated.done}/${t.populated.total} keys` : line);
  }
  printWorkers(report.workers);
}

async function check(options: { json?: boolean }): Promise<void> {
  const report = await pipelineCheck();
  if (!report.ok) process.exitCode = 1;
  if (options.json) return printJson(report);
  console.log(report.connected ? `connected: ${report.database}` : `no database file yet: ${report.database}`);
  if (!report.exists) {
    console.log(`nothing to check: schema ${report.schema} does not exist yet (rg-pipeline load <manifest> creates it)`);
    return;
  }
  if (report.tablesMatch) console.log(`tables match their declarations in ${report.schema}`);
  for (const p of report.problems) console.log(`${p.kind}: ${p.message}`);
  if (report.unpopulatedSessions > 0) console.log(`${report.unpopulatedSessions} sessions have stimulations that are not populated yet (rg-pipeline populate)`);
  console.log(report.ok ? 'check passed' : `check found ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`);
}

/** How many processes made the keys, and why not more when fewer than asked. */
function processesMessage(started: number, workers: number, workersStart: WorkersStart): string {
  const processes = `${started + 1} ${started === 0 ? 'process' : 'processes'}`;
  if (started + 1 >= workers || workersStart === 'all') return processes;
  return `${processes} of at most ${workers}: more were started only while a core was idle and the keys left paid for a start; --workers-start all starts them all`;
}

/** True when the table computes outside its transaction (DataJoint's three-part make). */
function computesOutsideTransaction(table: unknown): boolean {
  const proto = (table as { prototype?: Record<string, unknown> }).prototype;
  return typeof proto?.makeCompute === 'function';
}

interface PopulateCommandOptions {
  readonly reserveJobs?: boolean;
  readonly workers?: number;
  readonly workersStart?: WorkersStart;
  readonly display?: boolean;
}

async function populate(table: string | undefined, options: PopulateCommandOptions): Promise<boolean> {
  const names = table ? [table] : Object.keys(AUTO_TABLES);
  let ok = true;
  for (const name of names) {
    const target = AUTO_TABLES[name];
    if (!target) throw new UsageError(`"${name}" is not an auto-populated table of the pipeline; choose ${Object.keys(AUTO_TABLES).join(' or ')}.`);
    const workers = options.workers ?? 1;
    const workersStart = options.workersStart ?? 'idle-cores';
    if (workers > 1 && workersStart === 'all' && !rgc.pipeline.connection.dialect.concurrent && !computesOutsideTransaction(target)) {
      // Measured: 531 STA keys took two to three times as long with --workers 2 or 4 as in one process.
      console.error(`rg-pipeline: note: on SQLite the ${workers} worker processes' writes take turns on the database's only write lock (their make() computations run at the same time) and each adds its start-up; for quick keys one process (the default) is usually faster for ${name}. Workers pay for slow keys, or on a MySQL/MariaDB or PostgreSQL server (--db); see the README, "When worker processes pay".`);
    }
    const result = await target.populate({
      reserveJobs: options.reserveJobs ?? workers > 1, suppressErrors: true, display: options.display ?? true,
      ...(workers > 1 ? { workers, workersStart, workerModule: { path: pipelineModule, exportName: name } } : {}),
    });
    const started = result.workersStarted === undefined ? '' : ` (${processesMessage(result.workersStarted, workers, workersStart)})`;
    console.log(`${name}: ${result.successCount} keys populated${result.errors.length ? `, ${result.errors.length} failed` : ''}${started}`);
    for (const e of result.errors.slice(0, 10)) console.log(`  ${JSON.stringify(e.key)}: ${redactCredentials(e.error.message)}`);
    if (result.errors.length > 0) ok = false;
  }
  return ok;
}

function printSummary(summary: rgc.LoadSummary): void {
  if (summary.migratedIds > 0) console.log(`renamed ${summary.migratedIds} DataSource ids that were derived from a password (see the README, "Data sources")`);
  for (const s of summary.sources) {
    console.log(`${s.status.padEnd(9)} ${s.source}${s.status === 'failed' ? `\n          ${s.message}` : ` (${s.sessions} sessions)`}`);
  }
  console.log(`sessions ${summary.sessions}, stimulations ${summary.stimulations}, neurons ${summary.neurons}, spikes ${summary.spikes}`
    + ` (${summary.spikesBeforeOnset} before the stimulus onset, ${summary.spikesAfterMovie} after the movie)`);
  for (const e of summary.populateErrors) console.log(`  not loaded ${JSON.stringify(e.key)}: ${e.message}`);
}

const inventoryPath = path.join(here, '../../data/ret1-inventory.json');

async function synth(dir: string, options: { scale: number; seed: number; format: rgc.DatasetFormat }): Promise<string> {
  const inventory = JSON.parse(readFileSync(inventoryPath, 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale: options.scale, seed: options.seed });
  const manifest = await rgc.writeDataset(dataset, dir, options.format);
  const spikes = dataset.sessions.flatMap((s) => s.stimulations.flatMap((st) => st.spikes)).reduce((n, a) => n + a.length, 0);
  console.log(`wrote ${manifest}: ${dataset.sessions.length} sessions, ${spikes} spikes (scale ${options.scale}, seed ${options.seed})`);
  return manifest;
}

const program = withConnectionOptions(newProgram('rg-pipeline', 'The retinal ganglion cell pipeline: load recordings from a manifest, populate spike-triggered averages, inspect.'));

program.hook('preAction', () => connect(program.opts<GlobalOptions>()));

program.command('build').description('declare every table (creates the database and tables that are missing)').action(async () => {
  await rgc.pipeline.activate();
  console.log(`declared ${(await rgc.pipeline.listTables()).length} tables in ${rgc.pipeline.database} on ${rgc.pipeline.connection.display}`);
});

program.command('clean').description('drop every table of the pipeline (asks first, unless --yes)').option('--yes', 'drop without asking (needed when there is no terminal to ask on)')
  .action(async (options: { yes?: boolean }) => {
    const what = `every table of ${rgc.pipeline.database} on ${rgc.pipeline.connection.display}`;
    if (!options.yes) {
      if (!process.stdin.isTTY) throw new UsageError(`refusing to drop ${what} without asking, and there is no terminal to ask on. Pass --yes to drop without asking.`);
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(`Drop ${what}? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return console.log('nothing dropped');
    }
    await rgc.pipeline.drop({ force: true });
    console.log(`dropped ${rgc.pipeline.database}`);
  });

program.command('load').description('load the data sources of a manifest; each loads whole or not at all, and the exit code is 1 if any did not')
  .argument('<manifest>', 'a JSON list of {type, access, access2}')
  .option('--max-bytes <n>', `largest source in bytes (default ${rgc.DEFAULT_LIMITS.maxBytes})`, wholeNumber('--max-bytes', 1))
  .option('--timeout <s>', `http/json: seconds for a whole request (default ${rgc.DEFAULT_LIMITS.timeoutMs / 1000})`, positiveNumber('--timeout'))
  .option('--connect-timeout <s>', `http/json: seconds to connect (default ${rgc.DEFAULT_LIMITS.connectTimeoutMs / 1000})`, positiveNumber('--connect-timeout'))
  .option('--json', 'print the summary as JSON (no progress bar)')
  .action(async (manifest: string, options: { maxBytes?: number; timeout?: number; connectTimeout?: number; json?: boolean }) => {
    const limits = {
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout * 1000 }),
      ...(options.connectTimeout === undefined ? {} : { connectTimeoutMs: options.connectTimeout * 1000 }),
    };
    const summary = await rgc.loadManifest(await rgc.readManifest(manifest, limits), { display: !options.json, limits });
    if (options.json) printJson(summary);
    else printSummary(summary);
    if (summary.sources.some((s) => s.status === 'failed') || summary.populateErrors.length > 0) process.exitCode = 1;
  });

program.command('populate').description('populate auto-populated tables (all of them, in dependency order, by default)')
  .argument('[table]', 'Stimulation or SpikeTriggeredAverage')
  .option('--reserve-jobs', 'coordinate with other workers, here or on other machines, through the jobs tables')
  .option('--workers <n>', 'local workers, at most: this process and up to n - 1 worker processes (see --workers-start)', wholeNumber('--workers', 1), 1)
  .addOption(new Option('--workers-start <when>', 'idle-cores: a worker process per idle core, a second apart, while the keys left pay for a start; all: every one at once (on SQLite their writes take turns)').choices(['idle-cores', 'all']).default('idle-cores'))
  .option('--no-display', 'no progress bar')
  .action(async (table: string | undefined, options: PopulateCommandOptions) => {
    if (!(await populate(table, options))) process.exitCode = 1;
  });

addWorkerCommand(program, { defaultTables: AUTO_TABLES as never, settings: () => connectionSettings });

program.command('status').description('row counts, populate progress per table, and workers by host with their last sign of life (reads only: creates nothing)')
  .option('--module <path>', 'report on the auto-populated tables a module exports (progress and workers) instead of the pipeline')
  .option('--json', 'print the report as JSON').action(status);

program.command('erd').description('write the ERD (.svg, .dot or .mmd; rg-erd draws other schemas)').argument('<file>').action(async (file: string) => {
  if (!/\.(svg|dot|gv|mmd)$/i.test(file)) throw new UsageError(`Cannot tell the format of "${file}": name it .svg, .dot or .mmd.`);
  const diagram = Diagram.of(rgc.pipeline);
  await writeDiagram(diagram, file);
  console.log(`wrote ${file}`);
});

program.command('check').description("connectivity, declarations and source checksums (reads only); compatible with the original rg_pipeline's -t")
  .option('--json', 'print the report as JSON').action(check);

program.command('synth').description('write a synthetic dataset with the real one\'s structure, and its manifest').argument('<dir>')
  .option('--scale <s>', 'movie length and spike counts relative to the real data (1 = full size)', positiveNumber('--scale'), 0.05)
  .option('--seed <n>', 'random seed', wholeNumber('--seed', 0), 1)
  .addOption(new Option('--format <f>', 'the data file: a numpy pickle like the original ret1_data.pkl, or JSON').choices(['pickle', 'json']).default('pickle'))
  .action(async (dir: string, options: { scale: number; seed: number; format: rgc.DatasetFormat }) => { await synth(dir, options); });

program.command('demo').description('generate a small dataset, load it, populate everything, summarise, and write the ERD')
  .option('--dir <dir>', 'where to write the dataset and the ERD', 'rg-demo')
  .option('--scale <s>', 'dataset scale (1 = the real data\'s size)', positiveNumber('--scale'), 0.05)
  .action(async (options: { dir: string; scale: number }) => {
    const started = Date.now();
    await mkdir(options.dir, { recursive: true });
    console.log(`database: ${rgc.pipeline.connection.display}`);
    const manifest = await synth(options.dir, { scale: options.scale, seed: 1, format: 'pickle' });
    printSummary(await rgc.loadManifest(await rgc.readManifest(manifest), { display: true }));
    await populate('SpikeTriggeredAverage', { display: true });
    const best = await rgc.SpikeTriggeredAverage.restrict({ n_lags: 10 } as never).orderBy('n_used DESC').limit(3)
      .fetch('subject_name', 'sample_number', 'neuron_index', 'n_used', 'peak_lag', 'peak_x', 'peak_y', 'peak_value');
    console.log('strongest STAs (10 lags):');
    for (const r of best) console.log(`  ${r.subject_name} #${r.sample_number} neuron ${r.neuron_index}: ${r.n_used} spikes, peak ${Number(r.peak_value).toFixed(2)} at lag ${r.peak_lag}, block (${r.peak_x}, ${r.peak_y})`);
    const erd = path.join(options.dir, 'erd.svg');
    await writeDiagram(Diagram.of(rgc.pipeline), erd);
    console.log(`wrote ${erd}; done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

const commands = program.commands.map((c) => c.name());
await runProgram(program, acceptSeedFlags(process.argv.slice(2), commands));
