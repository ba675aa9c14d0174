#!/usr/bin/env node
/**
 * rg-pipeline: the seed's command line in TypeScript. Builds, loads, populates and inspects the
 * RGC pipeline on the embedded SQLite default or a MySQL/MariaDB server.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { InterruptedError } from '../errors.js';
import { Connection } from '../schema/connection/connection.js';
import { redactCredentials } from '../schema/util/redact.js';
import { PASSWORD_VARIABLES, promptForBarePassword, readPassword } from './password.js';
import { Diagram } from '../erd/diagram.js';
import { writeDiagram } from '../erd/write.js';
import * as rgc from '../pipeline.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pipelineModule = path.join(here, import.meta.url.endsWith('.ts') ? '../pipeline.ts' : '../pipeline.js');

interface GlobalOptions { config?: string; db?: string; user?: string; password?: string; passwordPrompt?: boolean; prefix?: string }

/** The password from -p VALUE, a prompt (-p alone), or the environment; undefined when none is given. */
async function password(options: GlobalOptions): Promise<string | undefined> {
  if (options.password !== undefined) return options.password;
  if (options.passwordPrompt) return readPassword(`Password for ${options.user ?? 'root'}@${options.db ?? 'the database'}: `);
  for (const name of PASSWORD_VARIABLES) if (process.env[name] !== undefined) return process.env[name];
  return undefined;
}

/**
 * Applies -c / --db -u -p to the pipeline schema; otherwise the environment or the default. The
 * password stays in this process: worker processes receive the connection over IPC, not through
 * their environment.
 */
async function connect(options: GlobalOptions): Promise<void> {
  const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
  if (options.db) {
    let url = options.db;
    const given = await password(options);
    if (!url.includes('://')) {
      url = `mysql://${encodeURIComponent(options.user ?? process.env.DJ_USER ?? 'root')}:${encodeURIComponent(given ?? '')}@${url}`;
    } else if (given !== undefined && /^mysql|^mariadb/i.test(url)) {
      const parsed = new URL(url);
      if (parsed.password === '') {
        if (options.user) parsed.username = encodeURIComponent(options.user);
        parsed.password = encodeURIComponent(given);
        url = parsed.toString();
      }
    }
    rgc.pipeline.configure({ connection: url, ...prefix });
  } else if (options.config) {
    rgc.pipeline.configure({ configFile: options.config, ...prefix });
  } else if (options.prefix !== undefined) {
    rgc.pipeline.configure(prefix);
  }
}

const AUTO_TABLES: Record<string, { populate(o?: object): Promise<{ successCount: number; errors: ReadonlyArray<{ key: object; error: Error }> }> }> = {
  Stimulation: rgc.Stimulation as never,
  SpikeTriggeredAverage: rgc.SpikeTriggeredAverage as never,
};

async function status(): Promise<void> {
  await rgc.pipeline.activate();
  console.log(`database: ${rgc.pipeline.connection.display} (schema ${rgc.pipeline.database})`);
  const tables: Array<[string, { count(): Promise<number> }]> = [
    ['Subject', rgc.Subject], ['DataSource', rgc.DataSource], ['Session', rgc.Session], ['Stimulation', rgc.Stimulation],
    ['Neuron', rgc.Neuron], ['Spike', rgc.Spike], ['StaParams', rgc.StaParams], ['SpikeTriggeredAverage', rgc.SpikeTriggeredAverage],
  ];
  for (const [name, table] of tables) {
    const line = `${name.padEnd(22)} ${String(await table.count()).padStart(8)} rows`;
    const auto = name === 'Stimulation' ? rgc.Stimulation : name === 'SpikeTriggeredAverage' ? rgc.SpikeTriggeredAverage : undefined;
    if (auto) {
      const { remaining, total } = await (auto as unknown as { progress(): Promise<{ remaining: number; total: number }> }).progress();
      console.log(`${line}   populated ${total - remaining}/${total} keys`);
    } else console.log(line);
  }
}

