import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StaParams } from '../../computed/sta-params.js';
import { Spike } from '../../tables/stimulation.js';
import type { Schema } from '../../schema/declare/schema.js';
import type { NeuronKey, SessionKey, SpikeKey, StimulationKey } from '../api-types.js';
import { attributeSchema, querySchema, type JsonSchema } from '../key-schema.js';
import { pipelineState } from '../pipeline-state.js';
import type { RowDirectory } from '../directory.js';
import type { JsonCache } from '../json-cache.js';
import { listNeurons, listSessions, listSpikes, listStimulations } from '../selection.js';
import type { SpikeView } from '../spike-view.js';
import type { StaView } from '../sta-view.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const SESSION = ['subject_name', 'sample_number', 'session_date'];
const STIMULATION = [...SESSION, 'stimulation_index'];
const NEURON = [...STIMULATION, 'neuron_index'];
const SPIKE = [...NEURON, 'spike_index'];

/** Frames to average: at least 1; the frames shown up to the spike bound it further. */
const DELAY: JsonSchema = { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'delay (frames averaged, the spike\'s own included)' };

export interface ApiContext {
  readonly schema: Schema;
  readonly display: string;
  readonly rows: RowDirectory;
  /** Stored STAs and population maps, as sent. */
  readonly answers: JsonCache;
  readonly spikes: SpikeView;
  readonly stas: StaView;
  readonly erdSvg: (() => Promise<string>) | undefined;
}

/** The route list, for the 404 message and the README. */
export const API_ROUTES = [
  '/api/sessions', '/api/stimulations', '/api/neurons', '/api/spikes', '/api/frame', '/api/average',
  '/api/stas', '/api/sta', '/api/population', '/api/state', '/api/erd.svg',
] as const;

/**
 * The JSON API: GET routes only, each querystring checked against the key attributes' declared
 * types (Spike's heading holds every key from subject to spike; StaParams has n_lags).
 *
 * @example
 * ```ts
 * registerApiRoutes(app, context);
 * await app.inject({ url: '/api/neurons?subject_name=KO%20(chx10)&sample_number=1&session_date=2008-06-06&stimulation_index=0' });
 * // SELECT … FROM `rgc`.`_stimulation__neuron` AS `_q1` WHERE (`_q1`.`subject_name` = ? AND …)
 * ```
 */
export function registerApiRoutes(app: FastifyInstance, context: ApiContext): void {
  const heading = Spike.heading;
  const lagsSchema = attributeSchema(StaParams.heading.get('n_lags'));
  const noQuery: JsonSchema = { type: 'object', properties: {}, additionalProperties: false };

  app.get('/api/sessions', { schema: { querystring: noQuery } }, async () => listSessions());
  app.get<{ Querystring: SessionKey }>('/api/stimulations', { schema: { querystring: querySchema(heading, SESSION) } },
    async (request) => listStimulations(request.query));
  app.get<{ Querystring: StimulationKey }>('/api/neurons', { schema: { querystring: querySchema(heading, STIMULATION) } },
    async (request) => listNeurons(context.rows, request.query));
  app.get<{ Querystring: NeuronKey }>('/api/spikes', { schema: { querystring: querySchema(heading, NEURON) } },
    async (request) => listSpikes(context.rows, request.query));
  app.get<{ Querystring: SpikeKey }>('/api/frame', { schema: { querystring: querySchema(heading, SPIKE) } },
    async (request) => context.spikes.frame(request.query));
  app.get<{ Querystring: SpikeKey & { delay: number } }>('/api/average', { schema: { querystring: querySchema(heading, SPIKE, { delay: DELAY }) } },
    async (request) => context.spikes.average(request.query, request.query.delay));
  // Stored results are large and change only when populate adds rows: sent from a short-lived
  // cache, gzipped to clients that accept it.
  const cached = async (request: FastifyRequest, reply: FastifyReply, make: () => Promise<unknown>): Promise<FastifyReply> => {
    const query = Object.entries(request.query as object).sort(([a], [b]) => (a < b ? -1 : 1));
    const answer = await context.answers.get(`${request.routeOptions.url} ${JSON.stringify(query)}`, make);
    reply.type(JSON_TYPE).header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(answer.gzip);
    return reply.send(answer.plain);
  };
  app.get<{ Querystring: NeuronKey }>('/api/stas', { schema: { querystring: querySchema(heading, NEURON) } },
    async (request, reply) => cached(request, reply, () => context.stas.list(request.query)));
  app.get<{ Querystring: NeuronKey & { n_lags: number } }>('/api/sta', { schema: { querystring: querySchema(heading, NEURON, { n_lags: lagsSchema }) } },
    async (request, reply) => cached(request, reply, () => context.stas.one(request.query)));
  app.get<{ Querystring: StimulationKey & { n_lags: number } }>('/api/population', { schema: { querystring: querySchema(heading, STIMULATION, { n_lags: lagsSchema }) } },
    async (request, reply) => cached(request, reply, () => context.stas.population(request.query)));
  app.get('/api/state', { schema: { querystring: noQuery } }, async () => pipelineState(context.schema, context.display));
  let erd: Promise<string> | undefined;
  app.get('/api/erd.svg', { schema: { querystring: noQuery } }, async (_request, reply) => {
    if (!context.erdSvg) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'This viewer was started without an ERD.' });
    erd ??= context.erdSvg().catch((error: unknown) => {
      erd = undefined;
      throw error;
    });
    return reply.type('image/svg+xml; charset=utf-8').send(await erd);
  });
}
