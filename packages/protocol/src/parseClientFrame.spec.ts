import fc from 'fast-check';
import { ERROR_CODES } from './errorCodes.js';
import { LIMITS } from './limits.js';
import { OP_NAMES } from './ops.js';
import { parseClientFrame } from './parseClientFrame.js';

const req = (op: string, args: unknown, id = 1) => JSON.stringify({ type: 'req', id, op, args });
const codeOf = (raw: string | Uint8Array) => {
  const r = parseClientFrame(raw);
  return r.ok ? 'ok' : r.error.code;
};
const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });

describe('parseClientFrame', () => {
  it('SRV-6: accepts hello, ping and a well-formed request', () => {
    expect(parseClientFrame('{"type":"hello","v":1}')).toEqual({ ok: true, frame: { type: 'hello', v: 1 } });
    expect(parseClientFrame('{"type":"hello","v":1,"lastSeq":42}')).toEqual({ ok: true, frame: { type: 'hello', v: 1, lastSeq: 42 } });
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ ok: true, frame: { type: 'ping' } });
    const r = parseClientFrame(req('messages.send', { sid: 'CH1', body: 'hi', idempotencyKey: 'k-12345678' }, 7));
    expect(r).toEqual({ ok: true, frame: { type: 'req', id: 7, op: 'messages.send', args: { sid: 'CH1', body: 'hi', idempotencyKey: 'k-12345678' } } });
  });

  it('SRV-6: accepts bytes as well as text', () => {
    expect(codeOf(new TextEncoder().encode('{"type":"ping"}'))).toBe('ok');
    expect(codeOf(new Uint8Array([0xff, 0xfe, 0x7b]))).toBe('frame_malformed');
  });

  it.each([
    ['not JSON', '{type:', 'frame_malformed'],
    ['a JSON string', '"hello"', 'frame_malformed'],
    ['a JSON array', '[{"type":"ping"}]', 'frame_malformed'],
    ['null', 'null', 'frame_malformed'],
    ['an unknown type', '{"type":"subscribe"}', 'frame_type_unknown'],
    ['a missing type', '{"id":1}', 'frame_type_unknown'],
    ['hello without version', '{"type":"hello"}', 'frame_malformed'],
    ['hello with a negative lastSeq', '{"type":"hello","v":1,"lastSeq":-1}', 'frame_malformed'],
    ['hello with a fractional lastSeq', '{"type":"hello","v":1,"lastSeq":1.5}', 'frame_malformed'],
    ['ping with extra fields', '{"type":"ping","x":1}', 'frame_malformed'],
  ])('SRV-6: rejects %s with %s', (_name, raw, code) => {
    expect(codeOf(raw)).toBe(code);
  });

  it('SRV-6: rejects a frame above the byte limit, counting UTF-8 bytes not characters', () => {
    const justFits = JSON.stringify({ type: 'ping' }).length;
    expect(codeOf(' '.repeat(LIMITS.frameBytes - justFits) + '{"type":"ping"}')).toBe('ok');
    expect(codeOf(' '.repeat(LIMITS.frameBytes + 1))).toBe('frame_too_large');
    // 3 bytes per character: under the limit in characters, over it in bytes
    const wide = req('messages.send', { sid: 'CH1', body: '€'.repeat(LIMITS.frameBytes / 3), idempotencyKey: 'k-12345678' });
    expect(wide.length).toBeLessThan(LIMITS.frameBytes);
    expect(codeOf(wide)).toBe('frame_too_large');
  });

  it.each([
    ['missing', { type: 'req', op: 'users.get', args: { identity: 'a' } }],
    ['zero', { type: 'req', id: 0, op: 'users.get', args: { identity: 'a' } }],
    ['fractional', { type: 'req', id: 1.5, op: 'users.get', args: { identity: 'a' } }],
    ['a string', { type: 'req', id: '1', op: 'users.get', args: { identity: 'a' } }],
    ['unsafe', { type: 'req', id: 2 ** 60, op: 'users.get', args: { identity: 'a' } }],
  ])('SRV-6: rejects a request id that is %s with request_id_invalid', (_name, frame) => {
    const r = parseClientFrame(JSON.stringify(frame));
    expect(r).toMatchObject({ ok: false, id: null, error: { code: 'request_id_invalid' } });
  });

  it('SRV-6: rejects an unknown op with op_unknown and keeps the request id', () => {
    expect(parseClientFrame(req('messages.nuke', {}, 9))).toMatchObject({ ok: false, id: 9, error: { code: 'op_unknown' } });
    expect(parseClientFrame(req('__proto__', {}, 9))).toMatchObject({ ok: false, id: 9, error: { code: 'op_unknown' } });
  });

  it('SRV-6: names a hostile op or type by its kind, never calling into it', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(parseClientFrame(`{"type":"req","id":4,"op":${deep},"args":{}}`)).toMatchObject({ ok: false, id: 4, error: { code: 'op_unknown', message: 'unknown op of type array' } });
    expect(parseClientFrame(`{"type":${deep}}`)).toMatchObject({ ok: false, id: null, error: { code: 'frame_type_unknown' } });
    expect(parseClientFrame('{"type":{"toString":1}}')).toMatchObject({ ok: false, error: { code: 'frame_type_unknown', message: 'unknown frame type of type object' } });
  });

  it('SRV-6: rejects args that are not a plain object, even when every field is optional', () => {
    for (const args of [[], 'x', 7, null]) {
      expect(parseClientFrame(JSON.stringify({ type: 'req', id: 5, op: 'users.updateMe', args }))).toMatchObject({ ok: false, id: 5, error: { code: 'invalid_argument', details: { path: 'args' } } });
    }
  });

  it.each([
    ['a missing required argument', 'messages.send', { body: 'x', idempotencyKey: 'k-12345678' }, 'invalid_argument', 'args.sid'],
    ['a wrong type', 'users.get', { identity: 42 }, 'invalid_argument', 'args.identity'],
    ['an unknown argument', 'users.get', { identity: 'a', admin: true }, 'invalid_argument', 'args.admin'],
    ['a sid with bad characters', 'conversations.counts', { sid: '../etc' }, 'invalid_argument', 'args.sid'],
    ['an identity with control characters', 'users.get', { identity: 'a\u0000b' }, 'invalid_argument', 'args.identity'],
    ['a short idempotency key', 'messages.send', { sid: 'CH1', body: 'x', idempotencyKey: 'k' }, 'invalid_argument', 'args.idempotencyKey'],
    ['a send with neither body nor attributes', 'messages.send', { sid: 'CH1', idempotencyKey: 'k-12345678' }, 'invalid_argument', 'args'],
    ['both sid and uniqueName', 'conversations.get', { sid: 'CH1', uniqueName: 'u' }, 'invalid_argument', 'args'],
    ['neither sid nor uniqueName', 'conversations.join', {}, 'invalid_argument', 'args'],
    ['a role outside the set', 'participants.add', { sid: 'CH1', identity: 'b', role: 'owner' }, 'invalid_argument', 'args.role'],
    ['a negative index', 'messages.remove', { sid: 'CH1', index: -1 }, 'invalid_argument', 'args.index'],
    ['a body over the limit', 'messages.send', { sid: 'CH1', body: 'x'.repeat(LIMITS.messageBodyChars + 1), idempotencyKey: 'k-12345678' }, 'string_too_long', 'args.body'],
    ['an identity over the limit', 'participants.add', { sid: 'CH1', identity: 'x'.repeat(LIMITS.identityChars + 1) }, 'string_too_long', 'args.identity'],
    ['a friendly name over the limit', 'conversations.create', { friendlyName: 'x'.repeat(LIMITS.friendlyNameChars + 1) }, 'string_too_long', 'args.friendlyName'],
    ['attributes over the size limit', 'conversations.create', { attributes: { a: 'x'.repeat(LIMITS.attributesJsonChars) } }, 'attributes_too_large', 'args.attributes'],
    ['attributes nested too deep', 'users.updateMe', { attributes: nested(LIMITS.attributesDepth + 1) }, 'attributes_too_deep', 'args.attributes'],
    ['a page size of zero', 'messages.list', { sid: 'CH1', pageSize: 0 }, 'page_size_out_of_range', 'args.pageSize'],
    ['a page size above the maximum', 'conversations.list', { pageSize: LIMITS.maxConversationsPageSize + 1 }, 'page_size_out_of_range', 'args.pageSize'],
    ['a fractional page size', 'messages.list', { sid: 'CH1', pageSize: 2.5 }, 'page_size_out_of_range', 'args.pageSize'],
    ['too many identities', 'users.subscribe', { identities: Array.from({ length: LIMITS.maxUsersPerSubscribe + 1 }, (_, i) => `u${i}`) }, 'invalid_argument', 'args.identities'],
  ])('SRV-6: rejects %s', (_name, op, args, code, path) => {
    expect(parseClientFrame(req(op, args, 3))).toMatchObject({ ok: false, id: 3, error: { code, details: { path } } });
  });

  it('SRV-6: accepts attributes exactly at the depth limit and any JSON shape', () => {
    expect(codeOf(req('users.updateMe', { attributes: nested(LIMITS.attributesDepth - 1) }))).toBe('ok');
    for (const attributes of [null, 1, 'x', [1, [2]], { a: { b: [true] } }]) {
      expect(codeOf(req('users.updateMe', { attributes }))).toBe('ok');
    }
  });

  it('SRV-6: never throws and always answers with a known code, whatever the input (property)', () => {
    const anyFrame = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ type: fc.constantFrom('req', 'hello', 'ping', 'x'), id: fc.anything(), op: fc.oneof(fc.constantFrom(...OP_NAMES), fc.string()), args: fc.anything() }).map((f) => {
        try { return JSON.stringify(f) ?? ''; } catch { return ''; }
      }),
    );
    fc.assert(
      fc.property(anyFrame, (raw) => {
        const r = parseClientFrame(raw);
        if (!r.ok) expect(Object.keys(ERROR_CODES)).toContain(r.error.code);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