async function populate(table: string | undefined, options: { reserveJobs?: boolean; workers?: string; display?: boolean }): Promise<boolean> {
  const names = table ? [table] : Object.keys(AUTO_TABLES);
  let ok = true;
  for (const name of names) {
    const target = AUTO_TABLES[name];
    if (!target) throw new Error(`"${name}" is not an auto-populated table; choose ${Object.keys(AUTO_TABLES).join(' or ')}.`);
    const workers = Number(options.workers ?? 1);
    const result = await target.populate({
      reserveJobs: options.reserveJobs ?? workers > 1, suppressErrors: true, display: options.display ?? true,
      ...(workers > 1 ? { workers, workerModule: { path: pipelineModule, exportName: name } } : {}),
    });
    console.log(`${name}: ${result.successCount} keys populated${result.errors.length ? `, ${result.errors.length} failed` : ''}`);
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

async function synth(dir: string, options: { scale: string; seed: string; format: string }): Promise<string> {
  const inventory = JSON.parse(readFileSync(inventoryPath, 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale: Number(options.scale), seed: Number(options.seed) });
  const manifest = await rgc.writeDataset(dataset, dir, options.format === 'json' ? 'json' : 'pickle');
  const spikes = dataset.sessions.flatMap((s) => s.stimulations.flatMap((st) => st.spikes)).reduce((n, a) => n + a.length, 0);
  console.log(`wrote ${manifest}: ${dataset.sessions.length} sessions, ${spikes} spikes (scale ${options.scale}, seed ${options.seed})`);
  return manifest;
}

const program = new Command('rg-pipeline')
  .description('The retinal ganglion cell pipeline: load recordings from a manifest, populate spike-triggered averages, inspect.')
  .option('-c, --config <ini>', "a config.ini ([DEFAULT] database/user/pwd), as the seed's -c")
  .option('--db <host|url>', 'a MySQL/MariaDB host (with -u/-p) or a connection URL; default: environment, config.ini, then ./rg-data/rg.sqlite')
  .option('-u, --user <name>', 'MySQL user (with --db host)')
  .option('-p, --password <password>', 'MySQL password (with --db); -p alone asks for it without echo; RG_DB_PASSWORD or DJ_PASS also give it')
  .addOption(new Option('--password-prompt').hideHelp())
  .option('--prefix <prefix>', 'database name prefix (default: DJ_DATABASE_PREFIX, RG_DB_PREFIX)');

program.hook('preAction', () => connect(program.opts<GlobalOptions>()));

program.command('build').description('declare every table').action(async () => {
  await rgc.pipeline.activate();
  console.log(`declared ${(await rgc.pipeline.listTables()).length} tables in ${rgc.pipeline.database} on ${rgc.pipeline.connection.display}`);
});

program.command('clean').description('drop every table of the pipeline').option('--yes', 'do not ask').action(async (options: { yes?: boolean }) => {
  if (!options.yes) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Drop every table of ${rgc.pipeline.database} on ${rgc.pipeline.connection.display}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) return console.log('nothing dropped');
  }
  await rgc.pipeline.drop({ force: true });
  console.log(`dropped ${rgc.pipeline.database}`);
});

