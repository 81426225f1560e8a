// Fuzzing the media endpoints (SRV-6, MEDIA-3): a seed-stable fast-check run of adversarial HTTP
// requests on raw sockets (lying lengths, lying types, bad tokens, other people's conversations, forged
// URLs). Each gets a documented status with its code in the body and the `x-rxc-error` header, nothing
// reaches a conversation the attacker is not in, and the server keeps serving the victims' media.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isErrorCode } from '@rx-conversations/protocol';
import { useServers } from '../helpers/useServers.js';
import { tokenFor } from '../helpers/testKeys.js';
import { aConversationOf, download, mediaUrl, png, rawRequest, sendWith, upload } from './mediaHelpers.js';

/** Fixed so a failure replays exactly; change only on purpose. */
const SEED = 20_261_206;
const RUNS = 150;
const REFUSALS = new Set([400, 401, 403, 404, 405, 411, 413, 415, 416]);

const { start, connect } = useServers();

describe('fuzzing the media endpoints (SRV-6, MEDIA-3)', () => {
  it('MEDIA-3: adversarial uploads and downloads each get a documented status and code; the victims\' media are untouched', async () => {
    const server = await start({ media: { maxBytes: 64 * 1024, quotaBytes: 10 * 1024 * 1024, idleTimeoutMs: 150, allowedTypes: ['image/*', 'text/plain', 'application/octet-stream'] } });
    const victimA = await connect(server, 'victim-a');
    const victimB = await connect(server, 'victim-b');
    const attacker = await connect(server, 'attacker');
    const victimSid = await aConversationOf(victimA, victimB);
    const ownSid = (await attacker.request('conversations.create', {})).sid;
    const image = await png(32, 32);
    const victimMedia = await upload(server, 'victim-a', victimSid, image);
    await sendWith(victimA, victimSid, [victimMedia.body.sid]);
    const victimUrl = (await mediaUrl(server, 'victim-b', victimMedia.body.sid)).body.url;
    const attackerToken = await tokenFor('attacker');

    const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
    const body = fc.oneof(
      fc.constant(image),
      fc.constant(html),
      fc.uint8Array({ minLength: 0, maxLength: 5000 }).map((a) => Buffer.from(a)),
      fc.integer({ min: 1, max: image.length - 1 }).map((n) => image.subarray(0, n)),
    );
    const upload$ = fc.record({
      kind: fc.constant('upload' as const),
      method: fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE'),
      conversation: fc.constantFrom(ownSid, ownSid, victimSid, 'CHnothing', '', '../etc/passwd', 'CH%00x'),
      filename: fc.option(fc.oneof(fc.constantFrom('a.png', '../../x', 'a\u0000b', 'ünïcödé 文件.png', 'x'.repeat(300)), fc.string()), { nil: undefined }),
      type: fc.option(fc.constantFrom('image/png', 'image/jpeg', 'text/plain', 'text/html', 'application/pdf', 'application/octet-stream', 'image/png; charset=x', 'garbage', ''), { nil: undefined }),
      auth: fc.constantFrom('valid', 'valid', 'valid', 'none', 'garbage', 'basic'),
      length: fc.constantFrom('exact', 'exact', 'exact', 'missing', 'short', 'huge', 'zero', 'nonsense'),
      body,
    });
    const download$ = fc.record({
      kind: fc.constant('download' as const),
      path: fc.constantFrom(
        `/v1/media/${victimMedia.body.sid}/content`,
        `/v1/media/${victimMedia.body.sid}/preview`,
        `/v1/media/${victimMedia.body.sid}`,
        '/v1/media/MEnothing/content',
        '/v1/media/ME/../../etc/passwd',
      ),
      query: fc.constantFrom('', '?expires=99999999999&signature=AAAA', `?${new URL(victimUrl).searchParams}x`, '?expires=-1&signature=', '?expires=1e9&signature=%00'),
      range: fc.option(fc.constantFrom('bytes=0-0', 'bytes=999999-', 'bytes=-0', 'items=1-2', 'bytes=5-1'), { nil: undefined }),
      auth: fc.constantFrom('valid', 'none'),
    });

    // Well-formed uploads among the adversarial ones: the server must still accept them.
    const valid$ = fc.record({
      kind: fc.constant('upload' as const),
      method: fc.constant('POST'),
      conversation: fc.constant(ownSid),
      filename: fc.constant(undefined),
      type: fc.constant('image/png'),
      auth: fc.constant('valid'),
      length: fc.constant('exact'),
      body: fc.constant(image),
    });

    let stored = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(upload$, download$, valid$), async (req) => {
        const headers: Record<string, string | number> = { host: 'localhost', connection: 'close' };
        if (req.auth === 'valid') headers['authorization'] = `Bearer ${attackerToken}`;
        if (req.auth === 'garbage') headers['authorization'] = 'Bearer x.y.z';
        if (req.auth === 'basic') headers['authorization'] = 'Basic YTpi';
        let head: string;
        let payload: Buffer = Buffer.alloc(0);
        if (req.kind === 'upload') {
          const query = new URLSearchParams({ conversationSid: req.conversation, ...(req.filename === undefined ? {} : { filename: req.filename }) });
          if (req.type !== undefined) headers['content-type'] = req.type;
          payload = req.body;
          const declared = { exact: payload.length, short: payload.length + 10, huge: 10 ** 9, zero: 0, nonsense: '12abc', missing: undefined }[req.length];
          if (declared !== undefined) headers['content-length'] = declared;
          if (req.length === 'zero' || req.length === 'nonsense') payload = Buffer.alloc(0);
          head = `${req.method} /v1/media?${query} HTTP/1.1\n`;
        } else {
          if (req.range !== undefined) headers['range'] = req.range;
          head = `GET ${req.path}${req.query} HTTP/1.1\n`;
        }
        head += Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join('');
        const { answer } = await rawRequest(server, head, payload);
        const text = await answer;
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
        const code = /\r\nx-rxc-error: ([a-z_]+)\r\n/i.exec(text)?.[1];
        const json = text.slice(text.indexOf('\r\n\r\n') + 4);
        if (status === 201) {
          // Only a true, complete upload to the attacker's own conversation is stored.
          expect(req.kind === 'upload' && req.conversation === ownSid && req.auth === 'valid' && req.length === 'exact').toBe(true);
          expect(JSON.parse(json)).toMatchObject({ conversationSid: ownSid, sid: expect.stringMatching(/^ME/) });
          stored += 1;
          return;
        }
        // Node's HTTP parser answers 400 by itself to a malformed head (no body, no code).
        if (status === 400 && code === undefined) {
          expect(json).toBe('');
          return;
        }
        expect(REFUSALS.has(status)).toBe(true);
        expect(code !== undefined && isErrorCode(code)).toBe(true);
        expect(JSON.parse(json)).toMatchObject({ code });
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );

    expect(stored).toBeGreaterThan(0);
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    // The victims' conversation got nothing from the attacker, and their media still downloads.
    const page = await victimB.request('messages.list', { sid: victimSid });
    expect(page.items).toHaveLength(1);
    const got = await download((await mediaUrl(server, 'victim-b', victimMedia.body.sid)).body.url);
    expect(got.bytes.equals(image)).toBe(true);
  }, 120_000);
});
