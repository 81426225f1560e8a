import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { ErrorCode } from '@rx-conversations/protocol';
import { mediaOps, run, ServerError, serverError, type Core, type MediaRow } from '@rx-conversations/server-core';
import type { MediaStorage } from '../../MediaStorage.js';
import type { TokenVerifier } from '../createTokenVerifier.js';
import { checkContentType, mediaTypeOf, SNIFF_BYTES, typeAllowed } from './checkContentType.js';
import { makePreview, previewable } from './makePreview.js';
import type { MediaUrls, MediaVariant } from './mediaUrls.js';
import { parseRange } from './parseRange.js';

/** Media settings, resolved from the server's options. */
export interface MediaSettings {
  readonly storage: MediaStorage;
  readonly maxBytes: number;
  readonly allowedTypes: readonly string[] | undefined;
  readonly quotaBytes: number;
  readonly urlTtlMs: number;
  readonly graceMs: number;
  readonly previewMaxSide: number;
  /** An upload whose body stalls this long is refused (`media_upload_incomplete`). */
  readonly idleTimeoutMs: number;
  /** The base of download URLs; default the request's own host. */
  readonly publicUrl: string | undefined;
}

/** The media endpoints, and what the server's close must wait for. */
export interface MediaHttp {
  /** Answers the request when it is a media path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Resolves once every upload in progress has finished (stored or cleaned up). */
  settled(): Promise<void>;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  media_upload_incomplete: 400,
  not_a_participant: 403,
  media_signature_invalid: 403,
  media_signature_expired: 403,
  conversation_not_found: 404,
  media_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  media_length_required: 411,
  media_too_large: 413,
  media_quota_exceeded: 413,
  media_type_not_allowed: 415,
  media_type_mismatch: 415,
  media_range_not_satisfiable: 416,
  media_storage_failed: 503,
  server_shutting_down: 503,
};

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-rxc-error, content-range, content-length, accept-ranges, content-disposition',
};

const MEDIA_PATH = /^\/v1\/media(?:\/(ME[0-9a-zA-Z]{1,64})(?:\/(content|preview))?)?$/;
const FILENAME_CHARS = 255;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const SWEEP_BATCH = 100;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(res: ServerResponse, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  send(res, STATUS[code] ?? (code.startsWith('token_') ? 401 : 500), { code, message }, { 'x-rxc-error': code, ...headers });
}

/** `Content-Disposition` with the name in both forms (RFC 6266): ASCII fallback and UTF-8. */
function disposition(kind: 'inline' | 'attachment', filename: string | null): string {
  if (filename === null) return kind;
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

// Shown in the page only when the browser can render it without running anything; all else downloads.
const INLINE = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm|ogg)|audio\/(mpeg|ogg|wav|webm|mp4|aac|flac))$/;

/**
 * The media endpoints (MEDIA-1..4), on the server's port: upload (`POST /v1/media`), a signed URL for
 * participants (`GET /v1/media/{sid}`) and the signed downloads (`GET /v1/media/{sid}/content|preview`).
 * Plain handlers rather than fastify routes: an upload is refused (length, type, quota) before its body
 * is read, and its body is streamed to storage as it arrives, never parsed or buffered.
 */
