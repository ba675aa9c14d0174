#!/usr/bin/env node
/**
 * rg-visual: the pipeline's web viewer (the original rg_visual's page on port 8050), read-only.
 * Thin wiring: connection options as rg-pipeline's, the ERD as rg-erd draws it, and the server
 * from src/visual.
 */
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InvalidArgumentError } from 'commander';
import { Diagram } from '../erd/diagram.js';
import { pipeline } from '../tables/pipeline-schema.js';
import { createViewer } from '../visual/server.js';
import { acceptSeedFlags, connectionOptions, withConnectionOptions, type ConnectionFlags } from './connection-options.js';
import { newProgram, runProgram } from './program.js';

interface Options extends ConnectionFlags { port: number; host: string; open?: boolean; cacheMb: number }

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    return Number(value);
  };
}

/** Opens the page in the desktop's browser, where there is one; says so when there is none. */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.log('--open: no graphical display here; open the URL above in a browser.');
    return;
  }
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log(`--open: could not start ${command}; open the URL above in a browser.`));
  child.unref();
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
}

/**
 * V8's full collection, for the movie cache to call when a movie leaves: its 10–100 MB are then
 * returned at once rather than when V8 next collects, which keeps the process near its bound.
 */
function garbageCollector(): (() => void) | undefined {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}

const program = withConnectionOptions(newProgram('rg-visual', 'The RGC pipeline\'s web viewer: pick a session, stimulation, neuron and spike; see the frames at the spike, the receptive field, the population and the pipeline. Reads only.'))
  .option('--port <n>', 'port to listen on', integer('--port', 0, 65535), 8050)
  .option('--host <address>', 'address to listen on; 0.0.0.0 shares the viewer with the network', '127.0.0.1')
  .option('--open', 'open the page in a browser')
  .option('--cache-mb <n>', 'memory for decoded movies and recent answers, in MB (least recently used leave first)', integer('--cache-mb', 16, 1_048_576), 512)
  .action(async (options: Options) => {
    const viewer = await createViewer({
      database: await connectionOptions(options),
      cacheBytes: options.cacheMb * 1024 * 1024,
      erdSvg: () => Diagram.of(pipeline).toSvg(),
      collectGarbage: garbageCollector(),
      allowedHosts: options.host === '127.0.0.1' || options.host === 'localhost' || options.host === '::1' ? [] : 'any',
    });
    const address = await viewer.app.listen({ port: options.port, host: options.host });
    const port = Number(new URL(address).port);
    const shown = options.host === '0.0.0.0' || options.host === '::' ? `http://127.0.0.1:${port}/` : `${address}/`;
    console.log(`rg-visual: ${shown} (database ${viewer.database}, read-only; movie cache ${options.cacheMb} MB)`);
    if (options.host === '0.0.0.0' || options.host === '::') {
      const lan = lanAddresses().map((a) => `http://${a}:${port}/`);
      console.log(`Listening on every network interface: anyone who can reach this machine can read this database${lan.length > 0 ? `, at ${lan.join(' or ')}` : ''}.`);
    }
    const problem = await Promise.race([viewer.problem(), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 8000).unref())]);
    if (problem) console.log(`Not ready yet (the page says so until it is): ${problem}`);
    if (options.open) openBrowser(shown);
    console.log('Press Ctrl-C to stop.');
    // Serving is the command's work: it ends when a signal asks, with the connections closed.
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('interrupted'));
      process.once('SIGTERM', () => resolve('terminated'));
    });
    console.log(`\nrg-visual: ${signal}, closing`);
    await viewer.close();
  });

await runProgram(program, acceptSeedFlags(process.argv.slice(2), []));
// Nothing is left to do once the server is closed; a lingering handle (esbuild's service when run
// from the sources) must not keep the process alive.
process.exit(process.exitCode ?? 0);