program.command('load').description('load the data sources of a manifest; each loads whole or not at all, and the exit code is 1 if any did not')
  .argument('<manifest>', 'a JSON list of {type, access, access2}')
  .option('--max-bytes <n>', `largest source in bytes (default ${rgc.DEFAULT_LIMITS.maxBytes})`)
  .option('--timeout <s>', `http/json: seconds for a whole request (default ${rgc.DEFAULT_LIMITS.timeoutMs / 1000})`)
  .option('--connect-timeout <s>', `http/json: seconds to connect (default ${rgc.DEFAULT_LIMITS.connectTimeoutMs / 1000})`)
  .action(async (manifest: string, options: { maxBytes?: string; timeout?: string; connectTimeout?: string }) => {
    const positive = (text: string | undefined, flag: string): number | undefined => {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, got "${text}".`);
      return n;
    };
    const maxBytes = positive(options.maxBytes, '--max-bytes');
    const timeout = positive(options.timeout, '--timeout');
    const connectTimeout = positive(options.connectTimeout, '--connect-timeout');
    const limits = {
      ...(maxBytes === undefined ? {} : { maxBytes: Math.floor(maxBytes) }),
      ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
      ...(connectTimeout === undefined ? {} : { connectTimeoutMs: connectTimeout * 1000 }),
    };
    const summary = await rgc.loadManifest(await rgc.readManifest(manifest, limits), { display: true, limits });
    printSummary(summary);
    if (summary.sources.some((s) => s.status === 'failed') || summary.populateErrors.length > 0) process.exitCode = 1;
  });

program.command('populate').description('populate auto-populated tables (all of them, in dependency order, by default)')
  .argument('[table]', 'Stimulation or SpikeTriggeredAverage')
  .option('--reserve-jobs', 'coordinate with other workers through the jobs tables')
  .option('--workers <n>', 'local worker processes', '1')
  .option('--no-display', 'no progress bar')
  .action(async (table: string | undefined, options: { reserveJobs?: boolean; workers?: string; display?: boolean }) => {
    if (!(await populate(table, options))) process.exitCode = 1;
  });

program.command('status').description('row counts and populate progress per table').action(status);

program.command('erd').description('write the ERD (.svg, .dot or .mmd)').argument('<file>').action(async (file: string) => {
  const diagram = Diagram.of(rgc.pipeline);
  await writeDiagram(diagram, file);
  console.log(`wrote ${file}`);
});

program.command('check').description("connectivity and integrity (the seed's -t)").action(async () => {
  const connection = rgc.pipeline.connection;
  await connection.query('SELECT 1 AS ok');
  console.log(`connected: ${connection.display}`);
  await rgc.pipeline.activate();
  console.log(`tables match their declarations in ${rgc.pipeline.database}`);
  let problems = 0;
  for (const source of await rgc.DataSource.fetch()) {
    try {
      const { checksum } = await rgc.readSource(source.entry as Record<string, unknown>);
      if (checksum !== source.checksum) {
        problems++;
        console.log(`changed: ${source.access} no longer has the checksum it was loaded with`);
      }
    } catch (error) {
      problems++;
      console.log(`unreadable: ${source.access}: ${(error as Error).message}`);
    }
  }
  const unloaded = await rgc.Session.restrict('n_stimulations > 0').exclude(rgc.Stimulation).count();
  if (unloaded > 0) console.log(`${unloaded} sessions have stimulations that are not populated yet (rg-pipeline populate)`);
  console.log(problems === 0 ? 'check passed' : `check found ${problems} problems`);
  if (problems > 0) process.exitCode = 1;
});

program.command('synth').description('write a synthetic dataset with the real one\'s structure, and its manifest').argument('<dir>')
  .option('--scale <s>', 'movie length and spike counts relative to the real data', '0.05')
  .option('--seed <n>', 'random seed', '1')
  .option('--format <f>', 'pickle or json', 'pickle')
  .action(async (dir: string, options: { scale: string; seed: string; format: string }) => { await synth(dir, options); });

program.command('demo').description('generate a small dataset, load it, populate everything, summarise, and write the ERD')
  .option('--dir <dir>', 'where to write the dataset and the ERD', 'rg-demo')
  .option('--scale <s>', 'dataset scale', '0.05')
  .action(async (options: { dir: string; scale: string }) => {
    const started = Date.now();
    await mkdir(options.dir, { recursive: true });
    console.log(`database: ${rgc.pipeline.connection.display}`);
    const manifest = await synth(options.dir, { scale: options.scale, seed: '1', format: 'pickle' });
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
try {
  await program.parseAsync(promptForBarePassword(process.argv.slice(2), commands), { from: 'user' });
} catch (error) {
  console.error(`rg-pipeline: ${redactCredentials((error as Error).message ?? String(error))}`);
  process.exitCode = error instanceof InterruptedError ? 130 : 1;
} finally {
  await Connection.closeAll();
}