export function createMediaHttp(core: Core, verifyToken: TokenVerifier, urls: MediaUrls, settings: MediaSettings, logger: Logger): MediaHttp {
  const inFlight = new Map<string, number>();
  const uploads = new Set<Promise<void>>();

  const identityOf = async (req: IncomingMessage): Promise<string> => {
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
    return (await verifyToken(token)).identity;
  };

  const reserve = (identity: string, bytes: number): void => {
    const left = (inFlight.get(identity) ?? 0) + bytes;
    if (left > 0) inFlight.set(identity, left);
    else inFlight.delete(identity);
  };

  const upload = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> => {
    const identity = await identityOf(req);
    const conversationSid = query.get('conversationSid') ?? '';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(conversationSid)) throw serverError('invalid_argument', 'conversationSid is missing or malformed', { path: 'conversationSid' });
    const filename = query.get('filename');
    if (filename !== null && (filename === '' || filename.length > FILENAME_CHARS || CONTROL_CHARS.test(filename) || /[/\\]/.test(filename))) {
      throw serverError('invalid_argument', `filename must be 1 to ${FILENAME_CHARS} characters, without slashes or control characters`, { path: 'filename' });
    }
    const contentType = mediaTypeOf(req.headers['content-type']);
    if (contentType === undefined) throw serverError('invalid_argument', 'Content-Type must name the file\'s type', { path: 'Content-Type' });
    if (!typeAllowed(contentType, settings.allowedTypes)) throw serverError('media_type_not_allowed', `${contentType} is not accepted here`);
    const lengthHeader = req.headers['content-length'];
    const size = lengthHeader === undefined ? 0 : Number(lengthHeader);
    if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(size) || size <= 0) {
      throw serverError('media_length_required', 'an upload must declare its size in Content-Length');
    }
    if (size > settings.maxBytes) throw serverError('media_too_large', `uploads are limited to ${settings.maxBytes} bytes`, { limit: settings.maxBytes });
    // Reserved before the (asynchronous) check: of concurrent uploads by one user, each counts the
    // others that started before it, so together they never pass the quota.
    const others = inFlight.get(identity) ?? 0;
    reserve(identity, size);
    try {
      await run(mediaOps.authorizeUpload(core, identity, conversationSid, size, settings.quotaBytes, others));
    } catch (err) {
      reserve(identity, -size);
      throw err;
    }
    const sid = core.newSid('ME');
    const previewKey = `${sid}.preview`;
    try {
      // Storage may wrap what the body threw (the S3 SDK does): the body's own refusal is the answer.
      const refusal: { error?: ServerError } = {};
      try {
        await settings.storage.put(sid, checkedBody(req, size, contentType, settings.idleTimeoutMs, refusal), size, contentType);
      } catch (err) {
        throw refusal.error ?? (err instanceof ServerError ? err : storageFailed(err, 'storing an upload failed'));
      }
      let preview = null;
      if (previewable(contentType)) {
        try {
          const image = await settings.storage.get(sid);
          if (image !== undefined) {
            const made = await makePreview(image, settings.previewMaxSide);
            await settings.storage.put(previewKey, [made.bytes], made.bytes.length, made.preview.contentType);
            preview = made.preview;
          }
        } catch (err) {
          logger.warn({ err, sid }, 'no preview for an image upload');
        }
      }
      try {
        const media = await run(
          mediaOps.recordUpload(core, { sid, conversationSid, author: identity, contentType, filename, size, preview }, settings.quotaBytes, settings.graceMs),
        );
        send(res, 201, { ...media, conversationSid });
      } catch (err) {
        await Promise.all([settings.storage.delete(sid), settings.storage.delete(previewKey)]).catch((e: unknown) => logger.error({ err: e, sid }, 'could not delete a refused upload'));
        throw err;
      }
    } finally {
      reserve(identity, -size);
    }
  };

  const issueUrl = async (req: IncomingMessage, res: ServerResponse, sid: string): Promise<void> => {
    const identity = await identityOf(req);
    const media = await run(mediaOps.mediaFor(core, identity, sid));
    const expiresAt = core.clock() + settings.urlTtlMs;
    const base = settings.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`;
    send(res, 200, {
      ...media,
      url: base + urls.path(sid, 'content', expiresAt),
      ...(media.preview === undefined ? {} : { previewUrl: base + urls.path(sid, 'preview', expiresAt) }),
      expiresAt: Math.ceil(expiresAt / 1000) * 1000,
    });
  };

  const download = async (req: IncomingMessage, res: ServerResponse, sid: string, variant: MediaVariant, query: URLSearchParams): Promise<void> => {
    urls.verify(sid, variant, query, core.clock());
    const row: MediaRow | undefined = await run(mediaOps.storedMedia(core, sid));
    const preview = row?.preview == null ? undefined : (JSON.parse(row.preview) as { contentType: string; size: number });
    if (row === undefined || (variant === 'preview' && preview === undefined)) throw serverError('media_not_found', 'no media has this sid');
    const size = variant === 'preview' ? preview!.size : row.size;
    const type = variant === 'preview' ? preview!.contentType : row.content_type;
    const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, size);
    if (range === 'unsatisfiable') {
      fail(res, 'media_range_not_satisfiable', 'the range lies outside the file', { 'content-range': `bytes */${size}` });
      return;
    }
    const expires = Number(query.get('expires'));
    const headers: Record<string, string | number> = {
      ...CORS,
      'content-type': type,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'content-disposition': disposition(variant === 'preview' || INLINE.test(type) ? 'inline' : 'attachment', variant === 'preview' ? null : row.filename),
      'accept-ranges': 'bytes',
      'cache-control': `private, max-age=${Math.max(0, Math.floor(expires - core.clock() / 1000))}`,
      'content-length': range === undefined ? size : range.end - range.start + 1,
      ...(range === undefined ? {} : { 'content-range': `bytes ${range.start}-${range.end}/${size}` }),
    };
    if (req.method === 'HEAD') {
      res.writeHead(range === undefined ? 200 : 206, headers);
      res.end();
      return;
    }
    let stream;
    try {
      stream = await settings.storage.get(variant === 'preview' ? `${sid}.preview` : sid, range);
    } catch (err) {
      throw storageFailed(err, 'reading media failed');
    }
    if (stream === undefined) throw serverError('media_not_found', 'no media has this sid');
    res.writeHead(range === undefined ? 200 : 206, headers);
    await pipeline(stream, res).catch((err: unknown) => logger.debug({ err, sid }, 'media download cut short'));
  };

  const answer = (work: Promise<void>, res: ServerResponse, what: string): Promise<void> =>
    work.catch((err: unknown) => {
      if (err instanceof ServerError) {
        fail(res, err.code, err.message);
        return;
      }
      logger.error({ err }, `${what} failed`);
      fail(res, 'internal_error', 'unexpected error');
    });

  return {
    handle(req, res) {
      // The raw path, not a normalised one: `/v1/media/x/../../y` is a bad media path, not another route.
      const raw = req.url ?? '/';
      const at = raw.indexOf('?');
      const pathname = at < 0 ? raw : raw.slice(0, at);
      const searchParams = new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
      if (pathname !== '/v1/media' && !pathname.startsWith('/v1/media/')) return false;
      const match = MEDIA_PATH.exec(pathname);
      if (match === null) {
        fail(res, 'not_found', 'no such media endpoint');
        return true;
      }
      const [, sid, variant] = match;
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          ...CORS,
          'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type, range',
          'access-control-max-age': '600',
        });
        res.end();
        return true;
      }
      if (sid === undefined) {
        if (req.method !== 'POST') {
          fail(res, 'method_not_allowed', 'POST an upload here', { allow: 'POST, OPTIONS' });
          return true;
        }
        const work = answer(upload(req, res, searchParams), res, 'media upload').finally(() => {
          uploads.delete(work);
          // A refused upload's body was never read: do not let its sender keep the connection busy.
          if (req.complete) return;
          if (res.writableFinished) req.socket.destroySoon();
          else res.once('finish', () => req.socket.destroySoon());
        });
        uploads.add(work);
        return true;
      }
      if (req.method !== 'GET' && (variant === undefined || req.method !== 'HEAD')) {
        fail(res, 'method_not_allowed', 'only GET is allowed here', { allow: variant === undefined ? 'GET, OPTIONS' : 'GET, HEAD, OPTIONS' });
        return true;
      }
      void answer(variant === undefined ? issueUrl(req, res, sid) : download(req, res, sid, variant as MediaVariant, searchParams), res, 'media request');
      return true;
    },
    async settled() {
      while (uploads.size > 0) await Promise.all(uploads);
    },
  };
}

function storageFailed(err: unknown, message: string): ServerError {
  const failure = serverError('media_storage_failed', message);
  (failure as { cause?: unknown }).cause = err;
  return failure;
}

/**
 * The request body as it arrives, checked on the way (MEDIA-3): its first bytes against the declared
 * type, its length against `Content-Length`. A body that ends early, is cut, or stalls for
 * `idleTimeoutMs` throws `media_upload_incomplete`, so storage discards what it had.
 */
async function* checkedBody(
  req: IncomingMessage,
  size: number,
  contentType: string,
  idleTimeoutMs: number,
  refusal: { error?: ServerError },
): AsyncGenerator<Uint8Array> {
  let received = 0;
  let head: Buffer[] | null = [];
  let headBytes = 0;
  let failure: ServerError | null = null;
  let wake: (() => void) | null = null;
  const incomplete = (why: string) => {
    failure ??= serverError('media_upload_incomplete', `${why} after ${received} of ${size} bytes`);
    wake?.();
  };
  const onClose = () => {
    if (!req.complete) incomplete('the connection closed');
  };
  const onTimeout = () => incomplete(`the body stalled for ${idleTimeoutMs} ms`);
  const onReadable = () => wake?.();
  req.on('readable', onReadable);
  req.on('end', onReadable);
  req.on('error', onClose);
  req.on('close', onClose);
  // Listened for on the request: the HTTP server then leaves the socket open, so the refusal can be sent.
  req.setTimeout(idleTimeoutMs);
  req.on('timeout', onTimeout);
  try {
    for (;;) {
      if (failure !== null) throw failure;
      const chunk = req.read() as Buffer | null;
      if (chunk === null) {
        if (req.readableEnded) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      received += chunk.length;
      if (head === null) {
        yield chunk;
        continue;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= SNIFF_BYTES || received >= size) {
        const first = Buffer.concat(head);
        head = null;
        await checkContentType(contentType, first.subarray(0, SNIFF_BYTES));
        yield first;
      }
    }
    if (received < size || !req.complete) incomplete('the body ended');
    if (failure !== null) throw failure;
    if (head !== null) throw serverError('media_upload_incomplete', 'the body was empty');
  } catch (err) {
    if (err instanceof ServerError) refusal.error = err;
    throw err;
  } finally {
    req.off('readable', onReadable);
    req.off('end', onReadable);
    req.off('error', onClose);
    req.off('close', onClose);
    req.off('timeout', onTimeout);
    req.setTimeout(0);
  }
}

/** Deletes the bytes of media the store gave up (MEDIA-4); true when there may be more to take. */
export async function sweepMedia(core: Core, storage: MediaStorage, logger: Logger): Promise<boolean> {
  const due = await run(mediaOps.takeExpired(core, SWEEP_BATCH));
  for (const row of due) {
    await Promise.all([storage.delete(row.sid), storage.delete(`${row.sid}.preview`)]).catch((err: unknown) =>
      logger.error({ err, sid: row.sid }, 'could not delete the bytes of deleted media'),
    );
  }
  if (due.length > 0) logger.debug({ count: due.length }, 'deleted media');
  return due.length === SWEEP_BATCH;
}

