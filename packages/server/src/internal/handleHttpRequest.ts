import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TokenVerifier } from './createTokenVerifier.js';
import type { MediaHttp } from './media/createMediaHttp.js';
import type { RestApi } from './rest/createRestApi.js';
import { ServerError } from '@rx-conversations/server-core';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-expose-headers': 'x-rxc-error',
  'access-control-max-age': '600',
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Plain HTTP routes: `/healthz`, `/v1/auth` (SRV-2), media under `/v1/media` (MEDIA-1..4), the admin REST API under `/v1` (ADMIN-1), then
 * the embedder's hook, else 404.
 */
export function createHttpHandler(
  verifyToken: TokenVerifier,
  logger: Logger,
  rest: RestApi,
  media: MediaHttp,
  extra: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (media.handle(req, res)) return;
    if (rest.handle(req, res)) return;
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      json(res, 200, { ok: true });
      return;
    }
    if (path === '/v1/auth') {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS);
        res.end();
        return;
      }
      if (req.method === 'GET') {
        checkAuth(req, res, verifyToken, logger).catch((err: unknown) => {
          logger.error({ err }, '/v1/auth failed');
          res.destroy();
        });
        return;
      }
      json(res, 405, { code: 'method_not_allowed' }, { allow: 'GET, OPTIONS' });
      return;
    }
    try {
      if (extra?.(req, res) === true) return;
    } catch (err) {
      logger.error({ err }, 'requestHandler threw');
      if (!res.headersSent) json(res, 500, { code: 'internal_error' });
      else res.destroy();
      return;
    }
    json(res, 404, { code: 'not_found' });
  };
}

// Browsers cannot read why an upgrade failed; the client asks here instead, with the same token.
async function checkAuth(req: IncomingMessage, res: ServerResponse, verifyToken: TokenVerifier, logger: Logger): Promise<void> {
  const header = req.headers.authorization;
  const token = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
  try {
    const verified = await verifyToken(token);
    json(res, 200, { identity: verified.identity, expiresAt: verified.expiresAt });
  } catch (err) {
    if (err instanceof ServerError) {
      json(res, 401, { code: err.code }, { 'x-rxc-error': err.code });
      return;
    }
    logger.error({ err }, 'token verification failed unexpectedly');
    json(res, 500, { code: 'internal_error' }, { 'x-rxc-error': 'internal_error' });
  }
}
