import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { createAccessToken } from '@rx-conversations/token';

/**
 * DEVELOPMENT ONLY. Anyone who can reach `POST /dev/token` gets a token for any name they type:
 * there is no authentication at all. It exists so that the demo works with one command; a real app
 * mints tokens on its own backend after signing the user in (see docs/tokens.md).
 */

/** A signing key for dev tokens: `iss` and the HS256 secret. */
export interface DevKey {
  readonly keyId: string;
  readonly secret: string;
}

/** Tokens from the dev endpoint live this long; the demo's `tokenProvider` renews them on the open socket. */
const DEV_TOKEN_TTL_SECONDS = 3600;
const MAX_BODY_BYTES = 1024;

/**
 * Loads the dev key stored beside the database (`dev-key.json`), creating it on first start. A key
 * that survives restarts keeps issued tokens valid when the server restarts (the demo reconnects).
 * For `':memory:'` databases the key lives in memory only.
 */
export function loadOrCreateDevKey(database: string): DevKey {
  const fresh = (): DevKey => ({ keyId: `SK${randomBytes(16).toString('hex')}`, secret: randomBytes(32).toString('hex') });
  if (database === ':memory:') return fresh();
  const file = join(dirname(database), 'dev-key.json');
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevKey>;
    if (typeof stored.keyId === 'string' && typeof stored.secret === 'string') return { keyId: stored.keyId, secret: stored.secret };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = fresh();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  return key;
}

/**
 * Answers `POST /dev/token` with `{ token }` for the posted `{ identity }`, or, when dev tokens are
 * off (`key` undefined), with 404 `dev_tokens_disabled` so the page can say how to turn them on.
 */
export function handleDevTokenRequest(req: IncomingMessage, res: ServerResponse, key: DevKey | undefined): void {
  if (key === undefined) return sendJson(res, 404, { code: 'dev_tokens_disabled', message: 'Start the demo with --dev or RXC_DEV_TOKENS=1.' });
  if (req.method !== 'POST') return sendJson(res, 405, { code: 'method_not_allowed' });
  let size = 0;
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { code: 'body_too_large' });
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    let identity: unknown;
    try {
      identity = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { identity?: unknown }).identity;
    } catch {
      return sendJson(res, 400, { code: 'invalid_json' });
    }
    if (typeof identity !== 'string' || identity.trim() === '' || identity.length > 64) {
      return sendJson(res, 400, { code: 'invalid_identity', message: 'identity: 1 to 64 characters' });
    }
    createAccessToken({ identity: identity.trim(), keyId: key.keyId, secret: key.secret, ttlSeconds: DEV_TOKEN_TTL_SECONDS }).then(
      (token) => sendJson(res, 200, { token }),
      (err: unknown) => sendJson(res, 400, { code: 'invalid_identity', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
