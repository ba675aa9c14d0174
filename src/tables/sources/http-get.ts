import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DataSourceError } from '../../errors.js';
import { redactUrl } from '../../redact.js';
import { formatBytes, type SourceLimits } from './limits.js';

const MAX_REDIRECTS = 5;

/**
 * GETs a URL into memory, bounded: `connectTimeoutMs` to resolve and connect, `timeoutMs` for the
 * whole exchange, and at most `maxBytes` of body (a larger Content-Length is refused before any
 * body is read; a body that grows past the cap is cut off and refused), so memory stays about
 * `maxBytes` however large or slow the answer. Credentials in the URL travel as an
 * Authorization header (Basic), never in a message. Redirects are followed (at most 5); credentials
 * are not sent to another host.
 */
export async function httpGet(url: string, limits: SourceLimits, where: string, options: { lookup?: LookupFunction } = {}): Promise<Buffer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new DataSourceError(`${where}: "${redactUrl(url)}" is not a URL.`, { source: where, field: 'access' });
  }
  const deadline = Date.now() + limits.timeoutMs;
  const origin = target.host;
  const auth = target.username !== '' || target.password !== ''
    ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}` : undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const answer = await request(target, target.host === origin ? auth : undefined, limits, deadline, where, options.lookup);
    if ('location' in answer) {
      target = new URL(answer.location, target);
      continue;
    }
    return answer.body;
  }
  throw new DataSourceError(`${where}: more than ${MAX_REDIRECTS} redirects.`, { source: where, field: 'access' });
}

function request(target: URL, auth: string | undefined, limits: SourceLimits, deadline: number, where: string, lookup: LookupFunction | undefined): Promise<{ body: Buffer } | { location: string }> {
  const fail = (reason: string, cause?: unknown): DataSourceError => new DataSourceError(`${where}: ${reason}`, { source: where, field: 'access', cause });
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(fail(`only http and https URLs can be read, not ${target.protocol}`));
  const client = target.protocol === 'https:' ? https : http;
  const path = `${target.pathname}${target.search}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error: DataSourceError | undefined, value?: { body: Buffer } | { location: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const req = client.request({
      protocol: target.protocol, hostname: target.hostname.replace(/^\[|\]$/g, ''), port: target.port || undefined, path, method: 'GET',
      headers: { accept: 'application/json', ...(auth ? { authorization: auth } : {}) }, ...(lookup ? { lookup } : {}),
    });
    const total = setTimeout(() => finish(fail(`no complete answer within ${(limits.timeoutMs / 1000).toFixed(1)} s (raise "timeout" in the manifest entry, or --timeout).`)), Math.max(0, deadline - Date.now()));
    const connect = setTimeout(() => finish(fail(`could not connect within ${(limits.connectTimeoutMs / 1000).toFixed(1)} s (raise "connect_timeout" in the manifest entry, or --connect-timeout).`)), limits.connectTimeoutMs);
    req.on('socket', (socket) => {
      const connected = (): void => clearTimeout(connect);
      if (!socket.connecting) connected();
      socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    req.on('error', (cause) => finish(fail(`the request failed (${(cause as NodeJS.ErrnoException).code ?? cause.message}).`, cause)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        finish(undefined, { location: res.headers.location });
        return;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        finish(fail(`the server answered ${status} ${res.statusMessage ?? ''}.`.replace(' .', '.')));
        return;
      }
      const announced = Number(res.headers['content-length']);
      if (Number.isFinite(announced) && announced > limits.maxBytes) {
        finish(fail(`the server announces ${formatBytes(announced)}, more than the ${formatBytes(limits.maxBytes)} a source may be (raise "max_bytes" in the manifest entry, or --max-bytes).`));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.maxBytes) {
          finish(fail(`the answer passed ${formatBytes(limits.maxBytes)}, the most a source may be (raise "max_bytes" in the manifest entry, or --max-bytes); it was cut off.`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { body: Buffer.concat(chunks, received) }));
      res.on('error', (cause) => finish(fail(`the answer broke off (${cause.message}).`, cause)));
      res.on('aborted', () => finish(fail('the server closed the connection before the answer was complete.')));
    });
    req.end();
  });
}
