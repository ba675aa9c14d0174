import { hostname } from 'node:os';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ConnectionError, RequestError, SchemaMismatchError } from '../errors.js';
import type { ConnectionOptions } from '../schema/connection/config.js';
import { pipeline } from '../tables/pipeline-schema.js';
import '../computed/index.js';
import type { ErrorResponse } from './api-types.js';
import { pageAssets } from './assets.js';
import { RowDirectory } from './directory.js';
import { JsonCache } from './json-cache.js';
import { DEFAULT_CACHE_BYTES, MovieCache } from './movie-cache.js';
import { describeFailure, ReadOnlyDatabase } from './read-only-database.js';
import { API_ROUTES, registerApiRoutes } from './routes/api-routes.js';
import { registerPageRoutes } from './routes/page-routes.js';
import { SpikeView } from './spike-view.js';
import { StaView } from './sta-view.js';
import { validationMessage } from './validation-message.js';

/** How to start a viewer. */
export interface ViewerOptions {
  /** Where the pipeline is, as for rg-pipeline; left out, the environment, config.ini, then ./rg-data/rg.sqlite. */
  readonly database?: ConnectionOptions;
  /** Bound on what the viewer keeps in memory (decoded movies, recent STA answers), in bytes (default 512 MB). */
  readonly cacheBytes?: number;
  /** The ERD as an SVG (the command line passes rg-erd's drawing); without it /api/erd.svg is a 404. */
  readonly erdSvg?: () => Promise<string>;
  /**
   * Host names the Host header may carry. By default the loopback names and this machine's name,
   * which keeps other web sites from reading the viewer through DNS rebinding; `'any'` when
   * the viewer is shared on the network.
   */
  readonly allowedHosts?: readonly string[] | 'any';
  /** A full garbage collection, run after movies leave the cache (the command line passes V8's `gc`). */
  readonly collectGarbage?: () => void;
}

/** A running viewer: the Fastify app (`inject` for tests, `listen` to serve). */
export interface Viewer {
  readonly app: FastifyInstance;
  readonly movies: MovieCache;
  /** The database, as safe to print. */
  readonly database: string;
  /** Why the pipeline cannot be shown now (a sentence naming the database), or undefined. */
  problem(): Promise<string | undefined>;
  /** Stops serving and closes the database connection. */
  close(): Promise<void>;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]', '::1'];

function errorBody(statusCode: number, message: string): ErrorResponse {
  const error = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 503: 'Service Unavailable' }[statusCode] ?? 'Internal Server Error';
  return { statusCode, error, message };
}

/**
 * The viewer: a Fastify server with the page, its assets and a JSON API over the RGC pipeline,
 * reading the database through a read-only connection.
 *
 * @example
 * ```ts
 * const viewer = await createViewer({ database: { connection: 'sqlite://rg-data/rg.sqlite' } });
 * await viewer.app.listen({ port: 8050, host: '127.0.0.1' });
 * const sessions = await (await fetch('http://127.0.0.1:8050/api/sessions')).json();
 * ```
 */
export async function createViewer(options: ViewerOptions = {}): Promise<Viewer> {
  const database = new ReadOnlyDatabase(pipeline, options.database);
  // One bound for what the viewer keeps: a sixteenth (at most 32 MB) for answers, the rest for movies.
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const answerBytes = Math.max(1, Math.min(32 * 1024 * 1024, Math.floor(cacheBytes / 16)));
  const movies = new MovieCache(Math.max(1, cacheBytes - answerBytes), options.collectGarbage);
  const rows = new RowDirectory();
  const assets = await pageAssets();
  const app = Fastify({
    logger: false,
    // An unknown parameter is an error, not silently dropped; types are coerced from the querystring.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, verbose: true } },
  });
  const allowed = options.allowedHosts === 'any' ? undefined : new Set([...LOOPBACK, hostname(), ...(options.allowedHosts ?? [])].map((h) => h.toLowerCase()));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    if (!allowed) return;
    const host = (request.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (!allowed.has(host)) {
      await reply.code(400).send(errorBody(400, `This viewer answers requests for ${[...allowed].join(', ')}, not for "${host.slice(0, 100)}". Start it with --host 0.0.0.0 to share it on the network.`));
    }
  });

  app.setNotFoundHandler(async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply.code(405).header('allow', 'GET, HEAD').send(errorBody(405, `rg-visual only reads: ${request.method} is not allowed. Use GET.`));
    }
    const path = request.url.split('?')[0]!.slice(0, 200);
    return reply.code(404).send(errorBody(404, `Nothing at ${path}. The page is at /; the API: ${API_ROUTES.join(', ')}.`));
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.validation) return reply.code(400).send(errorBody(400, validationMessage(error, request.query as Record<string, unknown>, request.params as Record<string, unknown>)));
    if (error instanceof RequestError) return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    if (error instanceof ConnectionError || error instanceof SchemaMismatchError || isDriverConnectionError(error)) {
      return reply.code(503).send(errorBody(503, describeFailure(error, database.display, pipeline.database)));
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }
    request.log.error(error);
    process.stderr.write(`rg-visual: ${request.method} ${request.url.slice(0, 300)} failed: ${error.name}: ${error.message}\n`);
    return reply.code(500).send(errorBody(500, `The viewer failed to answer ${request.url.split('?')[0]}: ${error.name}: ${error.message.slice(0, 300)}`));
  });

  // Every API answer needs the pipeline: say why it cannot be read before any query is tried.
  app.addHook('preHandler', async (request, reply) => {
    if (!request.url.startsWith('/api/') || request.url.startsWith('/api/erd.svg')) return;
    const problem = await database.problem();
    if (problem !== undefined) await reply.code(503).send(errorBody(503, problem));
  });

  registerPageRoutes(app, database, assets);
  registerApiRoutes(app, {
    schema: pipeline, display: database.display, rows, answers: new JsonCache(answerBytes, 60_000),
    spikes: new SpikeView(rows, movies), stas: new StaView(rows, movies), erdSvg: options.erdSvg,
  });
  await app.ready();
  return {
    app, movies, database: database.display,
    problem: () => database.problem(),
    async close() {
      await app.close();
      await database.close();
    },
  };
}

function isDriverConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EPIPE|PROTOCOL_CONNECTION_LOST|ER_ACCESS_DENIED_ERROR|SQLITE_CANTOPEN)$/.test(code);
}
