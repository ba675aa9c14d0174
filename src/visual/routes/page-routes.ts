import type { FastifyInstance } from 'fastify';
import type { PageAssets } from '../assets.js';
import { pageHtml, problemHtml } from '../page-html.js';
import type { ReadOnlyDatabase } from '../read-only-database.js';

/**
 * Content-Security-Policy of the page: scripts, styles, images and requests from this server only
 * (Plotly inserts its own style elements, hence 'unsafe-inline' for styles). A browser so told
 * refuses any request that would leave the machine.
 */
export const PAGE_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/**
 * The page (`/`, with the selection in its querystring) and its assets, named by their content.
 *
 * @example
 * ```ts
 * registerPageRoutes(app, database, await pageAssets());
 * (await app.inject({ url: '/' })).headers['content-security-policy']; // "default-src 'self'; …"
 * ```
 */
export function registerPageRoutes(app: FastifyInstance, database: ReadOnlyDatabase, assets: PageAssets): void {
  const byName = new Map([assets.plotly, assets.app, assets.css].map((a) => [a.name, a]));
  const page = pageHtml(assets, database.display);

  // The page reads its selection from the querystring itself; the server only needs the pipeline.
  app.get('/', async (_request, reply) => {
    const problem = await database.problem();
    reply.header('content-security-policy', PAGE_POLICY).header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (problem !== undefined) return reply.code(503).send(problemHtml(problem, database.display));
    return reply.send(page);
  });

  app.get<{ Params: { name: string } }>('/assets/:name', {
    schema: { params: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z0-9.-]{1,80}$' } }, required: ['name'] } },
  }, async (request, reply) => {
    const found = byName.get(request.params.name);
    if (!found) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No asset ${request.params.name}; the page's assets are ${[...byName.keys()].join(', ')}.` });
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(found.type).send(found.body);
  });
}
