import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LIMITS, PROTOCOL_VERSION, type ErrorFrame } from '@rx-conversations/protocol';
import { startServer, type RunningServer } from '../src/index.js';
import { connectUser, key } from './helpers/connectUser.js';
import { KEYS } from './helpers/testKeys.js';
import type { TestClient } from './helpers/TestClient.js';

let server: RunningServer;
let attacker: TestClient;
let bystander: TestClient;
let sid: string;

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: KEYS, rateLimit: { burst: 1000, ratePerSecond: 1000 } });
  attacker = await connectUser(server, 'attacker');
  bystander = await connectUser(server, 'bystander');
  sid = (await attacker.request('conversations.create', {})).sid;
});
afterAll(async () => {
  await attacker.close();
  await bystander.close();
  await server.close();
});

/** Sends a raw frame and returns the error reply (matched by id when the frame has one, else the next id: null error). */
async function errorFor(raw: string, id: number | null): Promise<ErrorFrame> {
  const before = attacker.frames.length;
  attacker.send(raw);
  const frame = await attacker.waitFor((f) => f.type === 'res' && f.ok === false && f.id === id && attacker.frames.indexOf(f) >= before);
  return frame as ErrorFrame;
}

function req(op: string, args: unknown): { raw: string; id: number } {
  const id = attacker.takeId();
  return { raw: JSON.stringify({ type: 'req', id, op, args }), id };
}

const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });

