/**
 * `rg-pipeline worker`: one long-running populate worker per process, for fleets started by
 * SLURM job arrays, Kubernetes Jobs or systemd on many hosts around one database server.
 */
import type { Command } from 'commander';
import type { ConnectionOptions } from '../schema/connection/config.js';
import { Schema } from '../schema/declare/schema.js';
import { findTableInfo } from '../schema/declare/table-info.js';
import { startFleetWorker, type FleetEvent } from '../schema/populate/fleet-worker.js';
import type { TableClass } from '../schema/table/table.js';
import { redactCredentials } from '../redact.js';
import { importModule } from './import-module.js';
import { positiveNumber, UsageError, wholeNumber } from './program.js';

/** The command line's options. */
interface WorkerFlags {
  table: string[];
  module?: string;
  maxKeys?: number;
  maxTime?: number;
  untilDone?: boolean;
  idleMax: number;
  staleAfter?: number;
  heartbeat?: number;
  json?: boolean;
}

/** What the worker command needs from its program: the default tables and the connection settings asked for. */
export interface WorkerCommandContext {
  /** The auto-populated tables of the pipeline, by class name (used without --module). */
  readonly defaultTables: Readonly<Record<string, TableClass>>;
  /** The connection settings from -c / --db / -u / -p (empty when none were given). */
  readonly settings: () => Pick<ConnectionOptions, 'connection' | 'configFile' | 'prefix'>;
}

/** The auto-populated tables a module exports, by class name. */
export function autoTablesOf(module: Record<string, unknown>): Record<string, TableClass> {
  const found: Record<string, TableClass> = {};
  for (const value of Object.values(module)) {
    if (typeof value !== 'function') continue;
    const info = findTableInfo(value);
    if (info && (info.tier === 'imported' || info.tier === 'computed')) found[info.className] = value as unknown as TableClass;
  }
  return found;
}

const bigintSafe = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

function describe(event: FleetEvent): string | undefined {
  switch (event.event) {
    case 'start': return `worker ${event.worker} on ${event.tables.join(', ')} (stale after ${event.staleAfter} s, heartbeat every ${event.heartbeat} s)`;
    case 'key': {
      if (event.outcome === 'done') return undefined;
      const what = { conflict: 'lock conflict, put back to pending', lost: 'reservation taken away while make ran, rolled back', error: `failed: ${event.message ?? ''}` }[event.outcome];
      return `${event.table} ${JSON.stringify(event.key, bigintSafe)}: ${what}`;
    }
    case 'swept': return `gave back ${event.keys} keys of worker ${event.worker} (silent for ${event.silentFor} s; ${event.sessions} sessions ended)`;
    case 'stop': return `stopped (${event.reason}): ${event.keys} keys, ${event.errors} failed`;
    default: return undefined;
  }
}

/**
 * Adds `worker` to a program.
 *
 * @example
 * ```ts
 * addWorkerCommand(program, { defaultTables: { SpikeTriggeredAverage }, settings: () => ({}) });
 * // rg-pipeline worker --table SpikeTriggeredAverage --max-time 3600 --json
 * ```
 */
export function addWorkerCommand(program: Command, context: WorkerCommandContext): Command {
  return program.command('worker')
    .description('a long-running worker: populates every auto-populated table in dependency order with reserved jobs, claiming keys in the jobs order, until stopped (SIGTERM: after the key in hand; a second signal gives it back)')
    .option('--table <name>', 'only this table (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--module <path>', 'a module (.js, or .ts with tsx installed) exporting your tables; default: the RGC pipeline')
    .option('--max-keys <n>', 'stop after this many keys', wholeNumber('--max-keys', 1))
    .option('--max-time <s>', 'stop taking keys after this many seconds', positiveNumber('--max-time'))
    .option('--until-done', 'exit when no key is left to make (or held by another worker)')
    .option('--idle-max <s>', 'longest sleep while nothing is left (it doubles from 0.5 s)', positiveNumber('--idle-max'), 60)
    .option('--stale-after <s>', 'seconds of silence after which a worker\'s keys are given back (default: RG_WORKER_STALE_AFTER, datajoint.json jobs.worker_stale_after, else 90)', positiveNumber('--stale-after'))
    .option('--heartbeat <s>', 'seconds between heartbeats (default: a third of --stale-after, at most 5)', positiveNumber('--heartbeat'))
    .option('--json', 'one JSON line per event on stdout')
    .action(async (flags: WorkerFlags) => {
      let available = context.defaultTables;
      if (flags.module !== undefined) {
        const module = await importModule(flags.module);
        available = autoTablesOf(module);
        if (Object.keys(available).length === 0) throw new UsageError(`--module ${flags.module} exports no Imported or Computed table.`);
        const settings = context.settings();
        const schemas = new Set([...Object.values(module).filter((v): v is Schema => v instanceof Schema), ...Object.values(available).map((t) => findTableInfo(t)!.schema)]);
        if (Object.keys(settings).length > 0) for (const s of schemas) s.configure(settings);
      }
      for (const name of flags.table) {
        if (!available[name]) throw new UsageError(`"${name}" is not an auto-populated table here; choose ${Object.keys(available).join(', ')}.`);
      }
      const tables = flags.table.length > 0 ? flags.table.map((n) => available[n]!) : Object.values(available);
      const onEvent = (event: FleetEvent): void => {
        if (event.event === 'unreachable') console.error(`rg-pipeline worker: database unreachable (${redactCredentials(event.message)}), retrying in ${event.retryIn} s`);
        if (event.event === 'back') console.error(`rg-pipeline worker: database back after ${event.after} s`);
        if (flags.json) {
          console.log(redactCredentials(JSON.stringify({ time: new Date().toISOString(), ...event }, bigintSafe)));
          return;
        }
        const line = describe(event);
        if (line !== undefined) console.log(redactCredentials(line));
      };
      const worker = startFleetWorker({
        tables, onEvent, idleMax: flags.idleMax,
        ...(flags.maxKeys === undefined ? {} : { maxKeys: flags.maxKeys }),
        ...(flags.maxTime === undefined ? {} : { maxTime: flags.maxTime }),
        ...(flags.untilDone ? { untilDone: true } : {}),
        ...(flags.staleAfter === undefined ? {} : { staleAfter: flags.staleAfter }),
        ...(flags.heartbeat === undefined ? {} : { heartbeat: flags.heartbeat }),
      });
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        signals++;
        if (signals === 1) {
          console.error(`rg-pipeline worker: ${signal}: finishing the key in hand, then stopping (send it again to give the key back now)`);
          worker.stop();
          return;
        }
        console.error(`rg-pipeline worker: ${signal} again: giving the key in hand back`);
        const code = signal === 'SIGINT' ? 130 : 143;
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
        void Promise.race([worker.giveBack(), timeout]).finally(() => process.exit(code));
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        const result = await worker.finished;
        if (result.errors > 0) process.exitCode = 1;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