describe('bad frames get precise codes and hurt nobody (SRV-6)', () => {
  const frameCases: Array<[string, string, string]> = [
    ['malformed JSON', '{"type": "req", ', 'frame_malformed'],
    ['a non-object', '[1, 2, 3]', 'frame_malformed'],
    ['a JSON string', '"hello"', 'frame_malformed'],
    ['an unknown frame type', '{"type":"subscribe"}', 'frame_type_unknown'],
    ['a request without id', '{"type":"req","op":"users.get","args":{"identity":"x"}}', 'request_id_invalid'],
    ['a request with a fractional id', '{"type":"req","id":1.5,"op":"users.get","args":{"identity":"x"}}', 'request_id_invalid'],
    ['a request with a negative id', '{"type":"req","id":-3,"op":"users.get","args":{"identity":"x"}}', 'request_id_invalid'],
    ['a ping with extra fields', '{"type":"ping","x":1}', 'frame_malformed'],
  ];

  it.each(frameCases)('SRV-6: %s → %s with id null', async (_name, raw, code) => {
    const reply = await errorFor(raw, null);
    expect(reply.error.code).toBe(code);
  });

  const argRows: Array<[string, string, unknown, string, string?]> = [
    ['an unknown op', 'conversations.explode', {}, 'op_unknown'],
    ['a missing argument', 'messages.send', { body: 'x', idempotencyKey: 'k'.repeat(10) }, 'invalid_argument', 'args.sid'],
    ['a wrong type', 'messages.list', { sid: 42 }, 'invalid_argument', 'args.sid'],
    ['an unknown argument', 'users.get', { identity: 'x', extra: true }, 'invalid_argument'],
    ['a body too long', 'messages.send', { sid: 'CHx', body: 'x'.repeat(LIMITS.messageBodyChars + 1), idempotencyKey: 'k'.repeat(10) }, 'string_too_long', 'args.body'],
    ['attributes too large', 'users.updateMe', { attributes: { blob: 'x'.repeat(LIMITS.attributesJsonChars) } }, 'attributes_too_large', 'args.attributes'],
    ['attributes too deep', 'users.updateMe', { attributes: deep(LIMITS.attributesDepth + 1) }, 'attributes_too_deep', 'args.attributes'],
    ['a page size out of range', 'messages.list', { sid: 'CHx', pageSize: LIMITS.maxMessagesPageSize + 1 }, 'page_size_out_of_range', 'args.pageSize'],
    ['a zero page size', 'conversations.list', { pageSize: 0 }, 'page_size_out_of_range', 'args.pageSize'],
    ['a missing idempotency key', 'messages.send', { sid: 'CHx', body: 'x' }, 'invalid_argument', 'args.idempotencyKey'],
    ['a bad sid', 'conversations.get', { sid: 'not a sid!' }, 'invalid_argument', 'args.sid'],
  ];

  // Objects, not rows: jest passes `done` to a test whose row is shorter than its parameter list.
  const argCases = argRows.map(([name, op, args, code, path]) => ({ name, op, args, code, path }));
  it.each(argCases)('SRV-6: $name → $code, answering the request id', async ({ op, args, code, path }) => {
    const { raw, id } = req(op, args);
    const reply = await errorFor(raw, id);
    expect(reply.error.code).toBe(code);
    if (path !== undefined) expect(reply.error.details?.path).toBe(path);
  });

  it('SRV-6: a replayed or decreasing request id → request_id_invalid', async () => {
    const { raw, id } = req('users.get', { identity: 'attacker' });
    attacker.send(raw);
    await attacker.waitFor((f) => f.type === 'res' && f.id === id && f.ok);
    const replayed = await errorFor(raw, id);
    expect(replayed.error.code).toBe('request_id_invalid');
    const lower = await errorFor(JSON.stringify({ type: 'req', id: id - 1, op: 'users.get', args: { identity: 'x' } }), id - 1);
    expect(lower.error.code).toBe('request_id_invalid');
  });

  it('SRV-6: a frame just over LIMITS.frameBytes → frame_too_large, and the connection stays up', async () => {
    const raw = JSON.stringify({ type: 'req', id: attacker.takeId(), op: 'users.get', args: { identity: 'x'.repeat(LIMITS.frameBytes) } });
    const reply = await errorFor(raw, null);
    expect(reply.error.code).toBe('frame_too_large');
    expect(await attacker.request('users.get', { identity: 'attacker' })).toMatchObject({ identity: 'attacker' });
  });

  it('SRV-6: a second hello → handshake_repeated; the connection stays up', async () => {
    const reply = await errorFor(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION }), null);
    expect(reply.error.code).toBe('handshake_repeated');
    expect(await attacker.request('users.get', { identity: 'attacker' })).toMatchObject({ identity: 'attacker' });
  });

  it('SRV-6: after all of that the server is up, the attacker’s data is intact and the bystander is unaffected', async () => {
    await attacker.request('messages.send', { sid, body: 'still here', idempotencyKey: key() });
    expect((await attacker.request('messages.list', { sid })).items.map((m) => m.body)).toEqual(['still here']);
    expect(bystander.frames.filter((f) => f.type !== 'welcome')).toEqual([]);
    const other = await bystander.request('conversations.create', { friendlyName: 'fine' });
    expect(other.friendlyName).toBe('fine');
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('the hello handshake (CONN-5, SRV-6)', () => {
  it('SRV-6: a request before hello → handshake_required with its id; ping too; then hello works', async () => {
    const client = await connectUser(server, 'early', { hello: false });
    client.send({ type: 'req', id: 1, op: 'users.get', args: { identity: 'early' } });
    expect(await client.waitFor((f) => f.type === 'res' && f.id === 1)).toMatchObject({ ok: false, error: { code: 'handshake_required' } });
    client.send({ type: 'ping' });
    expect(await client.waitFor((f) => f.type === 'res' && f.id === null)).toMatchObject({ ok: false, error: { code: 'handshake_required' } });
    client.send({ type: 'hello', v: PROTOCOL_VERSION });
    await client.waitFor((f) => f.type === 'welcome');
    client.send({ type: 'ping' });
    await client.waitFor((f) => f.type === 'pong');
    // Ids keep increasing across the handshake: 1 was used.
    client.send({ type: 'req', id: 1, op: 'users.get', args: { identity: 'early' } });
    expect(await client.waitFor((f) => f.type === 'res' && f.id === 1 && !f.ok && f.error.code === 'request_id_invalid')).toBeDefined();
    await client.close();
  });

  it('SRV-6: an unsupported protocol version → protocol_version_unsupported and close 4000', async () => {
    const client = await connectUser(server, 'old', { hello: false });
    client.send({ type: 'hello', v: PROTOCOL_VERSION + 1 });
    expect(await client.waitFor((f) => f.type === 'res')).toMatchObject({ ok: false, error: { code: 'protocol_version_unsupported' } });
    expect(await client.closed).toEqual({ code: 4000, reason: 'protocol_version_unsupported' });
  });

  it('SRV-6: a frame far above the limit is cut by ws (1009) without harming the server', async () => {
    const client = await connectUser(server, 'huge');
    client.send('x'.repeat(LIMITS.frameBytes * 4));
    expect((await client.closed).code).toBe(1009);
    expect(await bystander.request('users.get', { identity: 'bystander' })).toMatchObject({ identity: 'bystander' });
  });
});
